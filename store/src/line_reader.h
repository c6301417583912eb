// Internal: reads a stream line by line through one large buffer, zeroized when done.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "sever/store/status.h"

namespace sever::detail {

class LineReader {
 public:
  /// Reads from `in` (not owned); refuses lines longer than max_line bytes.
  explicit LineReader(std::FILE* in, size_t max_line = 1 << 20);
  ~LineReader();

  /// Sets `line` to the next line without its newline (valid until the next call) and returns
  /// true; returns false at the end of input or on error (then status() says which).
  bool Next(std::string_view* line);
  /// The 1-based number of the line Next returned last.
  uint64_t line_number() const { return line_no_; }
  const Status& status() const { return status_; }

 private:
  bool Fill();

  std::FILE* in_;
  const size_t max_line_;
  std::string buf_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  uint64_t line_no_ = 0;
  Status status_;
};

}  // namespace sever::detail

#include "line_reader.h"

#include <cstring>

#include <openssl/crypto.h>

namespace sever::detail {

LineReader::LineReader(std::FILE* in, size_t max_line)
    : in_(in), max_line_(max_line), buf_(std::max<size_t>(4 << 20, 2 * max_line), '\0') {}

LineReader::~LineReader() { OPENSSL_cleanse(buf_.data(), buf_.size()); }

bool LineReader::Fill() {
  if (begin_ > 0) {  // keep the partial line, move it to the front
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    OPENSSL_cleanse(buf_.data() + (end_ - begin_), begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  size_t n = std::fread(buf_.data() + end_, 1, buf_.size() - end_, in_);
  end_ += n;
  if (n == 0) {
    if (std::ferror(in_)) status_ = Status::IoError(std::string("read failed: ") + std::strerror(errno));
    eof_ = true;
  }
  return n > 0;
}

bool LineReader::Next(std::string_view* line) {
  size_t scan = begin_;
  for (;;) {
    const char* nl = static_cast<const char*>(std::memchr(buf_.data() + scan, '\n', end_ - scan));
    if (nl != nullptr) {
      size_t pos = nl - buf_.data();
      if (pos - begin_ > max_line_) break;
      *line = std::string_view(buf_.data() + begin_, pos - begin_);
      if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
      begin_ = pos + 1;
      ++line_no_;
      return true;
    }
    if (end_ - begin_ > max_line_) break;
    scan = end_ - begin_;
    if (eof_ || !Fill()) {
      if (!status_.ok()) return false;
      if (end_ == begin_) return false;
      *line = std::string_view(buf_.data() + begin_, end_ - begin_);  // last line, no newline
      begin_ = end_;
      ++line_no_;
      return true;
    }
  }
  status_ = Status::InvalidArgument("line " + std::to_string(line_no_ + 1) + ": longer than " +
                                    std::to_string(max_line_) + " bytes");
  return false;
}

}  // namespace sever::detail

// Internal: sorts an import's rows with bounded memory. Rows gather in an arena; past the memory
// budget they are sorted and spilled to a run file; reading merges the runs and what is still in
// memory in (key, line) order. An external merge sort, so an import of any size fits in memory;
// several sorters (one per worker thread) merge the same way.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sever/store/status.h"

namespace sever::detail {

/// One row: a key, a value, the input line that made it, and an opcode the caller defines.
struct SortRow {
  std::string_view key;
  std::string_view value;
  uint64_t line = 0;
  uint8_t op = 0;
};

/// A stream of rows in (key, line) order.
class RowReader {
 public:
  virtual ~RowReader() = default;
  /// Sets `row` to the next row, valid until the next call; returns false at the end or on
  /// error (see status()).
  virtual bool Next(SortRow* row) = 0;
  virtual Status status() const = 0;
};

/// Returns a reader that merges sorted readers into one (key, line)-ordered stream.
std::unique_ptr<RowReader> merge_readers(std::vector<std::unique_ptr<RowReader>> inputs);

class ExternalSorter {
 public:
  /// Spills sorted runs into files named `dir`/`name`-N.run once `budget_bytes` are buffered.
  ExternalSorter(std::string dir, std::string name, size_t budget_bytes);
  ~ExternalSorter();  // removes its run files
  ExternalSorter(const ExternalSorter&) = delete;
  ExternalSorter& operator=(const ExternalSorter&) = delete;

  /// Adds a row. Returns io_error if a spill fails.
  Status Add(std::string_view key, std::string_view value, uint64_t line, uint8_t op);

  /// Rows added so far.
  uint64_t size() const { return count_; }

  /// Returns the rows in (key, line) order. Call once, after the last Add; the sorter must
  /// outlive the reader.
  Result<std::unique_ptr<RowReader>> Read();

 private:
  struct Entry {
    uint64_t key_off;
    uint32_t key_len;
    uint32_t val_len;  // the value follows the key in the arena
    uint64_t line;
    uint8_t op;
    std::array<uint64_t, 2> prefix;  // first 16 key bytes, big-endian
  };
  class BufferReader;
  Status Spill();
  void SortBuffer();
  std::string_view Key(const Entry& e) const { return {arena_.data() + e.key_off, e.key_len}; }
  std::string_view Value(const Entry& e) const {
    return {arena_.data() + e.key_off + e.key_len, e.val_len};
  }

  const std::string dir_, name_;
  const size_t budget_;
  std::string arena_;
  std::vector<Entry> entries_;
  std::vector<std::string> runs_;
  uint64_t count_ = 0;
};

}  // namespace sever::detail

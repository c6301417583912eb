// Internal: a throw-away RocksDB beside the store that sorts an import's rows (records and
// index entries) on disk, then turns them into SST files for one atomic ingestion.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <rocksdb/db.h>

#include "sever/store/status.h"

namespace sever::detail {

/// Rows bound for one column family of the store that are small enough to keep in memory
/// (DEK entries, counters, audit entries, meta). Value of nullopt-like kind: see Op.
struct SmallRows {
  enum class Op { put, merge };
  size_t cf;  // schema::Cf index
  Op op = Op::put;
  std::map<std::string, std::string> rows;
};

class Staging {
 public:
  /// Creates an empty staging database in `dir` (removed again by the destructor).
  static Result<std::unique_ptr<Staging>> Create(const std::string& dir);
  ~Staging();

  /// Stages a record. Returns the line that staged the same key before, or 0 when it is new.
  Result<uint64_t> PutRecord(const std::string& key, uint64_t line, const std::string& value);

  /// Stages an index entry (schema::kByTool or kByUser): a put, or a delete of a stale entry.
  /// A later put of the same key wins over a delete.
  Status PutIndex(size_t cf, const std::string& key, bool is_delete);

  /// Writes one SST file per non-empty column family (staged ones and `extra`) into the staging
  /// directory, with the store's options, and returns the ingestion arguments. `cfs` maps
  /// schema::Cf indexes to the store's handles.
  Result<std::vector<rocksdb::IngestExternalFileArg>> WriteSsts(
      const std::vector<rocksdb::ColumnFamilyHandle*>& cfs, const std::vector<SmallRows>& extra);

 private:
  Staging() = default;
  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // default, creds, by_tool, by_user
  rocksdb::WriteOptions wo_;
};

}  // namespace sever::detail

// Internal: writes sorted rows of one column family into an SST file for ingestion.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <rocksdb/db.h>
#include <rocksdb/sst_file_writer.h>

#include "sever/store/status.h"

namespace sever::detail {

class SstSink {
 public:
  /// Will write `path` for column family `cf` (a schema::Cf index) of the store whose handle is
  /// `handle`, with the store's options. Nothing is created until the first row.
  SstSink(size_t cf, rocksdb::ColumnFamilyHandle* handle, std::string path);

  /// Adds a row; keys must strictly increase.
  Status Put(std::string_view key, std::string_view value);
  Status Delete(std::string_view key);
  Status Merge(std::string_view key, std::string_view value);

  /// Finishes the file. Returns the ingestion argument, or nullopt when no row was added.
  Result<std::optional<rocksdb::IngestExternalFileArg>> Finish();

 private:
  Status Ensure();
  size_t cf_;
  rocksdb::ColumnFamilyHandle* handle_;
  std::string path_;
  std::unique_ptr<rocksdb::SstFileWriter> writer_;
};

}  // namespace sever::detail

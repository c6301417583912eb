#include "sst_sink.h"

#include "db_options.h"
#include "rocks_status.h"

namespace sever::detail {
SstSink::SstSink(size_t cf, rocksdb::ColumnFamilyHandle* handle, std::string path)
    : cf_(cf), handle_(handle), path_(std::move(path)) {}

Status SstSink::Ensure() {
  if (writer_) return Status::Ok();
  rocksdb::Options o(db_options(), cf_descriptors()[cf_].options);
  writer_ = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(), o, handle_);
  return detail::from_rocks(writer_->Open(path_), "create " + path_);
}

Status SstSink::Put(std::string_view key, std::string_view value) {
  SEVER_RETURN_IF_ERROR(Ensure());
  return detail::from_rocks(writer_->Put(key, value), "write " + path_);
}

Status SstSink::Delete(std::string_view key) {
  SEVER_RETURN_IF_ERROR(Ensure());
  return detail::from_rocks(writer_->Delete(key), "write " + path_);
}

Status SstSink::Merge(std::string_view key, std::string_view value) {
  SEVER_RETURN_IF_ERROR(Ensure());
  return detail::from_rocks(writer_->Merge(key, value), "write " + path_);
}

Result<std::optional<rocksdb::IngestExternalFileArg>> SstSink::Finish() {
  if (!writer_) return std::optional<rocksdb::IngestExternalFileArg>();
  SEVER_RETURN_IF_ERROR(detail::from_rocks(writer_->Finish(), "finish " + path_));
  writer_.reset();
  rocksdb::IngestExternalFileArg a;
  a.column_family = handle_;
  a.external_files = {path_};
  a.options.move_files = true;
  a.options.snapshot_consistency = true;
  a.options.allow_global_seqno = true;
  a.options.allow_blocking_flush = true;
  return std::optional<rocksdb::IngestExternalFileArg>(std::move(a));
}

}  // namespace sever::detail

// Internal: RocksDB statuses as sever Statuses.
#pragma once

#include <string>
#include <string_view>

#include <rocksdb/status.h>

#include "sever/store/status.h"

namespace sever::detail {

/// Returns Ok, or io_error "what: <rocksdb message>".
inline Status from_rocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  return Status::IoError(std::string(what) + ": " + s.ToString());
}

}  // namespace sever::detail

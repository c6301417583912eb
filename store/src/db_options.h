// Internal: RocksDB options of a sever store and of its import staging databases.
#pragma once

#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/options.h>

namespace sever::detail {

/// Returns the database options: 2 background jobs for a 2-core machine, warnings-only info log.
rocksdb::DBOptions db_options();

/// Returns one descriptor per schema column family, in schema::Cf order (bloom filters on point
/// lookups, LZ4 where metadata compresses, the add operator on DEK counters).
std::vector<rocksdb::ColumnFamilyDescriptor> cf_descriptors();

}  // namespace sever::detail

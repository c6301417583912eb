#include "db_options.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>

#include "record_merge.h"
#include "schema.h"
#include "sever/store/keyring.h"

namespace sever::detail {
namespace {

// The process's RocksDB memory: a block cache, and one memtable budget for all ten column
// families together, so that a long write-heavy job (revocation, rotation) stays within
// cache + 2 x memtables however many column families it writes.
constexpr size_t kCacheBytes = 192 << 20;
constexpr size_t kMemtableBytes = 64 << 20;

const std::shared_ptr<rocksdb::Cache>& cache() {
  static const std::shared_ptr<rocksdb::Cache> c = rocksdb::NewLRUCache(kCacheBytes);
  return c;
}

}  // namespace

rocksdb::DBOptions db_options() {
  rocksdb::DBOptions o;
  o.write_buffer_manager = std::make_shared<rocksdb::WriteBufferManager>(kMemtableBytes);
  o.max_background_jobs = 2;
  o.bytes_per_sync = 1 << 20;
  o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  o.keep_log_file_num = 3;
  o.max_open_files = 512;
  return o;
}

std::vector<rocksdb::ColumnFamilyDescriptor> cf_descriptors() {
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache();
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  t.block_size = 16 << 10;
  // Index and filters in partitions of 4 KiB, cached like data blocks but with priority, over
  // a pinned top level: a 1.7M-credential SST has megabytes of index, which as one block
  // would be evicted and re-read (and re-checksummed) whole on a cache miss.
  t.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  t.partition_filters = true;
  t.metadata_block_size = 4 << 10;
  t.cache_index_and_filter_blocks = true;
  t.cache_index_and_filter_blocks_with_high_priority = true;
  t.pin_top_level_index_and_filter = true;
  t.pin_l0_filter_and_index_blocks_in_cache = true;
  rocksdb::ColumnFamilyOptions base;
  base.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  base.compression = rocksdb::kLZ4Compression;
  base.write_buffer_size = 64 << 20;
  base.level_compaction_dynamic_level_bytes = true;

  std::vector<rocksdb::ColumnFamilyDescriptor> out;
  for (size_t i = 0; i < schema::kCfCount; ++i) {
    rocksdb::ColumnFamilyOptions o = base;
    if (i == schema::kDekCounters) o.merge_operator = make_counter_merge_operator();
    if (i == schema::kCreds) {
      o.compression = rocksdb::kNoCompression;  // sealed bytes dominate
      // Lookups here find their key (get, a job's reads, a re-seal): a Bloom filter on the
      // last level, where nearly all records live, would be probed and pass every time.
      // Without it the cache holds more data blocks. (Import finds existing ids by merging.)
      o.optimize_filters_for_hits = true;
      o.merge_operator = make_record_merge_operator();
      // Credentials are read at random (get, revocation): a small block makes a cache miss
      // read and verify 4 KiB, not 16.
      rocksdb::BlockBasedTableOptions small = t;
      small.block_size = 4 << 10;
      o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(small));
    }
    out.emplace_back(schema::kCfNames[i], o);
  }
  return out;
}

}  // namespace sever::detail

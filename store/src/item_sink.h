// Internal: writes a revocation job's items at once. Items are sorted by key with bounded
// memory (an external sort), an item listed twice is kept once, and the result goes into the
// job-items column family as one ingested SST file: no memtable inserts in random order, no
// WAL, no flush and compaction of the items afterwards.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "external_sort.h"
#include "sever/store/revocation.h"
#include "sever/store/store.h"

namespace sever::detail {

class ItemSink {
 public:
  /// Stages the items of job `job` under `store`'s data directory, from `parts` producers that
  /// may add concurrently (one part each), together spilling past `budget_bytes`.
  ItemSink(Store& store, std::string_view job, size_t budget_bytes, size_t parts = 1);
  ~ItemSink();  // removes what it staged
  ItemSink(const ItemSink&) = delete;
  ItemSink& operator=(const ItemSink&) = delete;

  /// Adds an item of the job from producer `part`. Returns io_error if a spill fails.
  Status Add(size_t part, const JobItem& item);

  /// Writes every item added into the store in one ingestion, replacing items of the same keys.
  /// Returns the distinct items written per tool. Call once.
  Result<std::map<std::string, uint64_t>> Commit();

 private:
  Store& store_;
  const std::string prefix_;  // of every item key of the job: not sorted, added back
  std::string dir_;
  std::vector<std::unique_ptr<ExternalSorter>> sorters_;  // one per part
};

}  // namespace sever::detail

#include "item_sink.h"

#include <algorithm>
#include <filesystem>

#include "job_items.h"
#include "rocks_status.h"
#include "schema.h"
#include "sst_sink.h"

namespace sever::detail {

ItemSink::ItemSink(Store& store, std::string_view job, size_t budget_bytes, size_t parts)
    : store_(store), prefix_(item_prefix(job)), dir_(store.options().data_dir + "/.items-staging") {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);  // left by a crashed materialization
  std::filesystem::create_directories(dir_, ec);
  parts = std::max<size_t>(parts, 1);
  for (size_t i = 0; i < parts; ++i) {
    sorters_.push_back(
        std::make_unique<ExternalSorter>(dir_, "items-" + std::to_string(i), budget_bytes / parts));
  }
}

ItemSink::~ItemSink() {
  sorters_.clear();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

Status ItemSink::Add(size_t part, const JobItem& item) {
  const std::string key = item_key(item);
  // Without the job's prefix, the sorter's 16-byte key prefixes tell most items apart.
  return sorters_[part]->Add(std::string_view(key).substr(prefix_.size()), encode_item(item), 0, 0);
}

Result<std::map<std::string, uint64_t>> ItemSink::Commit() {
  if (!std::filesystem::is_directory(dir_)) return Status::IoError("cannot create " + dir_);
  std::map<std::string, uint64_t> per_tool;
  std::vector<std::unique_ptr<RowReader>> parts;
  for (auto& sorter : sorters_) {
    SEVER_ASSIGN_OR_RETURN(auto r, sorter->Read());
    parts.push_back(std::move(r));
  }
  auto rows = merge_readers(std::move(parts));
  SstSink sink(schema::kJobItems, store_.cf(schema::kJobItems), dir_ + "/items.sst");
  std::string key = prefix_, prev;
  std::map<std::string, uint64_t>::iterator tool = per_tool.end();  // items come tool by tool
  SortRow row;
  while (rows->Next(&row)) {
    if (!prev.empty() && row.key == prev) continue;  // the same credential twice
    prev.assign(row.key);
    key.resize(prefix_.size());
    key.append(row.key);
    SEVER_RETURN_IF_ERROR(sink.Put(key, row.value));
    const std::string_view t = row.key.substr(0, row.key.find('\0'));  // tool\0 rank tenant\0 id
    if (tool == per_tool.end() || t != tool->first) tool = per_tool.emplace(t, 0).first;
    ++tool->second;
  }
  SEVER_RETURN_IF_ERROR(rows->status());
  SEVER_ASSIGN_OR_RETURN(auto arg, sink.Finish());
  if (arg) {
    SEVER_RETURN_IF_ERROR(
        from_rocks(store_.db()->IngestExternalFiles({std::move(*arg)}), "ingest job items"));
  }
  return per_tool;
}

}  // namespace sever::detail

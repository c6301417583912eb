// Internal: the keys and values of a revocation job's items in the job-items column family.
//   key:   job\0 tool\0 be32(rank) tenant\0 id  (each tool's items in rank order)
//   value: format (3), state, kind (0: unknown), attempts, next_at_ms, updated_ms, client, detail
//          (format 2, still read: the same without kind)
#pragma once

#include <string>
#include <string_view>

#include "sever/store/revocation.h"

namespace sever::detail {

/// Returns the prefix of every item key of the job.
std::string item_prefix(std::string_view job);

/// Returns the prefix of the job's items for one tool: a job streams its items per provider,
/// riskiest first, without reading the other providers' items.
std::string tool_prefix(std::string_view job, std::string_view tool);

/// Returns the key of the item.
std::string item_key(const JobItem& it);

/// Returns the stored value of the item (its key holds job, tool, rank, tenant and id).
std::string encode_item(const JobItem& it);

/// Decodes an item of `job` from its key and value; corruption names the item and the job.
Status decode_item(std::string_view job, std::string_view key, std::string_view value,
                   JobItem* out);

}  // namespace sever::detail

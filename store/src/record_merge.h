// Internal: the creds column family's merge operator. A revocation confirmed upstream is
// written as a merge operand, not a read-modify-write of the record: the group commit of a
// revocation job then reads nothing, and an operand applies to whatever record is current when
// it is merged, so it can never bring back an older one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <rocksdb/merge_operator.h>

namespace sever::detail {

/// Returns the operand that sets a credential revoked at `now` (Unix seconds; a revoked record
/// keeps its first revocation time) and erases its sealed secret.
std::string revoke_operand(int64_t now);

/// Returns the merge operator of the creds column family. A merge onto a missing record fails
/// (corruption): credentials are never deleted, so that is a bug, not a state.
std::shared_ptr<rocksdb::MergeOperator> make_record_merge_operator();

}  // namespace sever::detail

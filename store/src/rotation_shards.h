// Internal: how a rotation job's shards are stored, in the job_items column family under the
// job's prefix: job\0 be32(index) 's' → the tenants and estimate (written once),
// job\0 be32(index) 'p' → the checkpoint (rewritten with every step).
#pragma once

#include <functional>

#include <rocksdb/write_batch.h>

#include "sever/store/rotation.h"

namespace sever::detail {

/// Adds the shard's checkpoint to `batch`, and its tenant list too when `with_tenants`.
void put_shard(Store& store, const RotationShard& shard, bool with_tenants,
               rocksdb::WriteBatch* batch);

/// Test-only: when set, called by a re-seal batch after it read and re-sealed its records and
/// before it commits them, still holding its tenants' locks (a test writes meanwhile to show
/// that no write is lost). Never set outside tests.
extern std::function<void()> g_before_reseal_commit;

}  // namespace sever::detail

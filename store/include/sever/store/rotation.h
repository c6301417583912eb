// Key rotation in the store: DEK rotation jobs (a new primary DEK per tenant, every record
// re-sealed in checkpointed batches while reads and writes go on, then the old DEKs retired and
// destroyed), master-key rotation, and the rotation policy. The actors module runs a job's
// shards in parallel; everything here is durable, so a rotation resumes from its checkpoint.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sever/store/keyring.h"
#include "sever/store/revocation.h"
#include "sever/store/status.h"
#include "sever/store/store.h"

namespace sever {

/// When a tenant's primary DEK is due for rotation (`rotate dek --due`). Every field says its
/// default.
struct RotationPolicy {
  /// A primary DEK created more than this many days ago is due. Default 90.
  int64_t max_age_days = 90;
  /// A primary DEK that has sealed this many secrets is due. Default 2^30: half of
  /// kMaxEncryptionsPerDek (2^31), where sealing switches to a new DEK on its own, itself far
  /// below the 2^32 random-nonce bound of AES-GCM.
  uint64_t max_encryptions = uint64_t{1} << 30;
};

/// Why a tenant is due: its primary is too old, has sealed too much, or an older version still
/// holds records (a rotation left unfinished, or a DEK replaced at its encryption limit).
enum class DueReason : uint8_t { age = 1, encryptions, leftover };
/// Returns "age", "encryptions" or "leftover".
std::string_view to_string(DueReason r);

/// A tenant's DEKs and whether it is due.
struct TenantKeys {
  std::string tenant;
  std::optional<DekEntry> primary;
  std::vector<DekEntry> older;   // every other version, oldest first, in any state
  std::optional<DueReason> due;  // nullopt: not due
};

/// Returns the DEKs of every tenant (of `tenant` only when non-empty), in tenant order, each with
/// what the policy says is due at `now`.
Result<std::vector<TenantKeys>> tenant_keys(Store& store, std::string_view tenant,
                                            const RotationPolicy& policy, int64_t now);

/// What a DEK rotation covers.
enum class RotationScope : uint8_t { tenant = 1, all, due };
/// Returns "tenant", "all" or "due".
std::string_view to_string(RotationScope s);

/// What to rotate.
struct RotationRequest {
  RotationScope scope = RotationScope::all;
  std::string tenant;     // scope tenant
  RotationPolicy policy;  // scope due
  std::string actor;      // for the job and the audit log
  /// Workers that will run the job: its tenants are cut into about 16 shards per worker, so
  /// the work spreads evenly. Default 1.
  size_t workers = 1;
  /// Records re-sealed per second (<= 0: unlimited), kept with the job so a resume keeps it.
  double max_rate = 0;
};

/// A rotation job's parameters (stored in JobSpec::params).
struct RotationParams {
  RotationScope scope = RotationScope::all;
  std::string tenant;     // scope tenant
  uint64_t tenants = 0;   // tenants covered
  uint64_t new_deks = 0;  // DEKs made primary when the job began
  uint64_t estimate = 0;  // records on older versions when it began (from the DEK counters)
  double max_rate = 0;    // records re-sealed per second it began with (<= 0: unlimited)
};

/// Parses a rotation job's params. corruption when they are malformed or the job is not one.
Result<RotationParams> rotation_params(const JobSpec& job);

/// The phases of a shard, in order.
enum class ShardPhase : uint8_t { reseal = 1, verify, destroy, done };
/// Returns "reseal", "verify", "destroy" or "done".
std::string_view to_string(ShardPhase p);

/// Consecutive tenants of a job, worked by one worker at a time, with their checkpoint.
struct RotationShard {
  std::string job;
  uint32_t index = 0;
  std::vector<std::string> tenants;  // sorted; each tenant of a job is in exactly one shard
  uint64_t estimate = 0;             // records on older versions when the job began
  // The checkpoint, rewritten in the batch of every step:
  ShardPhase phase = ShardPhase::reseal;
  uint32_t tenant_pos = 0;  // reseal: the tenant being walked (an index into `tenants`)
  std::string cursor;       // reseal: the last id examined in that tenant ("": none yet)
  uint64_t resealed = 0;    // records re-sealed so far, over every pass
  uint32_t passes = 0;      // verifications that found records left and sent it back to reseal
};

/// Returns where a shard's i-th tenant stands: "pending", "resealing", "resealed",
/// "verifying", "retired" (its old DEKs await destruction) or "done".
std::string_view tenant_stage(const RotationShard& shard, size_t i);

/// A job as begun: the record and its shards.
struct RotationStart {
  JobSpec job;
  std::vector<RotationShard> shards;
};

/// Starts a DEK rotation. Picks the tenants (scope tenant: that one, not_found when it has no
/// DEK; all: every tenant with a DEK; due: those tenant_keys says are due) and then, holding
/// those tenants' locks and the DEK lock, writes in ONE audited batch ("rotate.begin", and
/// "dek.create" per DEK): for each tenant but those due only for leftovers a new primary DEK
/// (the previous primary becomes decrypt_only: every write seals with the new one from that
/// instant and every read still opens), the job (kind rotate_dek, id "k-…") and its shards.
/// With no tenant to rotate it writes nothing and returns a job without shards.
Result<RotationStart> begin_rotation(Store& store, const RotationRequest& request);

/// Returns the running rotation job of the same scope (and tenant, for scope tenant), if any:
/// the next `rotate dek` of a scope resumes it rather than starting another.
Result<std::optional<JobSpec>> find_running_rotation(const Store& store, RotationScope scope,
                                                     std::string_view tenant);

/// Returns a rotation job's shards with their checkpoints, by index.
Result<std::vector<RotationShard>> load_shards(const Store& store, const std::string& job);

/// Runs one step of a shard and checkpoints it in the same batch as its work:
///   reseal:  from the cursor on, re-seals up to `max_records` records of the shard's tenants
///            that are on an older DEK version than their tenant's primary, with the primary.
///            It reads and writes each tenant's records under that tenant's TenantLock (which
///            Put holds too), so no concurrent update is lost; records, the primary's
///            encryption counter and the advanced cursor are one batch. After the last tenant:
///            verify.
///   verify:  reads every tenant of the shard again. A record still on an older version (say,
///            sealed by an import that began before the rotation) sends the shard back to
///            reseal from the start; none: each decrypt_only version below the primary is
///            retired ("dek.retire") → destroy.
///   destroy: each retired version of the shard's tenants is destroyed: its wrapped bytes
///            deleted ("dek.destroy") and its cached key dropped → done.
/// Returns the records re-sealed by this step. internal after 8 verifications found records
/// left.
Result<uint64_t> step_shard(Store& store, RotationShard& shard, size_t max_records);

/// Marks the job done (audited "rotate.done") and purges the destroyed DEKs' entries from the
/// live files (Store::PurgeSupersededKeys); refused while a shard is not done.
Status finish_rotation(Store& store, JobSpec& job, const std::vector<RotationShard>& shards);

/// What a master-key rotation did.
struct MasterRotation {
  std::string from, to;  // key-source specs (never hold a PIN)
  uint64_t deks = 0;     // DEKs re-wrapped
};

/// Master-key rotation: opens the key source `to_spec` (creating the key first, as `init`
/// does, when it does not exist), then Store::RewrapUnder: every DEK, the KEK check value and
/// the audit chain key are re-wrapped under it in one batch, and the store records its spec.
/// Records are not touched; the entries wrapped under the old key are purged from the live
/// files (Store::PurgeSupersededKeys). invalid_argument when `to_spec` is the store's current
/// source; a key file it created is removed again when the rotation fails.
Result<MasterRotation> rotate_master(Store& store, const std::string& to_spec,
                                     const std::string& actor);

}  // namespace sever

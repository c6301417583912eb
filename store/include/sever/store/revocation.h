// Revocation state in the store: freeze markers, jobs and their items. The actors module runs
// jobs; everything here is durable, so a job resumes after a crash with nothing lost.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sever/store/status.h"
#include "sever/store/store.h"

namespace sever {

/// What a revocation job covers.
struct RevokeScope {
  enum class Kind { tenant, tool, user, ids, all };
  Kind kind = Kind::all;
  std::string tenant;  // tenant, user
  std::string tool;    // tool
  std::string user;    // user (with tenant)
  std::vector<std::pair<std::string, std::string>> ids;  // ids: (tenant, id), each once
  uint64_t ids_count = 0;  // how many ids (kept when a reloaded job's list lives in its markers)

  /// Returns "tenant acme", "tool github", "user acme:alice", "1234 ids", "all".
  std::string Describe() const;
};

/// Parses an --ids file: one "tenant/id" or "tenant<TAB>id" or JSON {"tenant":..,"id":..} a line.
/// Returns invalid_argument "FILE line N: …" for a malformed line.
Result<std::vector<std::pair<std::string, std::string>>> read_id_list(const std::string& path);

enum class JobState : uint8_t { running = 1, done, cancelled };
std::string_view to_string(JobState s);

/// What a job does: revoke credentials, or rotate tenant DEKs (see rotation.h).
enum class JobKind : uint8_t { revoke = 1, rotate_dek };
/// Returns "revoke" or "rotate_dek".
std::string_view to_string(JobKind k);

/// A job as stored (`jobs list` shows every kind).
struct JobSpec {
  std::string id;          // "r-YYYYMMDD-HHMMSS-xxxx" (revoke), "k-…" (rotate_dek)
  JobKind kind = JobKind::revoke;
  RevokeScope scope;       // (ids are not stored in the spec: the items are the list)
  std::string reason;
  std::string actor;
  std::string providers_file;  // the file the job began with ("" = built-in catalog)
  int64_t created_at = 0;
  JobState state = JobState::running;
  bool materialized = false;  // every item of the scope is written
  uint64_t items = 0;         // materialized items
  uint64_t unknown_ids = 0;   // --ids entries with no such credential
  std::map<std::string, uint64_t> tool_items;  // materialized items per tool
  std::string params;         // kind-specific JSON object text; "" for revoke
};

/// Returns a new job id: prefix, "-YYYYMMDD-HHMMSS-" (UTC, from `now`) and 6 random hex digits.
std::string new_job_id(std::string_view prefix, int64_t now);

/// pending → in_flight → revoked | already_gone | manual | retry_wait → dead_letter.
enum class ItemState : uint8_t {
  pending = 1, in_flight, revoked, already_gone, manual, retry_wait, dead_letter
};
inline constexpr int kItemStateCount = 7;
std::string_view to_string(ItemState s);
/// Returns true for revoked, already_gone, manual and dead_letter.
bool is_final(ItemState s);

/// One credential of a job.
struct JobItem {
  std::string job;
  uint32_t rank = 0;  // 0 = riskiest; items are stored and worked in rank order
  std::string tenant, id, tool, client;
  /// The credential's kind when the job was materialized (unset in items written before kinds
  /// were stored): a kind its provider cannot revoke by API becomes manual without its secret
  /// being read or decrypted.
  std::optional<Kind> kind;
  ItemState state = ItemState::pending;
  uint32_t attempts = 0;
  int64_t next_at_ms = 0;  // retry_wait: not before
  int64_t updated_ms = 0;
  std::string detail;      // last answer or the manual action: never a secret
  /// The credential's sealed secret (nonce || ciphertext || tag, never plaintext) and the DEK
  /// version that sealed it, copied when the job was materialized: the job revokes the secret
  /// its scope held at the freeze without reading the record again. Empty in final items (the
  /// copy is not stored once the item is final) and in items written before copies were kept;
  /// those read the record.
  uint32_t dek_version = 0;
  std::string sealed;
  uint32_t limited = 0;    // "too many requests" answers in this run (not stored)
};

/// Returns the revocation rank of a credential, 0 first: admin/write scopes, sensitive tools
/// (mail, source code, identity…) and recent use come first, so the blast radius shrinks
/// fastest.
uint32_t revocation_rank(const Credential& c, int64_t now);

/// Freezes the scope at once (one write: one marker, or one per id), so every later read of a
/// credential in scope is refused, and records the job as running; audited. Returns the job.
Result<JobSpec> start_revocation(Store& store, const RevokeScope& scope, const std::string& reason,
                                 const std::string& actor, const std::string& providers_file);

/// Returns the job that froze this credential, or nullopt when no freeze covers it.
Result<std::optional<std::string>> frozen_by(const Store& store, const Credential& c);

/// Writes one pending item per credential in the scope not yet revoked, ranked as of `now`,
/// sorted and ingested at once, then saves the job as materialized with its counts per tool.
/// Runs only on a job not yet materialized, so no item of it has been sent; on a materialized
/// job it returns the item count and changes nothing. Pass the job's created_at as `now`: a
/// repeat after a crash before the save then rewrites the very same items.
Result<uint64_t> materialize_job(Store& store, JobSpec& job, int64_t now);

/// Reads, lists (newest first) and writes job records; save_job audits under `audit_action`.
Result<JobSpec> load_job(const Store& store, const std::string& id);
Result<std::vector<JobSpec>> list_jobs(const Store& store);
Status save_job(Store& store, const JobSpec& job, const std::string& audit_action);
/// Adds the job's record to `batch`, for a writer that commits it with other changes.
void put_job(Store& store, const JobSpec& job, rocksdb::WriteBatch* batch);

/// Calls fn for every item of the job, tool by tool, each tool's in rank order, until it
/// returns false.
Status scan_items(const Store& store, const std::string& job,
                  const std::function<bool(const JobItem&)>& fn);

/// Returns the tools the job has items of, sorted. Items are stored per tool in rank order.
Result<std::vector<std::string>> job_tools(const Store& store, const std::string& job);

/// Reads one tool's items of a job in rank order, chunk after chunk, through one iterator kept
/// between chunks (a seek per chunk would merge every level-0 file each time). The iterator is
/// renewed once it is older than a second, so it never pins much of what the job writes since.
/// Items are read as they were when the iterator was made: fine for items past the cursor,
/// which nothing but this reader's caller changes.
class ToolItemReader {
 public:
  /// Reads the tool's items up to and including the one at `until` (another reader's
  /// cursor()), or all of them when `until` is empty.
  ToolItemReader(const Store& store, std::string job, std::string tool, std::string until = "");
  ~ToolItemReader();
  ToolItemReader(ToolItemReader&&) noexcept;
  ToolItemReader& operator=(ToolItemReader&&) noexcept;

  /// Appends up to `max` of the next items to `out`. Returns true when none is left.
  Result<bool> Next(size_t max, std::vector<JobItem>* out);
  /// Drops the iterator (the next Next() seeks again): call it on a reader that may sit idle,
  /// since an iterator keeps alive the memtables and files that existed when it was made.
  void Release();
  /// The key of the last item read (empty before the first): an opaque cursor.
  const std::string& cursor() const { return cursor_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string cursor_;
};

/// Counts of a job's items by state (index: ItemState - 1), overall and per tool.
struct JobCounts {
  std::array<uint64_t, kItemStateCount> all{};
  std::map<std::string, std::array<uint64_t, kItemStateCount>> by_tool;
};
Result<JobCounts> count_items(const Store& store, const std::string& job);

/// Applies item transitions in one atomic batch (a group commit). For an item that reaches
/// revoked or already_gone, the credential's sealed secret is erased and its state set to
/// revoked in the same batch, so a later leak of the store holds nothing for it; it holds those
/// tenants' locks (Store::LockTenants), so a concurrent re-seal never brings a secret back.
/// Each transition to a final state is audited.
Status commit_items(Store& store, const std::vector<JobItem>& items, const std::string& actor);

/// Returns dead-lettered (and, with include_manual, manual) items to pending, attempts reset.
Result<uint64_t> retry_items(Store& store, const std::string& job, bool include_manual);

}  // namespace sever

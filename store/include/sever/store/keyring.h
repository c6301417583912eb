// Tenant data keys (DEKs): one per tenant per version, stored only wrapped by the master key.
#pragma once

#include <cstdint>
#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "sever/store/key_source.h"
#include "sever/store/secret.h"
#include "sever/store/status.h"

namespace sever {

/// primary: seals new writes; decrypt_only: opens old records during rotation; retired: no record
/// uses it any more; destroyed: its wrapped bytes are deleted.
enum class DekState : uint8_t { primary = 1, decrypt_only, retired, destroyed };

/// Returns "primary", "decrypt_only", "retired" or "destroyed".
std::string_view to_string(DekState s);

/// A DEK as stored: never the plaintext key.
struct DekEntry {
  std::string tenant;
  uint32_t version = 0;
  DekState state = DekState::primary;
  int64_t created_at = 0;        // Unix seconds
  int64_t state_changed_at = 0;  // Unix seconds
  uint32_t kek_version = 1;      // which master key wrapped it
  std::string wrapped;           // KeySource::Wrap output; empty once destroyed
  uint64_t encryptions = 0;      // seals made with it (from the counter column family)
};

/// A freshly generated DEK: its entry and the plaintext key (zeroized when released).
struct NewDek {
  DekEntry entry;
  std::shared_ptr<const SecretBytes> key;
};

/// Encryptions after which a DEK must not seal again: far below the 2^32 random-nonce bound of
/// AES-GCM. Sealing paths switch to a new DEK version before reaching it.
inline constexpr uint64_t kMaxEncryptionsPerDek = uint64_t{1} << 31;

/// Loads, caches, generates and records tenant DEKs. Thread-safe. Unwrapped keys live in a
/// bounded LRU cache and are zeroized when evicted and no longer in use.
class Keyring {
 public:
  Keyring(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* keys_cf,
          rocksdb::ColumnFamilyHandle* counters_cf, KeySource* kek, size_t cache_capacity);

  /// Returns the tenant's primary DEK entry (with its encryption count), or nullopt when the
  /// tenant has no DEK yet.
  Result<std::optional<DekEntry>> Primary(std::string_view tenant) const;

  /// Returns the version of the tenant's primary DEK, or 0 when it has none. Like Primary but
  /// reads no encryption counter: for paths that ask once per batch.
  Result<uint32_t> PrimaryVersion(std::string_view tenant) const;

  /// Returns the tenant's DEK entries by version, or every tenant's when `tenant` is empty,
  /// with their encryption counts unless `counters` is false (then 0).
  Result<std::vector<DekEntry>> List(std::string_view tenant, bool counters = true) const;

  /// Returns the unwrapped key of (tenant, version), unwrapping through the master key on a
  /// cache miss. Returns not_found for an unknown or destroyed version.
  Result<std::shared_ptr<const SecretBytes>> Key(std::string_view tenant, uint32_t version);

  /// Generates a random DEK for (tenant, version) and wraps it; writes nothing. The key enters
  /// the cache so the caller can seal with it before the entry is committed.
  Result<NewDek> Generate(std::string_view tenant, uint32_t version, int64_t now);

  /// Drops (tenant, version) from the cache, e.g. once it is destroyed: the key is zeroized as
  /// soon as no caller holds it any more.
  void Forget(std::string_view tenant, uint32_t version);

  /// Returns the master-key generation of this process: even while the master key is stable,
  /// odd while a master-key rotation is under way. Writers that wrap DEKs and commit them later
  /// (import) compare it before and after, so no DEK wrapped under a replaced key is committed.
  uint64_t kek_generation() const { return kek_generation_.load(); }

  /// Master-key rotation, step 1: marks the rotation under way (the generation becomes odd).
  void BeginKekSwap();

  /// Master-key rotation, step 2: waits for every wrap and unwrap in progress, runs `commit`
  /// (which makes the DEKs wrapped under `next` durable) and, if it succeeds, wraps and unwraps
  /// with `next` from then on. No unwrap sees new bytes with the old key or the reverse. The
  /// generation becomes even again either way. Returns what `commit` returned.
  Status FinishKekSwap(KeySource* next, const std::function<Status()>& commit);

  /// Returns the serialized value of an entry (for a WriteBatch or an SST file).
  static std::string Encode(const DekEntry& e);
  /// Parses a stored entry; `tenant` and `version` come from the row key.
  static Status Decode(std::string_view tenant, uint32_t version, std::string_view value,
                       DekEntry* out);
  /// Returns the value that adds n to a DEK's encryption counter (a merge operand).
  static std::string CounterDelta(uint64_t n);

  /// Returns the AAD a DEK is wrapped under: binds it to its tenant and version.
  static std::string WrapContext(std::string_view tenant, uint32_t version);

 private:
  // Calls fn for each entry of the tenant (every tenant's when empty), with its encryption
  // count when `counters`.
  Status Scan(std::string_view tenant, bool counters,
              const std::function<void(DekEntry&&)>& fn) const;
  Result<uint64_t> Encryptions(const std::string& key) const;
  void CachePut(const std::string& key, std::shared_ptr<const SecretBytes> dek);

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* keys_cf_;
  rocksdb::ColumnFamilyHandle* counters_cf_;
  mutable std::shared_mutex kek_mu_;  // shared: wrap/unwrap; exclusive: FinishKekSwap
  KeySource* kek_;
  std::atomic<uint64_t> kek_generation_{0};
  const size_t capacity_;

  std::mutex cache_mu_;
  std::list<std::string> lru_;  // most recent first
  struct Slot {
    std::shared_ptr<const SecretBytes> key;
    std::list<std::string>::iterator pos;
  };
  std::unordered_map<std::string, Slot> cache_;
};

/// Returns a RocksDB merge operator that adds little-endian u64 counters (the DEK counters).
std::shared_ptr<rocksdb::MergeOperator> make_counter_merge_operator();

}  // namespace sever

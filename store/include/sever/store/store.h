// The sever store: an encrypted credential store on RocksDB with per-tenant DEKs wrapped by a
// master key held outside the database.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "sever/store/audit.h"
#include "sever/store/key_source.h"
#include "sever/store/keyring.h"
#include "sever/store/record.h"
#include "sever/store/secret.h"
#include "sever/store/status.h"

namespace sever {

/// How to open a store. Every field says its default.
struct StoreOptions {
  std::string data_dir;         // required: the RocksDB directory
  std::string key_source;       // required: a key-source spec (see key_source.h)
  size_t dek_cache_capacity = 65536;  // unwrapped DEKs kept in memory (LRU)
  /// fsync the WAL on every commit (power-loss durability of each audit entry). Default off:
  /// commits survive a process crash, and the OS flushes them within seconds.
  bool sync_writes = false;
};

/// Returns the key-source spec the CLI contract defaults to for a data directory:
/// "file:" + data_dir (trailing slashes removed) + ".key" — beside the directory, never inside.
std::string default_key_source(const std::string& data_dir);

/// A credential to write: its metadata and its plaintext secret.
struct NewCredential {
  Credential meta;  // tenant, id, tool, kind, scopes, user, client, timestamps, state
  SecretBytes secret;
};

class Store {
 public:
  /// Creates a new store: the data directory (mode 0700, must not exist or be empty), the master
  /// key when the source is file: (a pkcs11 key is created when absent), the schema, the KEK check
  /// value and the audit chain key. On any failure everything it created is removed.
  static Result<std::unique_ptr<Store>> Create(const StoreOptions& options,
                                               const std::string& actor);

  /// Opens an existing store. Checks the master key against the store's KEK check value before
  /// anything is written: key_mismatch "master key does not match this store" otherwise.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  /// Returns the plaintext secret of a credential and audits the read (actor, tenant/id).
  /// not_found for an unknown id; refused (no secret) when it is revoked or its secret erased.
  Result<SecretBytes> GetSecret(std::string_view tenant, std::string_view id,
                                const std::string& actor);

  /// Decrypts a record's sealed secret without auditing: for revocation, whose job audits the
  /// items it sends. Refused when the secret was erased.
  Result<SecretBytes> OpenSealed(const Credential& c);

  /// Returns a credential's record (metadata and sealed bytes; nothing is decrypted or audited).
  Result<Credential> GetRecord(std::string_view tenant, std::string_view id) const;

  /// Returns the records of many (tenant, id) pairs, in their order, as GetRecord would: one
  /// batched lookup (RocksDB MultiGet), cheaper per record than a GetRecord each. Meant for a
  /// pass that reads each record once (a revocation job): the blocks it reads are not added
  /// to the block cache, so a pass over a store larger than the cache does not churn it.
  std::vector<Result<Credential>> GetRecords(
      const std::vector<std::pair<std::string_view, std::string_view>>& keys) const;

  /// Seals and writes one credential with its index entries and an audit entry in one batch.
  /// An existing id is already_exists unless `upsert`; an upsert replaces metadata and secret.
  Status Put(NewCredential cred, bool upsert, const std::string& actor);

  /// Returns the tenant's primary DEK, durably creating (and auditing) version 1 for a new
  /// tenant, or the next version when the primary is within `headroom` of
  /// kMaxEncryptionsPerDek. Creation is serialized, so concurrent callers share one DEK.
  Result<DekEntry> EnsurePrimaryDek(std::string_view tenant, uint64_t headroom,
                                    const std::string& actor);

  /// Flushes every column family (so no write-ahead log still holds them) and rewrites the
  /// small key-holding ones (keys, meta) down to their last level, so that DEK entries
  /// superseded by a destruction or a master-key rotation are gone from the live files, not
  /// only hidden by newer ones: a copy of the data directory taken afterwards holds no wrapped
  /// DEK a retired master key could open.
  Status PurgeSupersededKeys();

  /// Runs `fn` holding the DEK lock, which every change to DEK entries holds (creation,
  /// demotion, retirement, destruction, re-wrapping), so that no two such changes interleave.
  Status WithDekLock(const std::function<Status()>& fn);

  /// Adds to `batch` a new random DEK for the tenant as primary (version 1 when `primary` is
  /// nullopt, else primary's version + 1), the demotion of `primary` to decrypt_only, and the
  /// "dek.create" audit event with `reason` to `events`. The caller holds the DEK lock and
  /// commits both. Returns the new entry (its key is already in the cache).
  Result<DekEntry> AddNextDek(std::string_view tenant, std::optional<DekEntry> primary,
                              std::string_view reason, const std::string& actor,
                              rocksdb::WriteBatch* batch, std::vector<AuditEvent>* events);

  /// Master-key rotation: re-wraps every DEK that is not destroyed, the KEK check value and the
  /// audit chain key under `next`, and records next's spec and a new KEK version in meta, in
  /// one synced, audited batch; from that instant the store wraps and unwraps with `next` and
  /// the previous master key is no longer needed. Holds the DEK lock throughout. Returns the
  /// number of DEKs re-wrapped. (Defined in master_rotation.cc.)
  Result<uint64_t> RewrapUnder(std::unique_ptr<KeySource> next, const std::string& actor);

  /// Writes the batch and audit entries for `events` atomically, chained after the current audit
  /// head. The one path by which sever's writes reach the database. Batches with events are
  /// serialized (the chain's order); a batch without any (a rotation's re-seal batch) is not.
  Status Commit(rocksdb::WriteBatch* batch, const std::vector<AuditEvent>& events);

  /// Runs `fn` while holding the commit lock, with the audit log, for writers that commit by
  /// other means (SST ingestion): Prepare rows, make them durable, then Advance.
  Status WithCommitLock(const std::function<Status(AuditLog&)>& fn);

  /// Returns the lock that every read-modify-write of the tenant's records holds (Put, and the
  /// re-seal pass of rotation), so that no concurrent update is lost.
  std::mutex& TenantLock(std::string_view tenant) {
    return row_locks_[std::hash<std::string_view>()(tenant) % row_locks_.size()];
  }

  /// Takes the TenantLock of every tenant given (each lock once, in one global order, so two
  /// callers never deadlock) and returns them held: for one batch that rewrites records of
  /// several tenants.
  std::vector<std::unique_lock<std::mutex>> LockTenants(const std::vector<std::string>& tenants);

  Keyring& keyring() { return *keyring_; }
  const AuditLog& audit() const { return *audit_; }
  KeySource& key_source() { return *kek_; }
  const StoreOptions& options() const { return options_; }

  /// The database and a column family by index (see schema.h), for the store's own modules.
  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf(size_t index) const { return cfs_[index]; }

 private:
  Store() = default;
  static Result<std::unique_ptr<Store>> OpenDb(const StoreOptions& options, bool create,
                                               std::unique_ptr<KeySource> kek);
  // Commit, fsyncing the WAL when `sync` (or StoreOptions::sync_writes) says so.
  Status CommitImpl(rocksdb::WriteBatch* batch, const std::vector<AuditEvent>& events, bool sync);
  // Decrypts a record with the DEK it names (no retry).
  Result<SecretBytes> OpenWithItsDek(const Credential& c);

  StoreOptions options_;
  std::unique_ptr<KeySource> kek_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;
  std::unique_ptr<Keyring> keyring_;
  std::unique_ptr<AuditLog> audit_;
  rocksdb::WriteOptions write_options_;
  std::mutex commit_mu_;   // orders audit entries: Prepare → write → Advance
  std::mutex dek_mu_;      // serializes DEK creation
  std::array<std::mutex, 1024> row_locks_;  // per-tenant stripes: read-modify-write of records
};

}  // namespace sever

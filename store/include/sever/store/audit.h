// The audit log: an append-only, HMAC-chained record of every secret read, key event, import,
// revocation and rotation. The chain key is wrapped by the master key, so an attacker who can
// write the database but lacks the master key cannot forge, edit, remove or truncate entries
// without `audit verify` noticing.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <rocksdb/db.h>

#include "sever/store/secret.h"
#include "sever/store/status.h"

namespace sever {

/// What happened, said by whom, to what. `detail` is a JSON object text (never a secret).
struct AuditEvent {
  std::string actor;   // operator or component: "cli:alice", "revoker", …
  std::string action;  // "store.init", "import", "secret.read", "dek.create", …
  std::string target;  // "tenant/id", "tenant", "*", …
  std::string detail;  // JSON object text, may be empty
};

/// A stored entry: the event, its place in the chain and its MAC.
struct AuditEntry {
  uint64_t seq = 0;
  int64_t time_ms = 0;
  AuditEvent event;
  std::string prev_mac;  // 32 bytes; zeros for seq 1
  std::string mac;       // HMAC-SHA256(chain key, this entry with prev_mac)
};

/// The last entry written: where the next one chains from.
struct AuditHead {
  uint64_t seq = 0;
  std::string mac = std::string(32, '\0');
};

/// The outcome of `audit verify`.
struct AuditVerdict {
  uint64_t entries = 0;               // entries checked
  std::optional<uint64_t> first_bad;  // the first entry that fails, if any
  std::string problem;                // what is wrong with it
};

/// Appends to and checks the audit column family. Appending is not thread-safe on its own: the
/// Store serializes Prepare → write → Advance under its commit lock.
class AuditLog {
 public:
  AuditLog(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* audit_cf,
           rocksdb::ColumnFamilyHandle* meta_cf, SecretBytes chain_key, AuditHead head);

  /// Returns the rows (audit key, value) for the events chained after the current head, and the
  /// meta row that records the new head; sets `next` to that head. Writes nothing.
  std::vector<std::pair<std::string, std::string>> Prepare(const std::vector<AuditEvent>& events,
                                                           int64_t time_ms, AuditHead* next,
                                                           std::string* head_value) const;

  /// Makes `next` the head once the rows Prepare returned are durable.
  void Advance(AuditHead next) { head_ = std::move(next); }

  const AuditHead& head() const { return head_; }

  /// Walks the whole chain: sequence numbers must be contiguous from 1, each entry must chain
  /// from its predecessor's MAC and carry a valid MAC, and the last must equal the stored head.
  Result<AuditVerdict> Verify() const;

  /// Calls `fn` for the last `n` entries, oldest first.
  Status Tail(size_t n, const std::function<void(const AuditEntry&)>& fn) const;

  /// Encodes and decodes the head's meta value.
  static std::string EncodeHead(const AuditHead& h);
  static Status DecodeHead(std::string_view v, AuditHead* out);

 private:
  std::string Mac(std::string_view body) const;

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* audit_cf_;
  rocksdb::ColumnFamilyHandle* meta_cf_;
  SecretBytes key_;
  AuditHead head_;
};

/// Encodes an entry's value; `mac` is not included when `with_mac` is false (the MAC's input).
std::string encode_audit_entry(const AuditEntry& e, bool with_mac);
/// Decodes a value made by encode_audit_entry(e, true).
Status decode_audit_entry(std::string_view value, AuditEntry* out);

}  // namespace sever

// Internal: the RocksDB layout of a sever store (column families and key encodings).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "coding.h"

namespace sever::schema {

/// Column families, in the order they are opened. `default` holds store metadata.
enum Cf : size_t {
  kMeta = 0,     // "format", "kek_check", "audit_key", "audit_head", "created_at", "key_source",
                 // "kek_version"
  kCreds,        // tenant\0id → record
  kByTool,       // tool\0tenant\0id → ""
  kByUser,       // tenant\0user\0id → ""
  kKeys,         // tenant\0be32(version) → DEK entry (wrapped key, state, times)
  kDekCounters,  // tenant\0be32(version) → u64 encryptions made (merge: add)
  kFreeze,       // scope → marker
  kJobs,         // job id → spec, state, counters, checkpoint
  kJobItems,     // job\0tenant\0id → item state
  kAudit,        // be64(seq) → audit entry
  kCfCount,
};

inline constexpr std::array<const char*, kCfCount> kCfNames = {
    "default", "creds", "by_tool", "by_user", "keys", "dek_counters",
    "freeze", "jobs", "job_items", "audit"};

/// The version of this layout, stored under meta "format".
inline constexpr std::string_view kLayoutVersion = "1";

/// Meta keys.
inline constexpr std::string_view kMetaFormat = "format";
inline constexpr std::string_view kMetaKekCheck = "kek_check";
inline constexpr std::string_view kMetaAuditKey = "audit_key";
inline constexpr std::string_view kMetaAuditHead = "audit_head";
inline constexpr std::string_view kMetaCreatedAt = "created_at";
inline constexpr std::string_view kMetaKeySource = "key_source";
/// The master-key version: absent until the first master-key rotation (version 1).
inline constexpr std::string_view kMetaKekVersion = "kek_version";

/// Joins parts with NUL separators (names never contain NUL: see validate_name).
inline std::string join(std::string_view a, std::string_view b) {
  std::string k;
  k.reserve(a.size() + b.size() + 1);
  k.append(a).push_back('\0');
  k.append(b);
  return k;
}
inline std::string join(std::string_view a, std::string_view b, std::string_view c) {
  std::string k = join(a, b);
  k.push_back('\0');
  k.append(c);
  return k;
}

inline std::string cred_key(std::string_view tenant, std::string_view id) {
  return join(tenant, id);
}
inline std::string tool_key(std::string_view tool, std::string_view tenant, std::string_view id) {
  return join(tool, tenant, id);
}
inline std::string user_key(std::string_view tenant, std::string_view user, std::string_view id) {
  return join(tenant, user, id);
}
/// The prefix every key of the tenant (or tool, …) starts with: the name and its NUL.
inline std::string prefix(std::string_view name) { return std::string(name) + '\0'; }

inline std::string dek_key(std::string_view tenant, uint32_t version) {
  std::string k = prefix(tenant);
  coding::put_be32(&k, version);
  return k;
}

inline std::string audit_key(uint64_t seq) {
  std::string k;
  coding::put_be64(&k, seq);
  return k;
}

/// Splits "a\0b" (or "a\0b\0c", last part taking the rest) into its parts; returns false when
/// a separator is missing.
inline bool split2(std::string_view k, std::string_view* a, std::string_view* b) {
  auto p = k.find('\0');
  if (p == std::string_view::npos) return false;
  *a = k.substr(0, p);
  *b = k.substr(p + 1);
  return true;
}
inline bool split3(std::string_view k, std::string_view* a, std::string_view* b,
                   std::string_view* c) {
  std::string_view rest;
  return split2(k, a, &rest) && split2(rest, b, c);
}

}  // namespace sever::schema

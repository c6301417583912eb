// What the fake saw per token: attempts, limited answers, first successful revoke. Tokens are
// known only by SHA-256; no plaintext token is ever kept.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "adapters.h"
#include "sever/store/status.h"

namespace sever::fake {

/// One token's history at one provider.
struct TokenRecord {
  uint32_t attempts = 0;      // requests that carried the token
  uint32_t limited = 0;       // of them, answered as rate limited
  uint32_t already_gone = 0;  // of them, answered "already revoked"
  bool revoked = false;
  int64_t first_revoked_ms = -1;  // Unix ms of the first successful revoke
};

/// Every token record, keyed by (provider, SHA-256 of the token). Not thread-safe.
class RecordBook {
 public:
  /// Returns the record of a token (created empty on first sight). `sha256` is 32 raw bytes.
  TokenRecord& at(AdapterId provider, std::string_view sha256);

  /// Returns one JSON object per line, ordered by provider then hash:
  /// {"provider":..,"token_sha256":..,"attempts":N,"revoked":b,"limited":N,
  ///  "already_gone":N,"first_revoked_ms":ms|null}.
  std::string jsonl() const;

  /// Writes jsonl() to `path` atomically (a temporary file renamed over it).
  Status write_file(const std::string& path) const;

  /// Returns the number of tokens seen.
  size_t size() const { return records_.size(); }

 private:
  struct Key {
    std::array<uint8_t, 32> hash;
    AdapterId provider;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  std::unordered_map<Key, TokenRecord, KeyHash> records_;
};

}  // namespace sever::fake

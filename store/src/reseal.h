// Internal: re-sealing one tenant's records under its primary DEK. Shared by the rotation
// steps and the benchmark's unprotected baseline, so both do the same work per record.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "sever/store/crypto.h"
#include "sever/store/store.h"

namespace sever::detail {

/// The keys to re-seal one tenant's records: its primary (to seal) and the older versions its
/// records name (to open), each set up once. Not thread-safe: one per worker and batch.
class TenantSealer {
 public:
  /// Binds the tenant and the version to seal with (its primary).
  static Result<TenantSealer> Create(Store& store, std::string tenant, uint32_t primary);

  /// Returns the record value (tenant, id, value) re-sealed under the primary: the secret
  /// opened with the version the record names, sealed with a fresh nonce and AAD naming the
  /// primary, and the record's version set to it. A record whose secret was erased only gets
  /// the new version. Sets *sealed to whether a secret was sealed.
  Result<std::string> Reseal(std::string_view id, std::string_view value, bool* sealed);

  uint32_t primary() const { return primary_; }

 private:
  TenantSealer(Store& store, std::string tenant, uint32_t primary, crypto::Aead seal)
      : store_(&store), tenant_(std::move(tenant)), primary_(primary), seal_(std::move(seal)) {}

  Store* store_;
  std::string tenant_;
  uint32_t primary_;
  crypto::Aead seal_;
  std::map<uint32_t, crypto::Aead> open_;  // older version → its key
};

}  // namespace sever::detail

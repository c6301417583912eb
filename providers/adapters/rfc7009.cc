// RFC 7009 generic: POST {endpoint}, form token + token_type_hint; Basic client auth when a
// client is configured (a public client sends client_id). Unknown tokens answer 200 too, so
// "revoked" and "already gone" are indistinguishable: both count as revoked.
#include "adapter_common.h"
#include "builtin_adapters.h"

namespace sever::providers {

std::unique_ptr<Adapter> make_rfc7009_adapter() {
  return std::make_unique<RevokeAdapter>(RevokeSpec{
      .name = "rfc7009",
      .endpoint_only = true,
      .type_hint = true,
      .client_auth = ClientAuth::basic_if_set,
  });
}

}  // namespace sever::providers

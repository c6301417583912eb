// X (Twitter) OAuth 2.0: POST /2/oauth2/revoke, form token + token_type_hint, Basic client auth
// (a public PKCE client sends client_id). 200 {"revoked":true} also for unknown tokens; limits in
// x-rate-limit-* (epoch-second reset).
#include "adapter_common.h"
#include "builtin_adapters.h"

namespace sever::providers {

std::unique_ptr<Adapter> make_x_adapter() {
  return std::make_unique<RevokeAdapter>(RevokeSpec{
      .name = "x",
      .path = "/2/oauth2/revoke",
      .type_hint = true,
      .client_auth = ClientAuth::basic_or_public,
  });
}

}  // namespace sever::providers

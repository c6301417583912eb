// Okta: POST /oauth2/v1/revoke on the org (no built-in host), form token + token_type_hint, Basic
// client auth (a public client sends client_id). RFC 7009: 200 for unknown tokens too.
#include "adapter_common.h"
#include "builtin_adapters.h"

namespace sever::providers {

std::unique_ptr<Adapter> make_okta_adapter() {
  return std::make_unique<RevokeAdapter>(RevokeSpec{
      .name = "okta",
      .path = "/oauth2/v1/revoke",
      .base_url_hint = "https://{org}.okta.com",
      .type_hint = true,
      .client_auth = ClientAuth::basic_or_public,
  });
}

}  // namespace sever::providers

// Auth0: POST /oauth/revoke on the tenant (no built-in host), JSON {client_id, client_secret,
// token}. Revokes refresh tokens only (access tokens are JWTs that cannot be revoked: sending
// one would be answered 200 and wrongly count as revoked). 200 for unknown tokens too.
#include "adapter_common.h"
#include "builtin_adapters.h"

namespace sever::providers {

std::unique_ptr<Adapter> make_auth0_adapter() {
  return std::make_unique<RevokeAdapter>(RevokeSpec{
      .name = "auth0",
      .path = "/oauth/revoke",
      .base_url_hint = "https://{tenant}.auth0.com",
      .body = BodyKind::json,
      .client_auth = ClientAuth::in_body_public,
      .kinds = {Kind::oauth_refresh},
  });
}

}  // namespace sever::providers

// HubSpot (v1): DELETE /oauth/v1/refresh-tokens/{token}, no auth. Revokes refresh tokens only;
// access tokens expire within minutes and cannot be revoked. 204 revoked, 404 already gone,
// 429 with errorType RATE_LIMIT and X-HubSpot-RateLimit-* headers.
#include "adapter_common.h"
#include "builtin_adapters.h"

namespace sever::providers {

std::unique_ptr<Adapter> make_hubspot_adapter() {
  return std::make_unique<RevokeAdapter>(RevokeSpec{
      .name = "hubspot",
      .method = "DELETE",
      .path = "/oauth/v1/refresh-tokens/{token}",
      .body = BodyKind::none,
      .token_in = TokenIn::path,
      .kinds = {Kind::oauth_refresh},
      .gone_statuses = {404},
  });
}

}  // namespace sever::providers

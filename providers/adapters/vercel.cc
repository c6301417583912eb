// Vercel: DELETE /v3/user/tokens/current with the token as its own bearer: revokes the calling
// token (access tokens and API tokens alike). 401, 403 (the token no longer authenticates) and
// 404 mean already gone.
#include "adapter_common.h"
#include "builtin_adapters.h"

namespace sever::providers {

std::unique_ptr<Adapter> make_vercel_adapter() {
  return std::make_unique<RevokeAdapter>(RevokeSpec{
      .name = "vercel",
      .method = "DELETE",
      .path = "/v3/user/tokens/current",
      .body = BodyKind::none,
      .token_in = TokenIn::bearer,
      .kinds = {Kind::oauth_access, Kind::api_key, Kind::pat},
      .gone_statuses = {401, 403, 404},
  });
}

}  // namespace sever::providers

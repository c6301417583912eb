// Linear: POST /oauth/revoke with the token as its own bearer. 400 or 401 mean already gone; a
// GraphQL error with extensions.code RATELIMITED (even on 200 or 400) means rate limited.
#include "adapter_common.h"
#include "builtin_adapters.h"

namespace sever::providers {

std::unique_ptr<Adapter> make_linear_adapter() {
  return std::make_unique<RevokeAdapter>(RevokeSpec{
      .name = "linear",
      .path = "/oauth/revoke",
      .body = BodyKind::none,
      .token_in = TokenIn::bearer,
      .kinds = {Kind::oauth_access},  // a refresh token cannot authenticate the call
      .gone_statuses = {400, 401},
  });
}

}  // namespace sever::providers

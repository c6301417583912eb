// Dropbox: POST /2/auth/token/revoke with the token as its own bearer and no body. 200 revoked;
// 401 (invalid_access_token, …) means the token no longer authenticates: already gone.
#include "adapter_common.h"
#include "builtin_adapters.h"

namespace sever::providers {

std::unique_ptr<Adapter> make_dropbox_adapter() {
  return std::make_unique<RevokeAdapter>(RevokeSpec{
      .name = "dropbox",
      .path = "/2/auth/token/revoke",
      .body = BodyKind::none,
      .token_in = TokenIn::bearer,
      .kinds = {Kind::oauth_access},  // a refresh token cannot authenticate the call
      .gone_statuses = {401},
  });
}

}  // namespace sever::providers

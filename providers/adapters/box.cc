// Box: POST /oauth2/revoke, form token + client_id + client_secret (access or refresh token).
// 400 invalid_token means already gone.
#include "adapter_common.h"
#include "builtin_adapters.h"

namespace sever::providers {

std::unique_ptr<Adapter> make_box_adapter() {
  return std::make_unique<RevokeAdapter>(RevokeSpec{
      .name = "box",
      .path = "/oauth2/revoke",
      .client_auth = ClientAuth::in_body,
      .gone_statuses = {400},
      .gone_errors = {"invalid_token"},
  });
}

}  // namespace sever::providers

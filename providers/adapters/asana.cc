// Asana: POST /-/oauth_revoke, form token + client_id + client_secret. 400 invalid_token means
// already gone.
#include "adapter_common.h"
#include "builtin_adapters.h"

namespace sever::providers {

std::unique_ptr<Adapter> make_asana_adapter() {
  return std::make_unique<RevokeAdapter>(RevokeSpec{
      .name = "asana",
      .path = "/-/oauth_revoke",
      .client_auth = ClientAuth::in_body,
      .gone_statuses = {400},
      .gone_errors = {"invalid_token"},
  });
}

}  // namespace sever::providers

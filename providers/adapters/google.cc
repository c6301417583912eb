// Google: POST /revoke, form token (access or refresh), no client auth. Unlike RFC 7009, an
// expired or already revoked token is answered 400 invalid_token.
#include "adapter_common.h"
#include "builtin_adapters.h"

namespace sever::providers {

std::unique_ptr<Adapter> make_google_adapter() {
  return std::make_unique<RevokeAdapter>(RevokeSpec{
      .name = "google",
      .path = "/revoke",
      .gone_statuses = {400},
      .gone_errors = {"invalid_token"},
  });
}

}  // namespace sever::providers

// Discord: POST /api/oauth2/token/revoke, form token + token_type_hint, Basic client auth. 200 for
// unknown tokens too; 429 bodies carry retry_after (float seconds) beside X-RateLimit-*.
#include "adapter_common.h"
#include "builtin_adapters.h"

namespace sever::providers {

std::unique_ptr<Adapter> make_discord_adapter() {
  return std::make_unique<RevokeAdapter>(RevokeSpec{
      .name = "discord",
      .path = "/api/oauth2/token/revoke",
      .type_hint = true,
      .client_auth = ClientAuth::basic,
  });
}

}  // namespace sever::providers

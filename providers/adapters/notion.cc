// Notion: POST /v1/oauth/revoke, JSON {"token": T}, Basic client auth, Notion-Version header.
// 400 code invalid_grant means already gone; 429 rate_limited and 529 service_overload are
// rate limits.
#include "adapter_common.h"
#include "builtin_adapters.h"

namespace sever::providers {

std::unique_ptr<Adapter> make_notion_adapter() {
  return std::make_unique<RevokeAdapter>(RevokeSpec{
      .name = "notion",
      .path = "/v1/oauth/revoke",
      .body = BodyKind::json,
      .client_auth = ClientAuth::basic,
      .extra_headers = {{"Notion-Version", "2022-06-28"}},
      .gone_statuses = {400},
      .gone_errors = {"invalid_grant"},
  });
}

}  // namespace sever::providers

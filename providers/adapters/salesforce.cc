// Salesforce: POST /services/oauth2/revoke on the org's My Domain (or login.salesforce.com), form
// token, no client auth. 400 invalid_token means already gone; limits come as 403
// REQUEST_LIMIT_EXCEEDED or 429 (see parse_rate_signal).
#include "adapter_common.h"
#include "builtin_adapters.h"

namespace sever::providers {

std::unique_ptr<Adapter> make_salesforce_adapter() {
  return std::make_unique<RevokeAdapter>(RevokeSpec{
      .name = "salesforce",
      .path = "/services/oauth2/revoke",
      .gone_statuses = {400},
      .gone_errors = {"invalid_token"},
  });
}

}  // namespace sever::providers

// Sentry: POST /oauth/revoke/, form token + client_id + client_secret. RFC 7009 semantics: 200
// for unknown tokens too; limits in X-Sentry-Rate-Limit-*.
#include "adapter_common.h"
#include "builtin_adapters.h"

namespace sever::providers {

std::unique_ptr<Adapter> make_sentry_adapter() {
  return std::make_unique<RevokeAdapter>(RevokeSpec{
      .name = "sentry",
      .path = "/oauth/revoke/",
      .client_auth = ClientAuth::in_body,
  });
}

}  // namespace sever::providers

// Slack auth.revoke: POST /api/auth.revoke with the token as its own bearer and an empty form
// body. Slack answers errors with HTTP 200 and {"ok": false, "error": …}: invalid_auth,
// token_revoked, account_inactive (and token_expired) mean already gone; other errors are
// permanent. Quotas are per workspace per app: the quota is per tenant and client.
#include "adapter_common.h"
#include "builtin_adapters.h"

#include <nlohmann/json.hpp>

namespace sever::providers {
namespace {

class SlackAdapter final : public RevokeAdapter {
 public:
  SlackAdapter()
      : RevokeAdapter(RevokeSpec{
            .name = "slack",
            .path = "/api/auth.revoke",
            .token_in = TokenIn::bearer,
            // A refresh token cannot authenticate a call: it would read as invalid_auth.
            .kinds = {Kind::oauth_access, Kind::bot_token},
            .quota = QuotaScope::tenant,
        }) {}

 protected:
  std::optional<Outcome> judge(const HttpResponse& r, const ErrorInfo& error) const override {
    if (r.status != 200) return std::nullopt;
    auto j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    auto ok = j.is_object() ? j.find("ok") : j.end();
    if (!j.is_object() || ok == j.end() || !ok->is_boolean()) {
      return Outcome::retry;  // not Slack's answer (a proxy page?): ask again
    }
    if (ok->get<bool>()) return Outcome::revoked;
    for (std::string_view gone : {"invalid_auth", "token_revoked", "account_inactive",
                                  "token_expired"}) {
      if (error.code == gone) return Outcome::already_gone;
    }
    return Outcome::failed;
  }
};

}  // namespace

std::unique_ptr<Adapter> make_slack_adapter() { return std::make_unique<SlackAdapter>(); }

}  // namespace sever::providers

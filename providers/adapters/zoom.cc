// Zoom: POST /oauth/revoke, form token, Basic client auth. 200 {"status":"success"}; an unknown
// token is 400 {"reason":"Invalid Token!","error":"invalid_request"}: already gone. Other 400s
// are permanent. Limits are per account: the quota is per tenant and client.
#include "adapter_common.h"
#include "builtin_adapters.h"

namespace sever::providers {
namespace {

bool mentions_invalid_token(std::string_view s) {
  std::string lower(s);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower.find("invalid token") != std::string::npos;
}

class ZoomAdapter final : public RevokeAdapter {
 public:
  ZoomAdapter()
      : RevokeAdapter(RevokeSpec{
            .name = "zoom",
            .path = "/oauth/revoke",
            .client_auth = ClientAuth::basic,
            .quota = QuotaScope::tenant,
        }) {}

 protected:
  std::optional<Outcome> judge(const HttpResponse& r, const ErrorInfo& error) const override {
    if (r.status != 400) return std::nullopt;
    if (error.code == "invalid_token" || mentions_invalid_token(error.message)) {
      return Outcome::already_gone;
    }
    return std::nullopt;
  }
};

}  // namespace

std::unique_ptr<Adapter> make_zoom_adapter() { return std::make_unique<ZoomAdapter>(); }

}  // namespace sever::providers

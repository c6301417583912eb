// Providers without a revocation API: no request; the item becomes manual with the action the
// config names (ProviderConfig::manual_action).
#include "adapter_common.h"
#include "builtin_adapters.h"

namespace sever::providers {
namespace {

class ManualAdapter final : public Adapter {
 public:
  std::string_view name() const override { return "manual"; }
  bool has_api() const override { return false; }
  bool revokes(Kind) const override { return false; }

  Result<HttpRequest> Build(const RevokeItem&, const ProviderConfig& config) const override {
    std::string action = config.manual_action.empty() ? "add the provider to the providers file"
                                                      : config.manual_action;
    return Status::Refused(provider_label(config, name()) + " has no revocation API: " + action);
  }

  Classification Classify(const HttpResponse&, const RevokeItem&, double) const override {
    return Classification{.outcome = Outcome::manual, .detail = "no revocation API", .rate = {}};
  }
};

}  // namespace

std::unique_ptr<Adapter> make_manual_adapter() { return std::make_unique<ManualAdapter>(); }

}  // namespace sever::providers

#include "sever/providers/registry.h"

#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "builtin_adapters.h"

namespace sever::providers {
namespace {

struct Registry {
  std::shared_mutex mu;
  std::map<std::string, const Adapter*, std::less<>> by_name;
  std::vector<std::unique_ptr<Adapter>> owned;  // never shrinks: pointers stay valid
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: adapters outlive every caller
  return *r;
}

void add(std::unique_ptr<Adapter> adapter, bool replace) {
  if (!adapter) return;
  Registry& r = registry();
  std::unique_lock lock(r.mu);
  std::string name(adapter->name());
  auto it = r.by_name.find(name);
  if (it != r.by_name.end() && !replace) return;
  r.by_name[name] = adapter.get();
  r.owned.push_back(std::move(adapter));
}

}  // namespace

void register_builtin_providers() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (auto make : {make_rfc7009_adapter, make_google_adapter, make_github_adapter,
                      make_github_grant_adapter, make_slack_adapter, make_salesforce_adapter,
                      make_hubspot_adapter, make_dropbox_adapter, make_zoom_adapter,
                      make_okta_adapter, make_auth0_adapter, make_discord_adapter, make_x_adapter,
                      make_sentry_adapter, make_vercel_adapter, make_linear_adapter,
                      make_asana_adapter, make_notion_adapter, make_box_adapter,
                      make_manual_adapter}) {
      add(make(), /*replace=*/false);
    }
  });
}

void register_adapter(std::unique_ptr<Adapter> adapter) { add(std::move(adapter), true); }

const Adapter* find_adapter(std::string_view name) {
  Registry& r = registry();
  std::shared_lock lock(r.mu);
  auto it = r.by_name.find(name);
  return it == r.by_name.end() ? nullptr : it->second;
}

std::vector<std::string_view> adapter_names() {
  Registry& r = registry();
  std::shared_lock lock(r.mu);
  std::vector<std::string_view> out;
  out.reserve(r.by_name.size());
  for (const auto& [name, adapter] : r.by_name) out.push_back(name);  // map keys: stable
  return out;
}

}  // namespace sever::providers

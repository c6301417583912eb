// Helpers shared by the provider tests: sample items, configs and responses.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sever/providers/adapter.h"
#include "sever/providers/registry.h"

namespace sever::providers::testing {

/// A fixed "now" for every rate-limit computation: 2023-11-14T22:13:20Z.
inline constexpr double kNow = 1700000000;

/// A token with characters that form encoding must escape.
inline constexpr std::string_view kToken = "ya29.a0+b/c=d";

inline RevokeItem make_item(Kind kind = Kind::oauth_access, std::string_view token = kToken) {
  RevokeItem item;
  item.tenant = "acme";
  item.id = "c1";
  item.tool = "tool";
  item.kind = kind;
  item.client = "app1";
  item.token = SecretBytes(token);
  return item;
}

inline ProviderConfig make_config(std::string name, std::string adapter, std::string base_url,
                                  std::string client_id = "", std::string_view secret = "") {
  ProviderConfig c;
  c.name = std::move(name);
  c.adapter = std::move(adapter);
  c.base_url = std::move(base_url);
  c.client_id = std::move(client_id);
  if (!secret.empty()) {
    c.client_secret = SecretBytes(secret);
    c.client_secret_env = "TEST_SECRET";
  }
  return c;
}

inline HttpResponse make_response(long status, std::string body = "",
                                  std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.seconds = 0.05;
  return r;
}

/// Returns the registered built-in adapter of this name (registering the built-ins first).
inline const Adapter& adapter_named(std::string_view name) {
  register_builtin_providers();
  const Adapter* a = find_adapter(name);
  if (a == nullptr) std::abort();
  return *a;
}

using Headers = std::vector<std::pair<std::string, std::string>>;

}  // namespace sever::providers::testing

// The providers file: per tool, which adapter, where and how fast; overrides the built-in catalog.
//
//   {"providers": {
//     "github":   {"adapter": "github", "base_url": "http://127.0.0.1:18080/github",
//                  "client_id": "Iv1.x", "client_secret_env": "GH_SECRET",
//                  "rate_limit_per_s": 50, "max_concurrency": 64},
//     "acme-sso": {"adapter": "rfc7009", "endpoint": "http://127.0.0.1:18080/acme/revoke"}}}
//
// Keys are credentials' `tool` values. Fields: adapter, base_url, endpoint, client_id,
// client_secret_env, rate_limit_per_s, max_concurrency, max_attempts, timeout_s, manual_action,
// quota ("client": one rate limit per OAuth client; "tenant": per tenant and client).
// A tool the catalog knows starts from its built-in config and the file changes only the fields
// it names (a new adapter also resets base_url to that adapter's host). Secrets come only from
// the environment variable client_secret_env names; plain http only to loopback hosts.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sever/providers/adapter.h"
#include "sever/store/status.h"

namespace sever::providers {

/// The provider configs a job uses: the built-in catalog overridden by a providers file.
/// Immutable once loaded; For() is thread-safe.
class ProviderSet {
 public:
  /// A set with the built-in catalog only.
  ProviderSet();
  ~ProviderSet();
  ProviderSet(ProviderSet&&) noexcept;
  ProviderSet& operator=(ProviderSet&&) noexcept;

  /// Returns the config for a tool: the file's entry, else builtin_provider_config(tool) (an
  /// unknown tool gets the manual adapter). The reference lives as long as the set.
  const ProviderConfig& For(std::string_view tool) const;

  /// Returns the path the set was loaded from; empty for the built-in catalog alone.
  const std::string& source() const;

  /// Returns the tools the file configures, sorted.
  std::vector<std::string_view> configured_tools() const;

 private:
  friend Result<ProviderSet> parse_providers(std::string_view text, const std::string& source);
  struct State;
  std::unique_ptr<State> state_;
};

/// Loads a providers file; an empty path gives the built-in catalog alone. Returns
/// invalid_argument naming the file, the provider and the field: "providers.json: provider
/// 'github': unknown field 'rate'", "…: client_secret_env GH_SECRET is not set", "…: inline
/// client_secret is not allowed, use client_secret_env", "…: plain http is allowed only to
/// loopback: http://10.0.0.1/…", "…: unknown adapter 'gihub' (known: asana, auth0, …)"; and
/// what the adapter requires ("…: client_id is required …"). Secrets are never in messages.
Result<ProviderSet> load_providers(const std::string& path_or_empty);

/// Parses the text of a providers file; `source` names it in messages (and in source()).
Result<ProviderSet> parse_providers(std::string_view text, const std::string& source);

}  // namespace sever::providers

// The built-in provider catalog: for each tool (a credential's `tool`) the adapter, the real API
// host and a starting pace. A providers file (providers_file.h) overrides any of it.
//
// Seeds come from ../shared/providers.md: github 3/s (DELETE costs 5 of GitHub's 900 secondary
// points a minute: ~180/min), slack 1/s per workspace (auth.revoke is tier 3, 50+/min), hubspot
// 10/s (100 per 10 s per account), google 50/s (unconfirmed), notion 3/s (Notion's documented
// average), everything else 10/s. Tools without a revocation API map to the manual adapter with
// the action an admin must take; unknown tools too ("add the provider to the providers file").
#pragma once

#include <string_view>
#include <vector>

#include "sever/providers/adapter.h"

namespace sever::providers {

/// The manual action of a tool the catalog cannot revoke at all.
inline constexpr std::string_view kAddProviderAction = "add the provider to the providers file";

/// Returns the built-in config for a tool: name = tool, the adapter, base_url =
/// default_base_url(adapter), the pace seeds and, for the manual adapter, the admin action.
/// Google-family tools (gmail, google_drive, google_calendar, google_docs, google_sheets,
/// google_workspace, google_analytics, google_ads, youtube, bigquery, gcp) map to "google".
/// Never fails: an unknown tool gets the manual adapter with kAddProviderAction.
ProviderConfig builtin_provider_config(std::string_view tool);

/// Returns the real base URL of an adapter's API ("https://api.github.com"), or "" for adapters
/// without a fixed host (rfc7009 takes an endpoint; okta and auth0 live on the customer's
/// domain; manual) and for unknown names.
std::string_view default_base_url(std::string_view adapter);

/// Returns every tool the catalog has an entry of its own for, sorted.
std::vector<std::string_view> builtin_provider_tools();

}  // namespace sever::providers

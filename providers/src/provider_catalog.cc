// The built-in provider catalog: static data, built once, read-only afterwards.
#include "sever/providers/catalog.h"

#include <algorithm>
#include <array>

namespace sever::providers {
namespace {

struct AdapterHost {
  std::string_view adapter;
  std::string_view base_url;
};

// ENDPOINTS.md's "built-in base_url" column (okta and auth0 live on the customer's domain).
constexpr std::array<AdapterHost, 16> kHosts = {{
    {"google", "https://oauth2.googleapis.com"},
    {"github", "https://api.github.com"},
    {"github-grant", "https://api.github.com"},
    {"slack", "https://slack.com"},
    {"salesforce", "https://login.salesforce.com"},
    {"hubspot", "https://api.hubapi.com"},
    {"dropbox", "https://api.dropboxapi.com"},
    {"zoom", "https://zoom.us"},
    {"discord", "https://discord.com"},
    {"x", "https://api.x.com"},
    {"sentry", "https://sentry.io"},
    {"vercel", "https://api.vercel.com"},
    {"linear", "https://api.linear.app"},
    {"asana", "https://app.asana.com"},
    {"notion", "https://api.notion.com"},
    {"box", "https://api.box.com"},
}};

struct Entry {
  std::string_view tool;
  std::string_view adapter;
  double rate_per_s = 10;
  int concurrency = 16;
  std::string_view action{};  // manual adapter only
};

constexpr std::string_view kAtlassian =
    "the user removes the app under Connected apps, or rotate the app's credentials";
constexpr std::string_view kMicrosoft =
    "Microsoft cannot revoke one token: an admin revokes the user's sessions (Graph POST "
    "/users/{id}/revokeSignInSessions) or deletes the app's consent grant (DELETE "
    "/oauth2PermissionGrants/{id})";

// Sorted by tool (find_entry searches it; checked at compile time below).
constexpr Entry kEntries[] = {
    {"asana", "asana"},
    {"atlassian", "manual", 0, 0, kAtlassian},
    {"auth0", "auth0"},
    {"bigquery", "google", 50, 32},
    {"box", "box"},
    {"confluence", "manual", 0, 0, kAtlassian},
    {"discord", "discord"},
    {"dropbox", "dropbox"},
    {"dynamics_365", "manual", 0, 0, kMicrosoft},
    {"entra_id", "manual", 0, 0, kMicrosoft},
    {"gcp", "google", 50, 32},
    {"github", "github", 3, 8},
    {"gmail", "google", 50, 32},
    {"gong", "manual", 0, 0,
     "a Gong tech admin revokes the app: Admin center > Ecosystem > Connected apps"},
    {"google_ads", "google", 50, 32},
    {"google_analytics", "google", 50, 32},
    {"google_calendar", "google", 50, 32},
    {"google_docs", "google", 50, 32},
    {"google_drive", "google", 50, 32},
    {"google_sheets", "google", 50, 32},
    {"google_workspace", "google", 50, 32},
    {"hubspot", "hubspot", 10, 8},
    {"jira", "manual", 0, 0, kAtlassian},
    {"linear", "linear"},
    {"metabase", "manual", 0, 0, "a superuser deletes the API key: DELETE /api/api-key/:id"},
    {"microsoft_teams", "manual", 0, 0, kMicrosoft},
    {"notion", "notion", 3, 4},
    {"okta", "okta"},
    {"onedrive", "manual", 0, 0, kMicrosoft},
    {"outlook", "manual", 0, 0, kMicrosoft},
    {"render", "manual", 0, 0, "revoke the API key in the Render dashboard"},
    {"salesforce", "salesforce"},
    {"sentry", "sentry"},
    {"sharepoint", "manual", 0, 0, kMicrosoft},
    {"shopify", "manual", 0, 0, "uninstall the app for the shop"},
    {"slack", "slack", 1, 4},
    {"snowflake", "manual", 0, 0,
     "ALTER USER … REMOVE DELEGATED AUTHORIZATION OF ROLE … FROM SECURITY INTEGRATION …"},
    {"vercel", "vercel"},
    {"workday", "manual", 0, 0,
     "delete the refresh token in Workday: Manage Refresh Tokens for Integrations, or disable "
     "the API client"},
    {"x", "x"},
    {"youtube", "google", 50, 32},
    {"zoom", "zoom"},
};

static_assert(std::is_sorted(std::begin(kEntries), std::end(kEntries),
                             [](const Entry& a, const Entry& b) { return a.tool < b.tool; }));

const Entry* find_entry(std::string_view tool) {
  auto end = std::end(kEntries);
  auto it = std::lower_bound(std::begin(kEntries), end, tool,
                             [](const Entry& e, std::string_view t) { return e.tool < t; });
  return (it != end && it->tool == tool) ? it : nullptr;
}

}  // namespace

std::string_view default_base_url(std::string_view adapter) {
  for (const AdapterHost& h : kHosts) {
    if (h.adapter == adapter) return h.base_url;
  }
  return {};
}

ProviderConfig builtin_provider_config(std::string_view tool) {
  ProviderConfig c;
  c.name = std::string(tool);
  const Entry* e = find_entry(tool);
  if (e == nullptr || e->adapter == "manual") {
    c.adapter = "manual";
    c.manual_action = std::string(e == nullptr ? kAddProviderAction : e->action);
    return c;
  }
  c.adapter = std::string(e->adapter);
  c.base_url = std::string(default_base_url(e->adapter));
  c.rate_limit_per_s = e->rate_per_s;
  c.max_concurrency = e->concurrency;
  return c;
}

std::vector<std::string_view> builtin_provider_tools() {
  std::vector<std::string_view> out;
  for (const Entry& e : kEntries) out.push_back(e.tool);
  return out;
}

}  // namespace sever::providers

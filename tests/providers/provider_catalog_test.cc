// Tests of the built-in provider catalog: every tool resolves to a registered adapter with a
// usable URL, the families and pace seeds, the manual actions, and unknown tools.
#include "sever/providers/catalog.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "provider_test_util.h"
#include "sever/providers/registry.h"
#include "sever/store/catalog.h"

namespace sever::providers {
namespace {

TEST(ProviderCatalog, EveryStoreToolResolvesToARegisteredAdapter) {
  register_builtin_providers();
  for (const catalog::ToolInfo& t : catalog::tools()) {
    ProviderConfig c = builtin_provider_config(t.name);
    EXPECT_EQ(c.name, t.name);
    const Adapter* a = find_adapter(c.adapter);
    ASSERT_NE(a, nullptr) << t.name << " -> " << c.adapter;
    if (c.adapter == "manual") {
      EXPECT_FALSE(c.manual_action.empty()) << t.name;
      EXPECT_TRUE(c.base_url.empty()) << t.name;
    } else {
      EXPECT_TRUE(c.manual_action.empty()) << t.name;
      if (!c.base_url.empty()) {
        EXPECT_TRUE(is_allowed_url(c.base_url)) << t.name;
      }
      EXPECT_GT(c.rate_limit_per_s, 0) << t.name;
      EXPECT_GE(c.max_concurrency, 1) << t.name;
    }
    EXPECT_EQ(c.max_attempts, 8);
    EXPECT_EQ(c.timeout_s, 10);
  }
}

TEST(ProviderCatalog, GoogleFamilyMapsToGoogle) {
  for (const char* tool : {"gmail", "google_drive", "google_calendar", "google_sheets",
                           "google_docs", "google_workspace", "google_analytics", "google_ads",
                           "youtube", "bigquery", "gcp"}) {
    ProviderConfig c = builtin_provider_config(tool);
    EXPECT_EQ(c.adapter, "google") << tool;
    EXPECT_EQ(c.base_url, "https://oauth2.googleapis.com") << tool;
    EXPECT_EQ(c.rate_limit_per_s, 50) << tool;
  }
}

TEST(ProviderCatalog, PaceSeeds) {
  EXPECT_EQ(builtin_provider_config("github").rate_limit_per_s, 3);
  EXPECT_EQ(builtin_provider_config("slack").rate_limit_per_s, 1);
  EXPECT_EQ(builtin_provider_config("hubspot").rate_limit_per_s, 10);
  EXPECT_EQ(builtin_provider_config("notion").rate_limit_per_s, 3);
  EXPECT_EQ(builtin_provider_config("dropbox").rate_limit_per_s, 10);
  EXPECT_EQ(builtin_provider_config("dropbox").max_concurrency, 16);
}

TEST(ProviderCatalog, ApiProvidersAndTheirHosts) {
  struct Case {
    const char* tool;
    const char* adapter;
    const char* base;
  } cases[] = {{"github", "github", "https://api.github.com"},
               {"slack", "slack", "https://slack.com"},
               {"salesforce", "salesforce", "https://login.salesforce.com"},
               {"hubspot", "hubspot", "https://api.hubapi.com"},
               {"dropbox", "dropbox", "https://api.dropboxapi.com"},
               {"zoom", "zoom", "https://zoom.us"},
               {"okta", "okta", ""},
               {"auth0", "auth0", ""},
               {"discord", "discord", "https://discord.com"},
               {"x", "x", "https://api.x.com"},
               {"sentry", "sentry", "https://sentry.io"},
               {"vercel", "vercel", "https://api.vercel.com"},
               {"linear", "linear", "https://api.linear.app"},
               {"asana", "asana", "https://app.asana.com"},
               {"notion", "notion", "https://api.notion.com"},
               {"box", "box", "https://api.box.com"}};
  for (const Case& c : cases) {
    ProviderConfig p = builtin_provider_config(c.tool);
    EXPECT_EQ(p.adapter, c.adapter) << c.tool;
    EXPECT_EQ(p.base_url, c.base) << c.tool;
  }
}

TEST(ProviderCatalog, DefaultBaseUrls) {
  EXPECT_EQ(default_base_url("github-grant"), "https://api.github.com");
  EXPECT_EQ(default_base_url("google"), "https://oauth2.googleapis.com");
  for (const char* none : {"rfc7009", "okta", "auth0", "manual", "nope", ""}) {
    EXPECT_EQ(default_base_url(none), "") << none;
  }
}

TEST(ProviderCatalog, ToolsWithoutAnApiAreManualWithTheAdminAction) {
  struct Case {
    const char* tool;
    const char* action_part;
  } cases[] = {{"workday", "Manage Refresh Tokens for Integrations"},
               {"gong", "Admin center > Ecosystem > Connected apps"},
               {"snowflake", "REMOVE DELEGATED AUTHORIZATION"},
               {"jira", "Connected apps"},
               {"confluence", "rotate the app's credentials"},
               {"atlassian", "Connected apps"},
               {"render", "Render dashboard"},
               {"metabase", "DELETE /api/api-key/:id"},
               {"shopify", "uninstall the app for the shop"},
               {"outlook", "revokeSignInSessions"}};
  for (const Case& c : cases) {
    ProviderConfig p = builtin_provider_config(c.tool);
    EXPECT_EQ(p.adapter, "manual") << c.tool;
    EXPECT_NE(p.manual_action.find(c.action_part), std::string::npos) << c.tool << ": "
                                                                       << p.manual_action;
  }
}

TEST(ProviderCatalog, UnknownAndUncoveredToolsAskForAProvidersFileEntry) {
  for (const char* tool : {"acme-sso", "gitlab", "stripe", ""}) {
    ProviderConfig p = builtin_provider_config(tool);
    EXPECT_EQ(p.name, tool);
    EXPECT_EQ(p.adapter, "manual");
    EXPECT_EQ(p.manual_action, "add the provider to the providers file");
  }
}

TEST(ProviderCatalog, ToolListIsSortedAndUnique) {
  std::vector<std::string_view> tools = builtin_provider_tools();
  EXPECT_TRUE(std::is_sorted(tools.begin(), tools.end()));
  EXPECT_EQ(std::adjacent_find(tools.begin(), tools.end()), tools.end());
  for (std::string_view t : tools) EXPECT_EQ(builtin_provider_config(t).name, t);
}

TEST(ProviderCatalog, BuiltinConfigsOfClientlessProvidersBuildAsIs) {
  struct Case {
    const char* tool;
    Kind kind;
  } cases[] = {{"gmail", Kind::oauth_refresh}, {"slack", Kind::bot_token},
               {"salesforce", Kind::oauth_access}, {"hubspot", Kind::oauth_refresh},
               {"dropbox", Kind::oauth_access},   {"vercel", Kind::api_key},
               {"linear", Kind::oauth_access}};
  for (const Case& c : cases) {
    ProviderConfig p = builtin_provider_config(c.tool);
    RevokeItem item = testing::make_item(c.kind);
    Result<HttpRequest> r = testing::adapter_named(p.adapter).Build(item, p);
    ASSERT_TRUE(r.ok()) << c.tool << ": " << r.status().ToString();
    EXPECT_TRUE(r->url.starts_with(p.base_url + "/")) << r->url;
  }
}

}  // namespace
}  // namespace sever::providers

// Tests of the tool catalog: its data's invariants, lookup, scope risk and excess scopes.
#include "sever/store/catalog.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace sever::catalog {
namespace {

const std::set<std::string_view> kCategories = {
    "source_code", "email",     "calendar",       "docs",     "storage",  "chat",
    "meetings",    "project",   "crm",            "support",  "payments", "commerce",
    "finance",     "hr",        "data_warehouse", "database", "identity", "secrets",
    "cloud",       "devops",    "analytics",      "marketing", "communications",
    "social",      "ai",        "design"};

TEST(CatalogData, HasAtLeastOneHundredTools) { EXPECT_GE(tools().size(), 100u); }

TEST(CatalogData, NamesAreUniqueLowercaseIdentifiers) {
  std::set<std::string_view> seen;
  for (const ToolInfo& t : tools()) {
    ASSERT_FALSE(t.name.empty());
    for (char ch : t.name)
      EXPECT_TRUE((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')
          << "bad character in tool name " << t.name;
    EXPECT_TRUE(seen.insert(t.name).second) << "duplicate tool " << t.name;
  }
}

TEST(CatalogData, EveryCategoryIsKnown) {
  for (const ToolInfo& t : tools())
    EXPECT_TRUE(kCategories.count(t.category)) << t.name << " has category " << t.category;
}

TEST(CatalogData, RequiredAndOptionalScopesAreDisjointAndDuplicateFree) {
  for (const ToolInfo& t : tools()) {
    std::set<std::string_view> req(t.required_scopes.begin(), t.required_scopes.end());
    std::set<std::string_view> opt(t.optional_scopes.begin(), t.optional_scopes.end());
    EXPECT_EQ(req.size(), t.required_scopes.size()) << t.name << ": duplicate required scope";
    EXPECT_EQ(opt.size(), t.optional_scopes.size()) << t.name << ": duplicate optional scope";
    for (std::string_view s : opt) EXPECT_FALSE(req.count(s)) << t.name << ": " << s;
    for (std::string_view s : req) EXPECT_FALSE(s.empty()) << t.name;
    // Optional scopes only make sense on top of a scope model.
    if (t.required_scopes.empty()) {
      EXPECT_TRUE(t.optional_scopes.empty()) << t.name;
    }
  }
}

TEST(CatalogData, ContainsTheMainToolsWithRealScopes) {
  for (std::string_view name :
       {"github", "gitlab", "gmail", "google_drive", "slack", "microsoft_teams", "jira",
        "salesforce", "hubspot", "stripe", "workday", "snowflake", "okta", "aws", "openai",
        "anthropic", "gong", "metabase", "sentry", "vercel", "render", "x"}) {
    EXPECT_NE(find_tool(name), nullptr) << name;
  }
  const ToolInfo* gh = find_tool("github");
  ASSERT_NE(gh, nullptr);
  EXPECT_EQ(gh->category, "source_code");
  EXPECT_EQ(gh->required_scopes,
            (std::vector<std::string_view>{"repo:status", "read:user", "read:org"}));
  for (std::string_view s : {"repo", "admin:org", "delete_repo", "write:org", "workflow"})
    EXPECT_NE(std::find(gh->optional_scopes.begin(), gh->optional_scopes.end(), s),
              gh->optional_scopes.end())
        << s;
  const ToolInfo* gmail = find_tool("gmail");
  ASSERT_NE(gmail, nullptr);
  EXPECT_EQ(gmail->required_scopes,
            (std::vector<std::string_view>{"https://www.googleapis.com/auth/gmail.readonly"}));
  const ToolInfo* sf = find_tool("salesforce");
  ASSERT_NE(sf, nullptr);
  EXPECT_EQ(sf->required_scopes, (std::vector<std::string_view>{"api", "refresh_token"}));
  const ToolInfo* stripe = find_tool("stripe");
  ASSERT_NE(stripe, nullptr);
  EXPECT_TRUE(stripe->required_scopes.empty());  // API keys: no scope model
}

TEST(FindTool, FindsEveryToolByItsOwnName) {
  for (const ToolInfo& t : tools()) EXPECT_EQ(find_tool(t.name), &t) << t.name;
}

TEST(FindTool, UnknownAndMiscasedNamesAreNotFound) {
  EXPECT_EQ(find_tool("no_such_tool"), nullptr);
  EXPECT_EQ(find_tool(""), nullptr);
  EXPECT_EQ(find_tool("GitHub"), nullptr);  // exact match: names are lowercase
  EXPECT_EQ(find_tool("githu"), nullptr);
  EXPECT_EQ(find_tool("githubx"), nullptr);
}

TEST(FindTool, IsSafeToCallFromManyThreads) {
  std::vector<std::thread> threads;
  std::vector<int> found(8, 0);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&found, i] {
      for (int k = 0; k < 1000; ++k) found[i] += find_tool("slack") != nullptr;
    });
  for (auto& th : threads) th.join();
  for (int f : found) EXPECT_EQ(f, 1000);
}

struct RiskCase {
  const char* scope;
  Risk risk;
};

TEST(ScopeRisk, JudgesKnownScopes) {
  const RiskCase cases[] = {
      // GitHub
      {"repo", Risk::high},
      {"public_repo", Risk::high},
      {"repo:status", Risk::medium},
      {"repo_deployment", Risk::medium},
      {"read:user", Risk::medium},
      {"read:org", Risk::medium},
      {"admin:org", Risk::high},
      {"write:org", Risk::high},
      {"delete_repo", Risk::high},
      {"workflow", Risk::high},
      // Google
      {"https://www.googleapis.com/auth/gmail.readonly", Risk::medium},
      {"https://mail.google.com/", Risk::high},
      {"https://www.googleapis.com/auth/gmail.modify", Risk::high},
      {"https://www.googleapis.com/auth/gmail.send", Risk::high},
      {"https://www.googleapis.com/auth/drive", Risk::high},
      {"https://www.googleapis.com/auth/drive.readonly", Risk::medium},
      {"https://www.googleapis.com/auth/cloud-platform", Risk::high},
      {"https://www.googleapis.com/auth/cloud-platform.read-only", Risk::medium},
      {"https://www.googleapis.com/auth/userinfo.email", Risk::medium},
      {"https://www.googleapis.com/auth/userinfo.profile", Risk::medium},  // "user"
      // Slack
      {"channels:read", Risk::medium},
      {"chat:write", Risk::high},
      {"admin", Risk::high},
      {"channels:history", Risk::medium},
      {"users:read.email", Risk::medium},
      {"files:write", Risk::high},
      {"team:read", Risk::medium},
      // Salesforce, GitLab, Heroku
      {"api", Risk::high},
      {"refresh_token", Risk::low},
      {"full", Risk::high},
      {"web", Risk::low},
      {"read_api", Risk::medium},
      {"sudo", Risk::high},
      {"global", Risk::high},
      // Microsoft
      {"Mail.Read", Risk::medium},
      {"Mail.Send", Risk::high},
      {"Mail.ReadWrite", Risk::high},
      {"Files.Read.All", Risk::high},
      {"User.Read", Risk::medium},
      {"https://graph.microsoft.com/.default", Risk::high},
      {"https://management.azure.com/user_impersonation", Risk::high},
      // Others
      {"offline_access", Risk::low},
      {"openid", Risk::low},
      {"profile", Risk::low},
      {"public_profile", Risk::low},
      {"email", Risk::medium},
      {"contacts:read", Risk::medium},
      {"okta.users.manage", Risk::high},
      {"session:role:ACCOUNTADMIN", Risk::high},
      {"session:role:ANALYST", Risk::low},
      {"session:role-any", Risk::high},
      {"all-apis", Risk::high},
      {"ZohoCRM.modules.ALL", Risk::high},
      {"read_all_orders", Risk::high},
      {"w_member_social", Risk::high},
      {"r_organization_social", Risk::medium},
      {"update:users", Risk::high},
      {"issues:create", Risk::high},
      {"*", Risk::high},
      {"calls:read", Risk::medium},  // "calls" is not the word "all"
      {"accounting.reports.read", Risk::medium},
      {"", Risk::low},
  };
  for (const RiskCase& c : cases)
    EXPECT_EQ(scope_risk(c.scope), c.risk)
        << c.scope << " judged " << to_string(scope_risk(c.scope));
}

TEST(ScopeRisk, IsCaseInsensitive) {
  EXPECT_EQ(scope_risk("ADMIN:ORG"), Risk::high);
  EXPECT_EQ(scope_risk("Repo"), Risk::high);
  EXPECT_EQ(scope_risk("REPO:STATUS"), Risk::medium);
  EXPECT_EQ(scope_risk("HTTPS://MAIL.GOOGLE.COM/"), Risk::high);
  EXPECT_EQ(scope_risk("READ_SHEETS"), Risk::medium);
  EXPECT_EQ(scope_risk("OFFLINE_ACCESS"), Risk::low);
}

TEST(ScopeRisk, CatalogScopesAreJudgedLikeAnyOtherSpelling) {
  // Catalog scopes are answered from a precomputed table; other spellings take the heuristic.
  for (const ToolInfo& t : tools()) {
    std::vector<std::string_view> all(t.required_scopes.begin(), t.required_scopes.end());
    all.insert(all.end(), t.optional_scopes.begin(), t.optional_scopes.end());
    for (std::string_view s : all) {
      std::string upper(s);
      for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      EXPECT_EQ(scope_risk(upper), scope_risk(s)) << t.name << ": " << s;
    }
  }
}

TEST(ScopeRisk, HandlesScopesLongerThanTheStackBuffer) {
  std::string long_low(300, 'x');
  EXPECT_EQ(scope_risk(long_low), Risk::low);
  EXPECT_EQ(scope_risk(long_low + ":WRITE"), Risk::high);
  EXPECT_EQ(scope_risk(long_low + ".read"), Risk::medium);
}

TEST(ScopeRisk, EveryCatalogScopeIsJudgedAndMostOptionalsAreRiskier) {
  int tools_with_riskier_optional = 0, tools_with_optional = 0;
  for (const ToolInfo& t : tools()) {
    if (t.optional_scopes.empty()) continue;
    ++tools_with_optional;
    Risk req = Risk::low, opt = Risk::low;
    for (auto s : t.required_scopes) req = std::max(req, scope_risk(s));
    for (auto s : t.optional_scopes) opt = std::max(opt, scope_risk(s));
    if (opt == Risk::high) ++tools_with_riskier_optional;
  }
  // Over-granted scopes are what makes a credential dangerous: nearly every tool offers a
  // high-risk optional scope.
  EXPECT_GE(tools_with_riskier_optional * 10, tools_with_optional * 8);
}

TEST(ToString, NamesEachRisk) {
  EXPECT_EQ(to_string(Risk::low), "low");
  EXPECT_EQ(to_string(Risk::medium), "medium");
  EXPECT_EQ(to_string(Risk::high), "high");
}

TEST(MaxRisk, ReturnsTheHighest) {
  EXPECT_EQ(max_risk({}), Risk::low);
  std::vector<std::string> low = {"openid", "offline_access"};
  EXPECT_EQ(max_risk(low), Risk::low);
  std::vector<std::string> med = {"openid", "read:user", "web"};
  EXPECT_EQ(max_risk(med), Risk::medium);
  std::vector<std::string> high = {"read:user", "admin:org", "openid"};
  EXPECT_EQ(max_risk(high), Risk::high);
}

TEST(SensitiveCategory, FollowsTheToolsCategory) {
  for (std::string_view t : {"github", "gitlab", "gmail", "outlook", "okta", "entra_id", "aws",
                             "gcp", "hashicorp_vault", "workday", "stripe", "snowflake",
                             "postgres"})
    EXPECT_TRUE(is_sensitive_category(t)) << t;
  for (std::string_view t : {"slack", "jira", "notion", "hubspot", "metabase", "figma", "x"})
    EXPECT_FALSE(is_sensitive_category(t)) << t;
  EXPECT_FALSE(is_sensitive_category("no_such_tool"));
  EXPECT_FALSE(is_sensitive_category("source_code"));  // a category is not a tool
}

TEST(ExcessScopes, GithubAdminOrgIsExcess) {
  std::vector<std::string> granted = {"repo:status", "read:user", "read:org", "admin:org"};
  EXPECT_EQ(excess_scopes("github", granted), (std::vector<std::string>{"admin:org"}));
}

TEST(ExcessScopes, NoneForExactlyTheRequiredSet) {
  for (const ToolInfo& t : tools()) {
    std::vector<std::string> granted(t.required_scopes.begin(), t.required_scopes.end());
    EXPECT_TRUE(excess_scopes(t.name, granted).empty()) << t.name;
  }
}

TEST(ExcessScopes, NoneForASubsetOfTheRequiredSet) {
  std::vector<std::string> granted = {"read:org"};
  EXPECT_TRUE(excess_scopes("github", granted).empty());
}

TEST(ExcessScopes, KeepsGivenOrderAndReportsEachOnce) {
  std::vector<std::string> granted = {"workflow", "read:user", "repo", "workflow", "Repo:Status"};
  // Scopes compare exactly: "Repo:Status" is not the required "repo:status".
  EXPECT_EQ(excess_scopes("github", granted),
            (std::vector<std::string>{"workflow", "repo", "Repo:Status"}));
}

TEST(ExcessScopes, EveryOptionalScopeIsExcess) {
  for (const ToolInfo& t : tools()) {
    std::vector<std::string> granted(t.required_scopes.begin(), t.required_scopes.end());
    granted.insert(granted.end(), t.optional_scopes.begin(), t.optional_scopes.end());
    std::vector<std::string> want(t.optional_scopes.begin(), t.optional_scopes.end());
    EXPECT_EQ(excess_scopes(t.name, granted), want) << t.name;
  }
}

TEST(ExcessScopes, UnknownToolsAndToolsWithoutScopeModelHaveNone) {
  std::vector<std::string> granted = {"admin", "write"};
  EXPECT_EQ(find_tool("no_such_tool"), nullptr);
  EXPECT_TRUE(excess_scopes("no_such_tool", granted).empty());
  EXPECT_TRUE(excess_scopes("stripe", granted).empty());
  EXPECT_TRUE(excess_scopes("openai", granted).empty());
}

TEST(ExcessScopes, SlackAdminAndHistoryAreExcess) {
  std::vector<std::string> granted = {"channels:read", "chat:write", "users:read", "team:read",
                                      "admin", "channels:history"};
  EXPECT_EQ(excess_scopes("slack", granted),
            (std::vector<std::string>{"admin", "channels:history"}));
}

}  // namespace
}  // namespace sever::catalog

// Tests of the requests the built-in adapters build: method, URL, headers and body for a sample
// item, exactly as providers/ENDPOINTS.md describes them, and the configuration errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "provider_test_util.h"
#include "sever/providers/adapter.h"

namespace sever::providers {
namespace {

using testing::adapter_named;
using testing::Headers;
using testing::make_config;
using testing::make_item;

constexpr const char* kBasic = "Basic Y2lkOnMzY3JldA==";  // cid:s3cret
constexpr const char* kForm = "application/x-www-form-urlencoded";
constexpr const char* kJson = "application/json";
constexpr const char* kUa = "sever/0.1";
constexpr const char* kEncodedToken = "ya29.a0%2Bb%2Fc%3Dd";

HttpRequest build_ok(std::string_view adapter, const ProviderConfig& config,
                     Kind kind = Kind::oauth_access) {
  RevokeItem item = make_item(kind);
  Result<HttpRequest> r = adapter_named(adapter).Build(item, config);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return HttpRequest{};
  return std::move(r).value();
}

Status build_error(std::string_view adapter, const ProviderConfig& config,
                   Kind kind = Kind::oauth_access) {
  RevokeItem item = make_item(kind);
  Result<HttpRequest> r = adapter_named(adapter).Build(item, config);
  EXPECT_FALSE(r.ok());
  return r.status();
}

// ---- one test per adapter: the exact request

TEST(AdapterBuild, Rfc7009WithClientUsesBasicAndHint) {
  ProviderConfig c = make_config("acme-sso", "rfc7009", "", "cid", "s3cret");
  c.endpoint = "http://127.0.0.1:18080/acme/revoke";
  HttpRequest r = build_ok("rfc7009", c, Kind::oauth_refresh);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "http://127.0.0.1:18080/acme/revoke");
  EXPECT_EQ(r.headers, (Headers{{"Authorization", kBasic},
                                {"Content-Type", kForm},
                                {"Accept", kJson},
                                {"User-Agent", kUa}}));
  EXPECT_EQ(r.body, std::string("token=") + kEncodedToken + "&token_type_hint=refresh_token");
}

TEST(AdapterBuild, Rfc7009PublicClientSendsClientIdAndNoClientSendsNothing) {
  ProviderConfig pub = make_config("acme-sso", "rfc7009", "", "cid");
  pub.endpoint = "https://sso.acme.example/revoke";
  HttpRequest r = build_ok("rfc7009", pub);
  EXPECT_EQ(r.body, std::string("token=") + kEncodedToken +
                        "&token_type_hint=access_token&client_id=cid");
  EXPECT_EQ(r.headers, (Headers{{"Content-Type", kForm}, {"Accept", kJson}, {"User-Agent", kUa}}));

  ProviderConfig none = make_config("acme-sso", "rfc7009", "");
  none.endpoint = "https://sso.acme.example/revoke";
  HttpRequest n = build_ok("rfc7009", none);
  EXPECT_EQ(n.body, std::string("token=") + kEncodedToken + "&token_type_hint=access_token");
}

TEST(AdapterBuild, Rfc7009RequiresAnEndpoint) {
  Status s = build_error("rfc7009", make_config("acme-sso", "rfc7009", "https://sso.example"));
  EXPECT_EQ(s.code(), Code::invalid_argument);
  EXPECT_EQ(s.message(),
            "provider 'acme-sso': endpoint is required (the full revocation URL) for the rfc7009 "
            "adapter");
}

TEST(AdapterBuild, Google) {
  HttpRequest r = build_ok("google", make_config("gmail", "google", "https://oauth2.googleapis.com"),
                           Kind::oauth_refresh);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://oauth2.googleapis.com/revoke");
  EXPECT_EQ(r.headers, (Headers{{"Content-Type", kForm}, {"Accept", kJson}, {"User-Agent", kUa}}));
  EXPECT_EQ(r.body, std::string("token=") + kEncodedToken);
}

TEST(AdapterBuild, Github) {
  HttpRequest r = build_ok(
      "github", make_config("github", "github", "http://127.0.0.1:18080/github", "Iv1.x", "s3cret"));
  EXPECT_EQ(r.method, "DELETE");
  EXPECT_EQ(r.url, "http://127.0.0.1:18080/github/applications/Iv1.x/token");
  EXPECT_EQ(r.headers, (Headers{{"Authorization", "Basic SXYxLng6czNjcmV0"},
                                {"Content-Type", kJson},
                                {"Accept", "application/vnd.github+json"},
                                {"X-GitHub-Api-Version", "2022-11-28"},
                                {"User-Agent", kUa}}));
  EXPECT_EQ(r.body, R"({"access_token":"ya29.a0+b/c=d"})");
}

TEST(AdapterBuild, GithubGrant) {
  HttpRequest r = build_ok("github-grant",
                           make_config("github", "github-grant", "https://api.github.com/", "cid",
                                       "s3cret"));
  EXPECT_EQ(r.method, "DELETE");
  EXPECT_EQ(r.url, "https://api.github.com/applications/cid/grant");  // trailing '/' joined once
  EXPECT_EQ(r.body, R"({"access_token":"ya29.a0+b/c=d"})");
}

TEST(AdapterBuild, GithubEncodesTheClientIdInThePath) {
  HttpRequest r = build_ok("github",
                           make_config("github", "github", "https://api.github.com", "a/b c", "s"));
  EXPECT_EQ(r.url, "https://api.github.com/applications/a%2Fb%20c/token");
}

TEST(AdapterBuild, JsonBodiesEscapeTheToken) {
  RevokeItem item = make_item(Kind::oauth_access, "q\"b\\s\n\x01");
  Result<HttpRequest> r = adapter_named("github").Build(
      item, make_config("github", "github", "https://api.github.com", "cid", "s3cret"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "{\"access_token\":\"q\\\"b\\\\s\\n\\u0001\"}");
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["access_token"], "q\"b\\s\n\x01");
}

TEST(AdapterBuild, Slack) {
  HttpRequest r = build_ok("slack", make_config("slack", "slack", "https://slack.com"),
                           Kind::bot_token);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://slack.com/api/auth.revoke");
  EXPECT_EQ(r.headers, (Headers{{"Authorization", "Bearer ya29.a0+b/c=d"},
                                {"Content-Type", kForm},
                                {"Accept", kJson},
                                {"User-Agent", kUa}}));
  EXPECT_EQ(r.body, "");
}

TEST(AdapterBuild, Salesforce) {
  HttpRequest r = build_ok("salesforce", make_config("salesforce", "salesforce",
                                                     "https://acme.my.salesforce.com"));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://acme.my.salesforce.com/services/oauth2/revoke");
  EXPECT_EQ(r.headers, (Headers{{"Content-Type", kForm}, {"Accept", kJson}, {"User-Agent", kUa}}));
  EXPECT_EQ(r.body, std::string("token=") + kEncodedToken);
}

TEST(AdapterBuild, Hubspot) {
  HttpRequest r = build_ok("hubspot", make_config("hubspot", "hubspot", "https://api.hubapi.com"),
                           Kind::oauth_refresh);
  EXPECT_EQ(r.method, "DELETE");
  EXPECT_EQ(r.url, std::string("https://api.hubapi.com/oauth/v1/refresh-tokens/") + kEncodedToken);
  EXPECT_EQ(r.headers, (Headers{{"Accept", kJson}, {"User-Agent", kUa}}));
  EXPECT_EQ(r.body, "");
}

TEST(AdapterBuild, Dropbox) {
  HttpRequest r = build_ok("dropbox", make_config("dropbox", "dropbox", "https://api.dropboxapi.com"));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://api.dropboxapi.com/2/auth/token/revoke");
  EXPECT_EQ(r.headers, (Headers{{"Authorization", "Bearer ya29.a0+b/c=d"},
                                {"Accept", kJson},
                                {"User-Agent", kUa}}));
  EXPECT_EQ(r.body, "");
}

TEST(AdapterBuild, Zoom) {
  HttpRequest r = build_ok("zoom", make_config("zoom", "zoom", "https://zoom.us", "cid", "s3cret"));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://zoom.us/oauth/revoke");
  EXPECT_EQ(r.headers, (Headers{{"Authorization", kBasic},
                                {"Content-Type", kForm},
                                {"Accept", kJson},
                                {"User-Agent", kUa}}));
  EXPECT_EQ(r.body, std::string("token=") + kEncodedToken);
}

TEST(AdapterBuild, Okta) {
  HttpRequest r = build_ok("okta", make_config("okta", "okta", "https://acme.okta.com", "cid",
                                               "s3cret"), Kind::oauth_refresh);
  EXPECT_EQ(r.url, "https://acme.okta.com/oauth2/v1/revoke");
  EXPECT_EQ(r.headers, (Headers{{"Authorization", kBasic},
                                {"Content-Type", kForm},
                                {"Accept", kJson},
                                {"User-Agent", kUa}}));
  EXPECT_EQ(r.body, std::string("token=") + kEncodedToken + "&token_type_hint=refresh_token");
}

TEST(AdapterBuild, OktaPublicClient) {
  HttpRequest r = build_ok("okta", make_config("okta", "okta", "https://acme.okta.com", "cid"));
  EXPECT_EQ(r.headers, (Headers{{"Content-Type", kForm}, {"Accept", kJson}, {"User-Agent", kUa}}));
  EXPECT_EQ(r.body, std::string("token=") + kEncodedToken +
                        "&token_type_hint=access_token&client_id=cid");
}

TEST(AdapterBuild, OktaAndAuth0NeedTheCustomersBaseUrl) {
  Status okta = build_error("okta", make_config("okta", "okta", "", "cid", "s3cret"));
  EXPECT_EQ(okta.message(), "provider 'okta': base_url is required (https://{org}.okta.com)");
  Status auth0 = build_error("auth0", make_config("auth0", "auth0", "", "cid", "s3cret"),
                             Kind::oauth_refresh);
  EXPECT_EQ(auth0.message(), "provider 'auth0': base_url is required (https://{tenant}.auth0.com)");
}

TEST(AdapterBuild, Auth0) {
  HttpRequest r = build_ok("auth0", make_config("auth0", "auth0", "https://acme.auth0.com", "cid",
                                                "s3cret"), Kind::oauth_refresh);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://acme.auth0.com/oauth/revoke");
  EXPECT_EQ(r.headers, (Headers{{"Content-Type", kJson}, {"Accept", kJson}, {"User-Agent", kUa}}));
  EXPECT_EQ(r.body, R"({"client_id":"cid","client_secret":"s3cret","token":"ya29.a0+b/c=d"})");
}

TEST(AdapterBuild, Auth0PublicClientOmitsTheSecret) {
  HttpRequest r = build_ok("auth0", make_config("auth0", "auth0", "https://acme.auth0.com", "cid"),
                           Kind::oauth_refresh);
  EXPECT_EQ(r.body, R"({"client_id":"cid","token":"ya29.a0+b/c=d"})");
}

TEST(AdapterBuild, Discord) {
  HttpRequest r = build_ok("discord", make_config("discord", "discord", "https://discord.com", "cid",
                                                  "s3cret"));
  EXPECT_EQ(r.url, "https://discord.com/api/oauth2/token/revoke");
  EXPECT_EQ(r.headers, (Headers{{"Authorization", kBasic},
                                {"Content-Type", kForm},
                                {"Accept", kJson},
                                {"User-Agent", kUa}}));
  EXPECT_EQ(r.body, std::string("token=") + kEncodedToken + "&token_type_hint=access_token");
}

TEST(AdapterBuild, X) {
  HttpRequest r = build_ok("x", make_config("x", "x", "https://api.x.com", "cid", "s3cret"),
                           Kind::oauth_refresh);
  EXPECT_EQ(r.url, "https://api.x.com/2/oauth2/revoke");
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Authorization", kBasic}));
  EXPECT_EQ(r.body, std::string("token=") + kEncodedToken + "&token_type_hint=refresh_token");
  HttpRequest pub = build_ok("x", make_config("x", "x", "https://api.x.com", "cid"));
  EXPECT_EQ(pub.body, std::string("token=") + kEncodedToken +
                          "&token_type_hint=access_token&client_id=cid");
}

TEST(AdapterBuild, Sentry) {
  HttpRequest r = build_ok("sentry", make_config("sentry", "sentry", "https://sentry.io", "cid",
                                                 "s3cret"));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://sentry.io/oauth/revoke/");
  EXPECT_EQ(r.headers, (Headers{{"Content-Type", kForm}, {"Accept", kJson}, {"User-Agent", kUa}}));
  EXPECT_EQ(r.body, std::string("token=") + kEncodedToken + "&client_id=cid&client_secret=s3cret");
}

TEST(AdapterBuild, Vercel) {
  HttpRequest r = build_ok("vercel", make_config("vercel", "vercel", "https://api.vercel.com"),
                           Kind::api_key);
  EXPECT_EQ(r.method, "DELETE");
  EXPECT_EQ(r.url, "https://api.vercel.com/v3/user/tokens/current");
  EXPECT_EQ(r.headers, (Headers{{"Authorization", "Bearer ya29.a0+b/c=d"},
                                {"Accept", kJson},
                                {"User-Agent", kUa}}));
  EXPECT_EQ(r.body, "");
}

TEST(AdapterBuild, Linear) {
  HttpRequest r = build_ok("linear", make_config("linear", "linear", "https://api.linear.app"));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://api.linear.app/oauth/revoke");
  EXPECT_EQ(r.headers, (Headers{{"Authorization", "Bearer ya29.a0+b/c=d"},
                                {"Accept", kJson},
                                {"User-Agent", kUa}}));
  EXPECT_EQ(r.body, "");
}

TEST(AdapterBuild, Asana) {
  HttpRequest r = build_ok("asana", make_config("asana", "asana", "https://app.asana.com", "cid",
                                                "s3cret"));
  EXPECT_EQ(r.url, "https://app.asana.com/-/oauth_revoke");
  EXPECT_EQ(r.headers, (Headers{{"Content-Type", kForm}, {"Accept", kJson}, {"User-Agent", kUa}}));
  EXPECT_EQ(r.body, std::string("token=") + kEncodedToken + "&client_id=cid&client_secret=s3cret");
}

TEST(AdapterBuild, Notion) {
  HttpRequest r = build_ok("notion", make_config("notion", "notion", "https://api.notion.com", "cid",
                                                 "s3cret"));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://api.notion.com/v1/oauth/revoke");
  EXPECT_EQ(r.headers, (Headers{{"Authorization", kBasic},
                                {"Content-Type", kJson},
                                {"Accept", kJson},
                                {"Notion-Version", "2022-06-28"},
                                {"User-Agent", kUa}}));
  EXPECT_EQ(r.body, R"({"token":"ya29.a0+b/c=d"})");
}

TEST(AdapterBuild, Box) {
  HttpRequest r = build_ok("box", make_config("box", "box", "https://api.box.com", "cid", "s3cret"),
                           Kind::oauth_refresh);
  EXPECT_EQ(r.url, "https://api.box.com/oauth2/revoke");
  EXPECT_EQ(r.headers, (Headers{{"Content-Type", kForm}, {"Accept", kJson}, {"User-Agent", kUa}}));
  EXPECT_EQ(r.body, std::string("token=") + kEncodedToken + "&client_id=cid&client_secret=s3cret");
}

TEST(AdapterBuild, ManualRefusesWithTheAdminAction) {
  ProviderConfig c = make_config("workday", "manual", "");
  c.manual_action = "delete the refresh token in Workday";
  Status s = build_error("manual", c);
  EXPECT_EQ(s.code(), Code::refused);
  EXPECT_EQ(s.message(),
            "provider 'workday' has no revocation API: delete the refresh token in Workday");
  const Adapter& m = adapter_named("manual");
  EXPECT_FALSE(m.has_api());
  for (Kind k : {Kind::oauth_access, Kind::oauth_refresh, Kind::api_key, Kind::bot_token, Kind::pat})
    EXPECT_FALSE(m.revokes(k));
}

// ---- configuration errors

TEST(AdapterBuild, ClientIdIsRequiredWhereTheProviderNeedsIt) {
  for (const char* a : {"github", "github-grant", "zoom", "okta", "discord", "x", "sentry",
                        "asana", "notion", "box"}) {
    Status s = build_error(a, make_config("p", a, "https://p.example"));
    EXPECT_EQ(s.code(), Code::invalid_argument) << a;
    EXPECT_EQ(s.message(), "provider 'p': client_id is required (set client_id in the providers file)")
        << a;
  }
}

TEST(AdapterBuild, ClientSecretIsRequiredWhereTheProviderNeedsIt) {
  for (const char* a : {"github", "github-grant", "zoom", "discord", "sentry", "asana", "notion",
                        "box"}) {
    ProviderConfig named = make_config("p", a, "https://p.example", "cid");
    named.client_secret_env = "GH_SECRET";
    EXPECT_EQ(build_error(a, named).message(), "provider 'p': client_secret_env GH_SECRET is not set")
        << a;
    ProviderConfig unnamed = make_config("p", a, "https://p.example", "cid");
    EXPECT_EQ(build_error(a, unnamed).message(),
              "provider 'p': client_secret_env is required (the environment variable that holds "
              "the client secret)")
        << a;
  }
}

TEST(AdapterBuild, ProvidersWithoutClientAuthNeedNoClient) {
  for (const char* a : {"google", "salesforce", "dropbox", "vercel", "linear", "slack"}) {
    RevokeItem item = make_item(Kind::oauth_access);
    EXPECT_TRUE(adapter_named(a).Build(item, make_config("p", a, "https://p.example")).ok()) << a;
  }
}

TEST(AdapterBuild, PlainHttpOnlyToLoopback) {
  Status s = build_error("google", make_config("gmail", "google", "http://10.0.0.1/google"));
  EXPECT_EQ(s.code(), Code::invalid_argument);
  EXPECT_EQ(s.message(), "provider 'gmail': plain http is allowed only to loopback: http://10.0.0.1/google");
  EXPECT_EQ(build_error("google", make_config("gmail", "google", "ftp://x.example")).message(),
            "provider 'gmail': base_url must be an https:// URL: ftp://x.example");
  ProviderConfig ep = make_config("acme", "rfc7009", "");
  ep.endpoint = "http://192.168.1.1/revoke";
  EXPECT_EQ(build_error("rfc7009", ep).message(),
            "provider 'acme': plain http is allowed only to loopback: http://192.168.1.1/revoke");
  HttpRequest local = build_ok("google", make_config("gmail", "google", "http://localhost:9/g"));
  EXPECT_EQ(local.url, "http://localhost:9/g/revoke");
}

TEST(AdapterBuild, EndpointOverridesAFixedPath) {
  ProviderConfig c = make_config("gmail", "google", "https://oauth2.googleapis.com");
  c.endpoint = "https://accounts.google.com/o/oauth2/revoke";
  EXPECT_EQ(build_ok("google", c).url, "https://accounts.google.com/o/oauth2/revoke");
}

TEST(AdapterBuild, EndpointIsRefusedWherePathsCarryParameters) {
  ProviderConfig c = make_config("github", "github", "https://api.github.com", "cid", "s3cret");
  c.endpoint = "https://api.github.com/applications/cid/token";
  EXPECT_EQ(build_error("github", c).message(),
            "provider 'github': the github adapter takes base_url, not endpoint");
  ProviderConfig h = make_config("hubspot", "hubspot", "https://api.hubapi.com");
  h.endpoint = "https://api.hubapi.com/oauth/v1/refresh-tokens";
  EXPECT_EQ(build_error("hubspot", h, Kind::oauth_refresh).code(), Code::invalid_argument);
}

TEST(AdapterBuild, MissingBaseUrl) {
  EXPECT_EQ(build_error("google", make_config("gmail", "google", "")).message(),
            "provider 'gmail': base_url is required");
}

TEST(AdapterBuild, ConfigErrorsNeverShowTheSecret) {
  ProviderConfig c = make_config("github", "github", "http://10.0.0.1/gh", "cid", "TOPSECRET-1");
  EXPECT_EQ(build_error("github", c).message().find("TOPSECRET"), std::string::npos);
}

TEST(AdapterBuild, TheLabelFallsBackToTheAdapterName) {
  Status s = build_error("github", make_config("", "github", "https://api.github.com"));
  EXPECT_EQ(s.message(), "provider 'github': client_id is required (set client_id in the providers file)");
}

// ---- which kinds each adapter revokes

TEST(AdapterBuild, KindsEachAdapterRevokes) {
  using K = Kind;
  struct Case {
    const char* adapter;
    std::vector<Kind> kinds;
  } cases[] = {
      {"rfc7009", {K::oauth_access, K::oauth_refresh}},
      {"google", {K::oauth_access, K::oauth_refresh}},
      {"github", {K::oauth_access}},
      {"github-grant", {K::oauth_access}},
      {"slack", {K::oauth_access, K::bot_token}},
      {"salesforce", {K::oauth_access, K::oauth_refresh}},
      {"hubspot", {K::oauth_refresh}},
      {"dropbox", {K::oauth_access}},
      {"zoom", {K::oauth_access, K::oauth_refresh}},
      {"okta", {K::oauth_access, K::oauth_refresh}},
      {"auth0", {K::oauth_refresh}},
      {"discord", {K::oauth_access, K::oauth_refresh}},
      {"x", {K::oauth_access, K::oauth_refresh}},
      {"sentry", {K::oauth_access, K::oauth_refresh}},
      {"vercel", {K::oauth_access, K::api_key, K::pat}},
      {"linear", {K::oauth_access}},
      {"asana", {K::oauth_access, K::oauth_refresh}},
      {"notion", {K::oauth_access, K::oauth_refresh}},
      {"box", {K::oauth_access, K::oauth_refresh}},
  };
  for (const Case& c : cases) {
    const Adapter& a = adapter_named(c.adapter);
    EXPECT_TRUE(a.has_api());
    for (Kind k : {K::oauth_access, K::oauth_refresh, K::api_key, K::bot_token, K::pat}) {
      bool want = std::find(c.kinds.begin(), c.kinds.end(), k) != c.kinds.end();
      EXPECT_EQ(a.revokes(k), want) << c.adapter << " " << to_string(k);
    }
  }
}

TEST(AdapterBuild, UnsupportedKindIsRefusedNotSent) {
  Status s = build_error("hubspot", make_config("hubspot", "hubspot", "https://api.hubapi.com"),
                         Kind::oauth_access);
  EXPECT_EQ(s.code(), Code::refused);
  EXPECT_EQ(s.message(),
            "provider 'hubspot': the hubspot adapter cannot revoke oauth_access credentials "
            "through the API; revoke it in the provider's console");
  EXPECT_EQ(build_error("google", make_config("gcp", "google", "https://oauth2.googleapis.com"),
                        Kind::api_key)
                .code(),
            Code::refused);
}

// ---- rate keys

TEST(AdapterBuild, SlackAndZoomQuotasArePerTenantAndClient) {
  RevokeItem item = make_item();
  ProviderConfig none;  // no client_id configured: the credential's client
  EXPECT_EQ(rate_key(adapter_named("slack"), item, none), "acme/app1");
  EXPECT_EQ(rate_key(adapter_named("zoom"), item, none), "acme/app1");
  for (const char* a : {"github", "google", "hubspot", "rfc7009", "notion"}) {
    EXPECT_EQ(rate_key(adapter_named(a), item, none), "app1") << a;
  }
}

TEST(AdapterBuild, TheConfiguredClientAndQuotaDecideTheRateKey) {
  RevokeItem item = make_item();
  ProviderConfig c;
  c.client_id = "Iv1.platform";  // requests are made as this client: its quota applies
  EXPECT_EQ(rate_key(adapter_named("github"), item, c), "Iv1.platform");
  EXPECT_EQ(rate_key(adapter_named("slack"), item, c), "acme/Iv1.platform");
  c.quota = QuotaScope::client;  // e.g. an org-wide app: one limit for every workspace
  EXPECT_EQ(rate_key(adapter_named("slack"), item, c), "Iv1.platform");
  c.quota = QuotaScope::tenant;
  EXPECT_EQ(rate_key(adapter_named("github"), item, c), "acme/Iv1.platform");
}

}  // namespace
}  // namespace sever::providers

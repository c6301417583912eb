// Tests of sever-fake-provider as a black box: each provider family's revocation endpoint and
// credentials, and every adapter's success then already-revoked answer. Skipped when not built.
#include "load/fake_provider_test_util.h"

namespace sever::fake_provider_test {
namespace {

TEST_F(FakeProviderTest, AnnouncesItsPortOnTheFirstLine) {
  EXPECT_EQ(fake_->first_line(), "listening 127.0.0.1:" + std::to_string(port()));
}

TEST_F(FakeProviderTest, GoogleRevokesThenAnswersInvalidToken) {
  Conn c(port());
  auto r = c.roundtrip(form_request("/google/revoke", "token=ya29.google-1"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{}");
  r = c.roundtrip(form_request("/google/revoke", "token=ya29.google-1"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json::parse(r->body)["error"], "invalid_token");
  // The query-string form of the same endpoint reaches the same token state.
  r = c.roundtrip(http_request("POST", "/google/revoke?token=ya29.google-1"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

TEST_F(FakeProviderTest, GithubChecksBasicCredentialsAndAnswers404WhenGone) {
  Conn c(port());
  const std::string body = R"({"access_token":"gho_github1"})";
  const std::vector<std::string> json_ct = {"Content-Type: application/json"};
  auto with_auth = [&](const std::string& auth) {
    std::vector<std::string> h = json_ct;
    h.push_back("Authorization: " + auth);
    return http_request("DELETE", "/github/applications/cid/token", body, h);
  };
  auto r = c.roundtrip(with_auth(basic("cid", "wrong")));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json::parse(r->body)["message"], "Bad credentials");
  r = c.roundtrip(with_auth(basic("cid", "cs")));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_TRUE(r->body.empty());
  r = c.roundtrip(with_auth(basic("cid", "cs")));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = c.roundtrip(http_request("DELETE", "/github/applications/cid/token", body, json_ct));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << "no credentials at all";
}

TEST_F(FakeProviderTest, SlackAnswersOkFalseInvalidAuthWhenGone) {
  Conn c(port());
  const std::vector<std::string> h = {"Authorization: Bearer xoxb-slack-1",
                                      "X-Fake-Account: T-slack-basic"};
  auto r = c.roundtrip(form_request("/slack/api/auth.revoke", "", h));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body), json::parse(R"({"ok":true,"revoked":true})"));
  r = c.roundtrip(form_request("/slack/api/auth.revoke", "", h));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body), json::parse(R"({"ok":false,"error":"invalid_auth"})"));
}

TEST_F(FakeProviderTest, SlackLimitsPerWorkspace) {
  // rate 1/s, burst 2, scope token-owner: each X-Fake-Account has its own bucket.
  auto make = [](const std::string& account, int i) {
    return form_request("/slack/api/auth.revoke", "token=xoxp-ws-" + account + std::to_string(i),
                        {"X-Fake-Account: " + account});
  };
  const auto a = burst(3, [&](int i) { return make("T-A", i); });
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].status, 200);
  EXPECT_EQ(a[1].status, 200);
  EXPECT_EQ(a[2].status, 429);
  EXPECT_EQ(json::parse(a[2].body)["error"], "ratelimited");
  EXPECT_FALSE(a[2].header("retry-after").empty());
  const auto b = burst(1, [&](int i) { return make("T-B", i); });
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].status, 200) << "another workspace has its own bucket";
}

TEST_F(FakeProviderTest, RfcAndBodyCredentialProviders) {
  Conn c(port());
  auto r = c.roundtrip(form_request("/rfc7009/any/path/revoke", "token=rt-1",
                                    {"Authorization: " + basic("rp", "rs")}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.roundtrip(form_request("/rfc7009/any/path/revoke", "token=rt-1",
                               {"Authorization: " + basic("rp", "rs")}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << "RFC 7009: already revoked is 200 too";
  r = c.roundtrip(form_request("/rfc7009/revoke", "token=rt-2",
                               {"Authorization: " + basic("rp", "nope")}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json::parse(r->body)["error"], "invalid_client");
  r = c.roundtrip(http_request("POST", "/auth0/oauth/revoke",
                               R"({"client_id":"a0","client_secret":"bad","token":"rt-3"})",
                               {"Content-Type: application/json"}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = c.roundtrip(http_request("POST", "/auth0/oauth/revoke",
                               R"({"client_id":"a0","client_secret":"s0","token":"rt-3"})",
                               {"Content-Type: application/json"}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

/// The request shapes of providers/ENDPOINTS.md, each answered success then already-revoked.
TEST(FakeProviderAdapters, EveryAdapterRevokesThenAnswersItsGoneShape) {
  if (access(binary().c_str(), X_OK) != 0) GTEST_SKIP() << binary() << " is not built";
  FakeProcess fake(R"({"providers":{"*":{"client_id":"C","client_secret":"S"}}})");
  ASSERT_NE(fake.port(), 0);
  const std::string auth = "Authorization: " + basic("C", "S");
  const std::string form = "Content-Type: application/x-www-form-urlencoded";
  const std::string jct = "Content-Type: application/json";
  struct Case {
    std::string name;
    std::string request;
    int ok;
    int gone;
    std::string gone_fragment;
  };
  const std::vector<Case> cases = {
      {"rfc7009", form_request("/rfc7009/revoke", "token=T1&token_type_hint=refresh_token", {auth}), 200, 200, ""},
      {"google", form_request("/google/revoke", "token=T1"), 200, 400, "invalid_token"},
      {"github", http_request("DELETE", "/github/applications/C/token", R"({"access_token":"T1"})", {auth, jct}), 204, 404, "Not Found"},
      {"github-grant", http_request("DELETE", "/github-grant/applications/C/grant", R"({"access_token":"T1"})", {auth, jct}), 204, 404, "Not Found"},
      {"slack", form_request("/slack/api/auth.revoke", "", {"Authorization: Bearer T1"}), 200, 200, "invalid_auth"},
      {"salesforce", form_request("/salesforce/services/oauth2/revoke", "token=T1"), 200, 400, "invalid_token"},
      {"hubspot", http_request("DELETE", "/hubspot/oauth/v1/refresh-tokens/T1"), 204, 404, ""},
      {"dropbox", http_request("POST", "/dropbox/2/auth/token/revoke", "", {"Authorization: Bearer T1"}), 200, 401, "invalid_access_token"},
      {"zoom", form_request("/zoom/oauth/revoke", "token=T1", {auth}), 200, 400, "Invalid Token!"},
      {"okta", form_request("/okta/oauth2/v1/revoke", "token=T1&token_type_hint=access_token", {auth}), 200, 200, ""},
      {"auth0", http_request("POST", "/auth0/oauth/revoke", R"({"client_id":"C","client_secret":"S","token":"T1"})", {jct}), 200, 200, ""},
      {"discord", form_request("/discord/api/oauth2/token/revoke", "token=T1&token_type_hint=access_token", {auth}), 200, 200, ""},
      {"x", form_request("/x/2/oauth2/revoke", "token=T1&token_type_hint=access_token", {auth}), 200, 200, "\"revoked\":true"},
      {"sentry", form_request("/sentry/oauth/revoke/", "token=T1&client_id=C&client_secret=S"), 200, 200, ""},
      {"vercel", http_request("DELETE", "/vercel/v3/user/tokens/current", "", {"Authorization: Bearer T1"}), 200, 401, ""},
      {"linear", http_request("POST", "/linear/oauth/revoke", "", {"Authorization: Bearer T1"}), 200, 400, ""},
      {"asana", form_request("/asana/-/oauth_revoke", "token=T1&client_id=C&client_secret=S"), 200, 400, "invalid_token"},
      {"notion", http_request("POST", "/notion/v1/oauth/revoke", R"({"token":"T1"})", {auth, jct, "Notion-Version: 2022-06-28"}), 200, 400, "invalid_grant"},
      {"box", form_request("/box/oauth2/revoke", "token=T1&client_id=C&client_secret=S"), 200, 400, "invalid_token"},
  };
  Conn c(fake.port());
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    auto r = c.roundtrip(k.request);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, k.ok) << r->body;
    r = c.roundtrip(k.request);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, k.gone) << r->body;
    EXPECT_NE(r->body.find(k.gone_fragment), std::string::npos) << r->body;
  }
  // Every adapter kept its own token state: T1 revoked once at each.
  const json s = stats(fake.port())["providers"];
  for (const Case& k : cases) EXPECT_EQ(s[k.name]["revoked"], 1) << k.name;
}

}  // namespace
}  // namespace sever::fake_provider_test

// Tests of sever-fake-provider as a black box: rate-limit styles and provider-specific limit
// signals, keep-alive and pipelining, down providers, injected faults and malformed requests.
// Skipped when not built.
#include "load/fake_provider_test_util.h"

namespace sever::fake_provider_test {
namespace {

/// Sends 20 pipelined requests to a provider limited to 5/s with burst 5 and returns them.
struct LimitCase {
  const char* name;
  std::string (*make)(int i);
  int limited_status;
};

TEST_F(FakeProviderTest, RateLimitStylesAnswerABurstWithParseableDelays) {
  const LimitCase cases[] = {
      {"zoom", [](int i) { return form_request("/zoom/oauth/revoke", "token=z" + std::to_string(i)); }, 429},
      {"asana", [](int i) { return form_request("/asana/-/oauth_revoke", "token=a" + std::to_string(i)); }, 429},
      {"box", [](int i) { return form_request("/box/oauth2/revoke", "token=b" + std::to_string(i)); }, 429},
      {"linear", [](int i) { return form_request("/linear/oauth/revoke", "token=l" + std::to_string(i)); }, 429},
  };
  for (const LimitCase& lc : cases) {
    SCOPED_TRACE(lc.name);
    const auto rs = burst(20, lc.make);
    ASSERT_EQ(rs.size(), 20u);
    int limited = 0;
    for (const Response& r : rs) {
      if (r.status != lc.limited_status) {
        EXPECT_EQ(r.status, 200);
        continue;
      }
      ++limited;
      const std::optional<double> delay = retry_after_seconds(r.header("retry-after"));
      ASSERT_TRUE(delay) << "Retry-After: '" << r.header("retry-after") << "'";
      EXPECT_GE(*delay, -1.0);
      EXPECT_LE(*delay, 2.0);
    }
    EXPECT_GE(limited, 14);
  }
}

TEST_F(FakeProviderTest, ProviderSpecificLimitSignals) {
  // Discord: 429, delay only in the JSON body and X-RateLimit-Reset-After.
  auto rs = burst(20, [](int i) {
    return form_request("/discord/api/oauth2/token/revoke", "token=d" + std::to_string(i));
  });
  ASSERT_EQ(rs.size(), 20u);
  const Response& d = rs.back();
  EXPECT_EQ(d.status, 429);
  EXPECT_TRUE(d.header("retry-after").empty());
  const json dj = json::parse(d.body);
  EXPECT_GT(dj["retry_after"].get<double>(), 0.0);
  EXPECT_EQ(dj["global"], false);
  EXPECT_GT(std::stod(d.header("x-ratelimit-reset-after")), 0.0);

  // GitHub primary: 403 with x-ratelimit-remaining 0 and an epoch reset in the near future.
  rs = burst(20, [](int i) {
    return http_request("DELETE", "/github-grant/applications/cid/grant",
                        R"({"access_token":"gg)" + std::to_string(i) + R"("})",
                        {"Content-Type: application/json"});
  });
  ASSERT_EQ(rs.size(), 20u);
  EXPECT_EQ(rs.front().status, 204);
  EXPECT_EQ(rs.front().header("x-ratelimit-limit"), "5");
  EXPECT_EQ(rs.back().status, 403);
  EXPECT_EQ(rs.back().header("x-ratelimit-remaining"), "0");
  const long reset = std::stol(rs.back().header("x-ratelimit-reset"));
  EXPECT_GE(reset, static_cast<long>(std::time(nullptr)) - 1);
  EXPECT_LE(reset, static_cast<long>(std::time(nullptr)) + 3);

  // Okta: 429 without Retry-After, X-Rate-Limit-Reset epoch, and the IETF draft fields.
  rs = burst(20, [](int i) {
    return form_request("/okta/oauth2/v1/revoke", "token=o" + std::to_string(i));
  });
  ASSERT_EQ(rs.size(), 20u);
  EXPECT_EQ(rs.front().status, 200);
  EXPECT_EQ(rs.front().header("x-rate-limit-remaining"), "4");
  EXPECT_EQ(rs.front().header("ratelimit-policy"), "\"default\";q=5;w=1");
  EXPECT_EQ(rs.back().status, 429);
  EXPECT_TRUE(rs.back().header("retry-after").empty());
  EXPECT_EQ(rs.back().header("x-rate-limit-remaining"), "0");
  EXPECT_FALSE(rs.back().header("x-rate-limit-reset").empty());
  EXPECT_EQ(rs.back().header("ratelimit").rfind("\"default\";r=0;t=", 0), 0u);

  // HubSpot: 429 with errorType RATE_LIMIT and X-HubSpot-RateLimit-* headers.
  rs = burst(20, [](int i) {
    return http_request("DELETE", "/hubspot/oauth/v1/refresh-tokens/h" + std::to_string(i));
  });
  ASSERT_EQ(rs.size(), 20u);
  EXPECT_EQ(rs.front().status, 204);
  EXPECT_EQ(rs.back().status, 429);
  EXPECT_EQ(json::parse(rs.back().body)["errorType"], "RATE_LIMIT");
  EXPECT_EQ(rs.back().header("x-hubspot-ratelimit-remaining"), "0");
  EXPECT_EQ(rs.back().header("x-hubspot-ratelimit-max"), "5");
}

TEST_F(FakeProviderTest, KeepAliveServesAThousandRequestsOnOneConnection) {
  const uint64_t accepted_before = stats(port())["server"]["accepted"];
  Conn c(port());
  for (int i = 0; i < 1000; ++i) {
    auto r = c.roundtrip(form_request("/google/revoke", "token=ka-" + std::to_string(i)));
    ASSERT_TRUE(r) << "request " << i;
    ASSERT_EQ(r->status, 200) << "request " << i;
  }
  // The stats query itself is one more connection: the thousand used exactly one.
  EXPECT_EQ(stats(port())["server"]["accepted"].get<uint64_t>(), accepted_before + 2);
}

TEST_F(FakeProviderTest, PipelinedAnswersKeepRequestOrderDespiteLatency) {
  const auto start = Clock::now();
  const auto rs = burst(3, [](int i) {
    return i == 1 ? form_request("/google/revoke", "token=pipe-fast")
                  : form_request("/salesforce/services/oauth2/revoke",
                                 "token=pipe-slow-" + std::to_string(i));
  });
  const auto elapsed = Clock::now() - start;
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].status, 200);
  EXPECT_TRUE(rs[0].body.empty()) << "salesforce first";
  EXPECT_EQ(rs[1].body, "{}") << "google second, though it was ready first";
  EXPECT_EQ(rs[2].status, 200);
  EXPECT_GE(elapsed, std::chrono::milliseconds(150));
}

TEST_F(FakeProviderTest, DownProviderResetsTheConnection) {
  Conn c(port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send_raw(http_request("POST", "/dropbox/2/auth/token/revoke", "",
                                      {"Authorization: Bearer sl.down-1"})));
  EXPECT_FALSE(c.read_response());
  EXPECT_EQ(c.last_errno(), ECONNRESET);
  EXPECT_GE(stats(port())["providers"]["dropbox"]["refused"].get<int>(), 1);
}

TEST_F(FakeProviderTest, InjectedFaults) {
  {  // reset_ratio 1: RST without an answer.
    Conn c(port());
    ASSERT_TRUE(c.send_raw(form_request("/sentry/oauth/revoke/", "token=s-1")));
    EXPECT_FALSE(c.read_response());
    EXPECT_EQ(c.last_errno(), ECONNRESET);
  }
  {  // timeout_ratio 1: no answer, connection left open.
    Conn c(port());
    ASSERT_TRUE(c.send_raw(form_request("/x/2/oauth2/revoke", "token=x-1")));
    EXPECT_TRUE(c.silent_for(300));
  }
  {  // error_5xx_ratio 1.
    Conn c(port());
    auto r = c.roundtrip(http_request("DELETE", "/vercel/v3/user/tokens/current", "",
                                      {"Authorization: Bearer vc-1"}));
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->status == 500 || r->status == 502 || r->status == 503) << r->status;
  }
  const json s = stats(port())["providers"];
  EXPECT_GE(s["sentry"]["resets"].get<int>(), 1);
  EXPECT_GE(s["x"]["timeouts"].get<int>(), 1);
  EXPECT_GE(s["vercel"]["errors_5xx"].get<int>(), 1);
}

TEST_F(FakeProviderTest, MalformedRequestsGetErrorsNotCrashes) {
  {
    Conn c(port());
    auto r = c.roundtrip("POST /google/revoke HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "5\r\ntoken\r\n0\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 411);
  }
  {
    Conn c(port());
    auto r = c.roundtrip("GARBAGE\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
  }
  {
    Conn c(port());
    auto r = c.roundtrip(http_request("GET", "/nosuchprovider/revoke"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    r = c.roundtrip(form_request("/google/revoke", ""));  // no token
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
  }
  {
    Conn c(port());
    const std::string big(100 * 1024, 'a');
    auto r = c.roundtrip(form_request("/google/revoke", "token=" + big));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
  }
  Conn c(port());
  auto r = c.roundtrip(form_request("/google/revoke", "token=still-alive"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace sever::fake_provider_test

// Tests of how the built-in adapters classify responses: success, already gone, rate limited,
// transient and permanent failures per providers/ENDPOINTS.md, with the fake provider's bodies.
#include <gtest/gtest.h>

#include "provider_test_util.h"
#include "sever/providers/adapter.h"

namespace sever::providers {
namespace {

using testing::adapter_named;
using testing::kNow;
using testing::make_item;
using testing::make_response;

Classification classify(std::string_view adapter, const HttpResponse& r,
                        Kind kind = Kind::oauth_access) {
  RevokeItem item = make_item(kind);
  return adapter_named(adapter).Classify(r, item, kNow);
}

struct Case {
  const char* adapter;
  long status;
  const char* body;
  Outcome want;
  const char* detail;  // the exact detail
};

void check(const Case& c) {
  Classification got = classify(c.adapter, make_response(c.status, c.body));
  EXPECT_EQ(to_string(got.outcome), to_string(c.want))
      << c.adapter << " " << c.status << " " << c.body << " -> " << got.detail;
  EXPECT_EQ(got.detail, c.detail) << c.adapter << " " << c.status << " " << c.body;
}

TEST(AdapterClassify, SuccessIsRevoked) {
  const Case cases[] = {
      {"rfc7009", 200, "", Outcome::revoked, "HTTP 200"},
      {"google", 200, "{}", Outcome::revoked, "HTTP 200"},
      {"github", 204, "", Outcome::revoked, "HTTP 204"},
      {"github-grant", 204, "", Outcome::revoked, "HTTP 204"},
      {"slack", 200, R"({"ok":true,"revoked":true})", Outcome::revoked, "HTTP 200"},
      {"salesforce", 200, "", Outcome::revoked, "HTTP 200"},
      {"hubspot", 204, "", Outcome::revoked, "HTTP 204"},
      {"dropbox", 200, "null", Outcome::revoked, "HTTP 200"},
      {"zoom", 200, R"({"status":"success"})", Outcome::revoked, "HTTP 200"},
      {"okta", 200, "", Outcome::revoked, "HTTP 200"},
      {"auth0", 200, "", Outcome::revoked, "HTTP 200"},
      {"discord", 200, "{}", Outcome::revoked, "HTTP 200"},
      {"x", 200, R"({"revoked":true})", Outcome::revoked, "HTTP 200"},
      {"sentry", 200, "", Outcome::revoked, "HTTP 200"},
      {"vercel", 200, R"({"tokenId":"tok_1"})", Outcome::revoked, "HTTP 200"},
      {"linear", 200, "", Outcome::revoked, "HTTP 200"},
      {"asana", 200, "", Outcome::revoked, "HTTP 200"},
      {"notion", 200, "{}", Outcome::revoked, "HTTP 200"},
      {"box", 200, "", Outcome::revoked, "HTTP 200"},
  };
  for (const Case& c : cases) check(c);
}

TEST(AdapterClassify, AlreadyGonePerProvider) {
  const Case cases[] = {
      {"google", 400, R"({"error":"invalid_token","error_description":"Token expired or revoked"})",
       Outcome::already_gone, "HTTP 400 invalid_token: Token expired or revoked"},
      {"github", 404, R"({"message":"Not Found","status":"404"})", Outcome::already_gone,
       "HTTP 404 Not Found"},
      {"github-grant", 404, R"({"message":"Not Found"})", Outcome::already_gone, "HTTP 404 Not Found"},
      {"slack", 200, R"({"ok":false,"error":"invalid_auth"})", Outcome::already_gone,
       "HTTP 200 invalid_auth"},
      {"slack", 200, R"({"ok":false,"error":"token_revoked"})", Outcome::already_gone,
       "HTTP 200 token_revoked"},
      {"slack", 200, R"({"ok":false,"error":"account_inactive"})", Outcome::already_gone,
       "HTTP 200 account_inactive"},
      {"salesforce", 400, R"({"error":"invalid_token","error_description":"invalid token"})",
       Outcome::already_gone, "HTTP 400 invalid_token: invalid token"},
      {"hubspot", 404, R"({"status":"error","message":"refresh token not found"})",
       Outcome::already_gone, "HTTP 404 refresh token not found"},
      {"dropbox", 401,
       R"({"error_summary":"invalid_access_token/","error":{".tag":"invalid_access_token"}})",
       Outcome::already_gone, "HTTP 401 invalid_access_token"},
      {"zoom", 400, R"({"reason":"Invalid Token!","error":"invalid_request"})",
       Outcome::already_gone, "HTTP 400 invalid_request: Invalid Token!"},
      {"vercel", 401, R"({"error":{"code":"forbidden","message":"Not authorized","invalidToken":true}})",
       Outcome::already_gone, "HTTP 401 forbidden: Not authorized"},
      {"vercel", 403, R"({"error":{"code":"forbidden","message":"Not authorized"}})",
       Outcome::already_gone, "HTTP 403 forbidden: Not authorized"},
      {"vercel", 404, "", Outcome::already_gone, "HTTP 404"},
      {"linear", 400, R"({"error":"invalid_token","error_description":"Token is invalid or already revoked"})",
       Outcome::already_gone, "HTTP 400 invalid_token: Token is invalid or already revoked"},
      {"linear", 401, "", Outcome::already_gone, "HTTP 401"},
      {"asana", 400, R"({"error":"invalid_token"})", Outcome::already_gone, "HTTP 400 invalid_token"},
      {"notion", 400, R"({"object":"error","status":400,"code":"invalid_grant","message":"Invalid token."})",
       Outcome::already_gone, "HTTP 400 invalid_grant: Invalid token."},
      {"box", 400, R"({"error":"invalid_token"})", Outcome::already_gone, "HTTP 400 invalid_token"},
  };
  for (const Case& c : cases) check(c);
}

TEST(AdapterClassify, PermanentFailures) {
  const Case cases[] = {
      {"rfc7009", 401, R"({"error":"invalid_client","error_description":"Client authentication failed"})",
       Outcome::failed, "HTTP 401 invalid_client: Client authentication failed"},
      {"rfc7009", 400, R"({"error":"unsupported_token_type"})", Outcome::failed,
       "HTTP 400 unsupported_token_type"},
      {"google", 400, R"({"error":"invalid_request","error_description":"Bad Request"})",
       Outcome::failed, "HTTP 400 invalid_request: Bad Request"},
      {"github", 401, R"({"message":"Bad credentials"})", Outcome::failed, "HTTP 401 Bad credentials"},
      {"github", 422, R"({"message":"Invalid request."})", Outcome::failed,
       "HTTP 422 Invalid request."},
      {"github", 403, R"({"message":"Resource not accessible by integration"})", Outcome::failed,
       "HTTP 403 Resource not accessible by integration"},
      {"slack", 200, R"({"ok":false,"error":"not_authed"})", Outcome::failed, "HTTP 200 not_authed"},
      {"slack", 200, R"({"ok":false,"error":"invalid_client"})", Outcome::failed,
       "HTTP 200 invalid_client"},
      {"salesforce", 400, R"({"error":"unsupported_token_type","error_description":"this token type is not supported"})",
       Outcome::failed, "HTTP 400 unsupported_token_type: this token type is not supported"},
      {"hubspot", 400, R"({"status":"error","message":"missing refresh token"})", Outcome::failed,
       "HTTP 400 missing refresh token"},
      {"dropbox", 400, R"({"error_summary":"missing_token/","error":{".tag":"missing_token"}})",
       Outcome::failed, "HTTP 400 missing_token"},
      {"zoom", 400, R"({"reason":"Missing token","error":"invalid_request"})", Outcome::failed,
       "HTTP 400 invalid_request: Missing token"},
      {"zoom", 401, R"({"reason":"Invalid client_id or client_secret","error":"invalid_client"})",
       Outcome::failed, "HTTP 401 invalid_client: Invalid client_id or client_secret"},
      {"okta", 401, R"({"error":"invalid_client"})", Outcome::failed, "HTTP 401 invalid_client"},
      {"auth0", 400, R"({"error":"invalid_request"})", Outcome::failed, "HTTP 400 invalid_request"},
      {"discord", 401, R"({"error":"invalid_client"})", Outcome::failed, "HTTP 401 invalid_client"},
      {"x", 401, R"({"error":"invalid_client"})", Outcome::failed, "HTTP 401 invalid_client"},
      {"sentry", 401, R"({"error":"invalid_credentials"})", Outcome::failed,
       "HTTP 401 invalid_credentials"},
      {"vercel", 400, R"({"error":{"code":"bad_request","message":"Missing token"}})",
       Outcome::failed, "HTTP 400 bad_request: Missing token"},
      {"asana", 400, R"({"error":"invalid_request"})", Outcome::failed, "HTTP 400 invalid_request"},
      {"notion", 400, R"({"object":"error","status":400,"code":"validation_error","message":"Invalid request."})",
       Outcome::failed, "HTTP 400 validation_error: Invalid request."},
      {"notion", 401, R"({"error":"invalid_client"})", Outcome::failed, "HTTP 401 invalid_client"},
      {"box", 401, R"({"error":"invalid_client","error_description":"The client credentials are invalid"})",
       Outcome::failed, "HTTP 401 invalid_client: The client credentials are invalid"},
      {"google", 302, "", Outcome::failed, "HTTP 302"},
      {"github", 404, "", Outcome::already_gone, "HTTP 404"},
      {"google", 404, "<html>not here</html>", Outcome::failed, "HTTP 404"},
  };
  for (const Case& c : cases) check(c);
}

TEST(AdapterClassify, ServerErrorsAreRetried) {
  for (const char* a : {"rfc7009", "google", "github", "slack", "hubspot", "notion", "vercel"}) {
    for (long status : {500L, 502L, 503L, 504L}) {
      Classification c = classify(a, make_response(status, "<html>oops</html>"));
      EXPECT_EQ(c.outcome, Outcome::retry) << a << " " << status;
      EXPECT_EQ(c.detail, "HTTP " + std::to_string(status)) << a;
      EXPECT_FALSE(c.rate.limited);
    }
  }
}

TEST(AdapterClassify, SlackNonJsonSuccessIsRetried) {
  Classification c = classify("slack", make_response(200, "<html>maintenance</html>"));
  EXPECT_EQ(c.outcome, Outcome::retry);
  EXPECT_EQ(classify("slack", make_response(200, R"({"revoked":true})")).outcome, Outcome::retry);
}

TEST(AdapterClassify, TimeoutsAndTransportErrorsAreRetried) {
  HttpResponse timeout;
  timeout.timed_out = true;
  timeout.transport_error = "timeout";
  timeout.seconds = 10;
  for (const char* a : {"rfc7009", "github", "slack", "hubspot", "box"}) {
    Classification c = classify(a, timeout);
    EXPECT_EQ(c.outcome, Outcome::retry) << a;
    EXPECT_EQ(c.detail, "timeout after 10s");
  }
  HttpResponse reset;
  reset.transport_error = "connection reset";
  Classification c = classify("google", reset);
  EXPECT_EQ(c.outcome, Outcome::retry);
  EXPECT_EQ(c.detail, "transport error: connection reset");
  HttpResponse nothing;
  EXPECT_EQ(classify("google", nothing).detail, "transport error: no response");
}

// ---- rate limits

TEST(AdapterClassify, Status429IsRateLimitedEverywhere) {
  for (const char* a : {"rfc7009", "google", "github", "github-grant", "slack", "salesforce",
                        "hubspot", "dropbox", "zoom", "okta", "auth0", "discord", "x", "sentry",
                        "vercel", "linear", "asana", "notion", "box"}) {
    Classification c = classify(a, make_response(429, "", {{"retry-after", "2"}}));
    EXPECT_EQ(c.outcome, Outcome::rate_limited) << a;
    EXPECT_TRUE(c.rate.limited);
    EXPECT_EQ(c.rate.retry_after, 2) << a;
    EXPECT_EQ(c.detail, "HTTP 429; rate limited, retry after 2s") << a;
  }
}

TEST(AdapterClassify, Rfc7009ServiceUnavailableWithRetryAfterIsRateLimited) {
  Classification c = classify(
      "rfc7009", make_response(503, R"({"error":"temporarily_unavailable"})",
                               {{"retry-after", "Tue, 14 Nov 2023 22:14:50 GMT"}}));
  EXPECT_EQ(c.outcome, Outcome::rate_limited);
  EXPECT_EQ(c.rate.retry_after, 90);
  EXPECT_EQ(c.detail, "HTTP 503 temporarily_unavailable; rate limited, retry after 90s");
}

TEST(AdapterClassify, GithubPrimaryLimit) {
  Classification c = classify(
      "github", make_response(403, R"({"message":"API rate limit exceeded."})",
                              {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", "1700000600"}}));
  EXPECT_EQ(c.outcome, Outcome::rate_limited);
  EXPECT_EQ(c.rate.retry_after, 600);
}

TEST(AdapterClassify, GithubSecondaryLimitWithoutRetryAfterWaitsAMinute) {
  Classification c = classify(
      "github", make_response(403, R"({"message":"You have exceeded a secondary rate limit."})",
                              {{"x-ratelimit-remaining", "4000"}}));
  EXPECT_EQ(c.outcome, Outcome::rate_limited);
  EXPECT_EQ(c.rate.retry_after, 60);
  EXPECT_EQ(c.detail,
            "HTTP 403 You have exceeded a secondary rate limit.; rate limited, retry after 60s");
}

TEST(AdapterClassify, GithubSecondaryLimitHonoursRetryAfter) {
  Classification c = classify(
      "github-grant", make_response(403, R"({"message":"You have exceeded a secondary rate limit."})",
                                    {{"retry-after", "17"}}));
  EXPECT_EQ(c.outcome, Outcome::rate_limited);
  EXPECT_EQ(c.rate.retry_after, 17);
}

TEST(AdapterClassify, SlackRatelimitedBody) {
  Classification c = classify("slack", make_response(200, R"({"ok":false,"error":"ratelimited"})"));
  EXPECT_EQ(c.outcome, Outcome::rate_limited);
}

TEST(AdapterClassify, SalesforceRequestLimitExceeded) {
  Classification c = classify(
      "salesforce",
      make_response(403, R"([{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}])"));
  EXPECT_EQ(c.outcome, Outcome::rate_limited);
  EXPECT_EQ(c.detail, "HTTP 403 REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.; rate limited");
}

TEST(AdapterClassify, HubspotRateLimit) {
  Classification c = classify(
      "hubspot",
      make_response(429, R"({"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"})",
                    {{"x-hubspot-ratelimit-max", "100"}, {"x-hubspot-ratelimit-remaining", "0"}}),
      Kind::oauth_refresh);
  EXPECT_EQ(c.outcome, Outcome::rate_limited);
  EXPECT_EQ(c.rate.limit, 100);
  EXPECT_EQ(c.rate.remaining, 0);
}

TEST(AdapterClassify, DiscordBodyRetryAfter) {
  Classification c = classify(
      "discord", make_response(429, R"({"message":"You are being rate limited.","retry_after":1.5,"global":false})",
                               {{"x-ratelimit-reset-after", "1.500"}}));
  EXPECT_EQ(c.outcome, Outcome::rate_limited);
  EXPECT_DOUBLE_EQ(*c.rate.retry_after, 1.5);
  EXPECT_EQ(c.detail, "HTTP 429 You are being rate limited.; rate limited, retry after 1.5s");
}

TEST(AdapterClassify, LinearGraphqlRatelimitedBeatsAlreadyGone) {
  const char* body =
      R"({"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATELIMITED"}}]})";
  Classification c400 = classify("linear", make_response(400, body));
  EXPECT_EQ(c400.outcome, Outcome::rate_limited);
  EXPECT_EQ(c400.detail, "HTTP 400 RATELIMITED: Rate limit exceeded; rate limited");
  EXPECT_EQ(classify("linear", make_response(200, body)).outcome, Outcome::rate_limited);
}

TEST(AdapterClassify, NotionOverloadAndRateLimited) {
  EXPECT_EQ(classify("notion", make_response(529, R"({"code":"service_overload"})")).outcome,
            Outcome::rate_limited);
  Classification c = classify(
      "notion", make_response(429, R"({"object":"error","status":429,"code":"rate_limited"})",
                              {{"retry-after", "1"}}));
  EXPECT_EQ(c.outcome, Outcome::rate_limited);
  EXPECT_EQ(c.rate.retry_after, 1);
}

TEST(AdapterClassify, ZoomIsoRetryAfterForTheDailyLimit) {
  Classification c =
      classify("zoom", make_response(429, "", {{"retry-after", "2023-11-15T00:00:00Z"}}));
  EXPECT_EQ(c.outcome, Outcome::rate_limited);
  EXPECT_EQ(c.rate.retry_after, 6400);
}

TEST(AdapterClassify, VercelExhaustedQuotaOn403IsALimitNotGone) {
  Classification c = classify(
      "vercel", make_response(403, "", {{"x-ratelimit-remaining", "0"},
                                        {"x-ratelimit-reset", "1700000005"}}));
  EXPECT_EQ(c.outcome, Outcome::rate_limited);
  EXPECT_EQ(c.rate.retry_after, 5);
}

TEST(AdapterClassify, RateSignalIsReportedOnSuccessToo) {
  Classification c = classify(
      "github", make_response(204, "", {{"x-ratelimit-limit", "5000"},
                                        {"x-ratelimit-remaining", "4321"},
                                        {"x-ratelimit-reset", "1700000900"}}));
  EXPECT_EQ(c.outcome, Outcome::revoked);
  EXPECT_EQ(c.rate.remaining, 4321);
  EXPECT_EQ(c.rate.reset_after, 900);
}

// ---- details are safe

TEST(AdapterClassify, DetailsNeverContainTheToken) {
  const std::string token(testing::kToken);
  const std::string encoded = "ya29.a0%2Bb%2Fc%3Dd";
  Classification c = classify(
      "google", make_response(400, R"({"error":"invalid_token","error_description":"token ya29.a0+b/c=d is unknown"})"));
  EXPECT_EQ(c.outcome, Outcome::already_gone);
  EXPECT_EQ(c.detail, "HTTP 400 invalid_token: token [redacted] is unknown");
  Classification e = classify(
      "box", make_response(401, R"({"error":"ya29.a0%2Bb%2Fc%3Dd","message":"x ya29.a0+b/c=d"})"));
  EXPECT_EQ(e.detail.find(token), std::string::npos);
  EXPECT_EQ(e.detail.find(encoded), std::string::npos);
  HttpResponse t;
  t.transport_error = "could not reach /oauth/v1/refresh-tokens/ya29.a0%2Bb%2Fc%3Dd";
  Classification tr = classify("hubspot", t, Kind::oauth_refresh);
  EXPECT_EQ(tr.detail, "transport error: could not reach /oauth/v1/refresh-tokens/[redacted]");
}

TEST(AdapterClassify, DetailsAreShortPrintableText) {
  std::string body = R"({"error":"bad\u0001\n)" + std::string(500, 'x') + R"(","message":"é)" +
                     std::string(500, 'y') + "\"}";
  Classification c = classify("google", make_response(400, body));
  EXPECT_EQ(c.outcome, Outcome::failed);
  EXPECT_LT(c.detail.size(), 250u);
  for (char ch : c.detail) EXPECT_TRUE(ch >= 0x20 && ch <= 0x7e);
  EXPECT_TRUE(c.detail.starts_with("HTTP 400 badxxx"));
}

// ---- manual

TEST(AdapterClassify, ManualIsAlwaysManual) {
  Classification c = classify("manual", make_response(200));
  EXPECT_EQ(c.outcome, Outcome::manual);
  EXPECT_EQ(c.detail, "no revocation API");
}

TEST(Outcome, Names) {
  EXPECT_EQ(to_string(Outcome::revoked), "revoked");
  EXPECT_EQ(to_string(Outcome::already_gone), "already_gone");
  EXPECT_EQ(to_string(Outcome::manual), "manual");
  EXPECT_EQ(to_string(Outcome::rate_limited), "rate_limited");
  EXPECT_EQ(to_string(Outcome::retry), "retry");
  EXPECT_EQ(to_string(Outcome::failed), "failed");
}

}  // namespace
}  // namespace sever::providers

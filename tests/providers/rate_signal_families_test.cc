// Tests of rate-limit signal parsing per provider: GitHub's limits, the other header families,
// and the provider-specific bodies (Discord, Slack, HubSpot, Linear, Notion).
#include "sever/providers/rate_signal.h"

#include <gtest/gtest.h>

#include "provider_test_util.h"

namespace sever::providers {
namespace {

using testing::kNow;
using testing::make_response;

// ---- GitHub

TEST(RateSignal, GithubPrimaryLimit403) {
  RateSignal s = parse_rate_signal(
      make_response(403, R"({"message":"API rate limit exceeded for user ID 1."})",
                    {{"x-ratelimit-limit", "5000"},
                     {"x-ratelimit-remaining", "0"},
                     {"x-ratelimit-reset", "1700001800"},
                     {"x-ratelimit-used", "5000"},
                     {"x-ratelimit-resource", "core"}}),
      kNow);
  EXPECT_TRUE(s.limited);
  EXPECT_EQ(s.limit, 5000);
  EXPECT_EQ(s.remaining, 0);
  EXPECT_EQ(s.reset_after, 1800);
  EXPECT_EQ(s.retry_after, 1800);  // exhausted: wait for the reset
}

TEST(RateSignal, GithubPrimaryLimitByHeadersAlone) {
  RateSignal s = parse_rate_signal(
      make_response(403, "", {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", "1700000100"}}),
      kNow);
  EXPECT_TRUE(s.limited);
  EXPECT_EQ(s.retry_after, 100);
}

TEST(RateSignal, GithubSecondaryLimitWithRetryAfter) {
  RateSignal s = parse_rate_signal(
      make_response(403,
                    R"({"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})",
                    {{"retry-after", "60"},
                     {"x-ratelimit-limit", "5000"},
                     {"x-ratelimit-remaining", "4990"},
                     {"x-ratelimit-reset", "1700003600"}}),
      kNow);
  EXPECT_TRUE(s.limited);
  EXPECT_EQ(s.retry_after, 60);
  EXPECT_EQ(s.remaining, 4990);
}

TEST(RateSignal, GithubSecondaryLimitMessageAlone) {
  RateSignal s = parse_rate_signal(
      make_response(403, R"({"message":"You have exceeded a secondary rate limit."})"), kNow);
  EXPECT_TRUE(s.limited);
  EXPECT_FALSE(s.retry_after.has_value());
}

TEST(RateSignal, Plain403IsNotLimited) {
  RateSignal s = parse_rate_signal(
      make_response(403, R"({"message":"Resource not accessible by integration"})",
                    {{"x-ratelimit-remaining", "4999"}}),
      kNow);
  EXPECT_FALSE(s.limited);
}

TEST(RateSignal, SalesforceRequestLimitExceeded403) {
  RateSignal s = parse_rate_signal(
      make_response(403,
                    R"([{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}])"),
      kNow);
  EXPECT_TRUE(s.limited);
}

TEST(RateSignal, ExhaustedQuotaOnSuccessGivesAWaitButIsNotLimited) {
  RateSignal s = parse_rate_signal(
      make_response(204, "", {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", "1700000042"}}),
      kNow);
  EXPECT_FALSE(s.limited);
  EXPECT_EQ(s.retry_after, 42);
  RateSignal left = parse_rate_signal(
      make_response(204, "", {{"x-ratelimit-remaining", "3"}, {"x-ratelimit-reset", "1700000042"}}),
      kNow);
  EXPECT_FALSE(left.retry_after.has_value());
  EXPECT_EQ(left.reset_after, 42);
}

// ---- other header families

TEST(RateSignal, XRateLimitWithHyphen) {  // Okta, X
  RateSignal s = parse_rate_signal(make_response(429, "",
                                                 {{"x-rate-limit-limit", "600"},
                                                  {"x-rate-limit-remaining", "0"},
                                                  {"x-rate-limit-reset", "1700000030"}}),
                                   kNow);
  EXPECT_TRUE(s.limited);
  EXPECT_EQ(s.limit, 600);
  EXPECT_EQ(s.remaining, 0);
  EXPECT_EQ(s.retry_after, 30);
}

TEST(RateSignal, OldDraftRateLimitHeadersWithDeltaReset) {  // Render
  RateSignal s = parse_rate_signal(make_response(429, "",
                                                 {{"ratelimit-limit", "100"},
                                                  {"ratelimit-remaining", "0"},
                                                  {"ratelimit-reset", "45"}}),
                                   kNow);
  EXPECT_EQ(s.limit, 100);
  EXPECT_EQ(s.reset_after, 45);
  EXPECT_EQ(s.retry_after, 45);
}

TEST(RateSignal, OldDraftRateLimitHeadersWithEpochResetAndPolicyList) {
  RateSignal s = parse_rate_signal(make_response(200, "",
                                                 {{"ratelimit-limit", "10, 10;w=1, 50;w=60"},
                                                  {"ratelimit-remaining", "9"},
                                                  {"ratelimit-reset", "1700000045"}}),
                                   kNow);
  EXPECT_EQ(s.limit, 10);
  EXPECT_EQ(s.remaining, 9);
  EXPECT_EQ(s.reset_after, 45);
}

TEST(RateSignal, JiraIsoReset) {
  RateSignal s = parse_rate_signal(make_response(429, "",
                                                 {{"retry-after", "5"},
                                                  {"x-ratelimit-limit", "100"},
                                                  {"x-ratelimit-remaining", "0"},
                                                  {"x-ratelimit-reset", "2023-11-14T22:15Z"}}),
                                   kNow);
  EXPECT_EQ(s.reset_after, 100);
  EXPECT_EQ(s.retry_after, 5);  // Retry-After wins over the reset
}

TEST(RateSignal, LinearRequestsResetInEpochMilliseconds) {
  RateSignal s = parse_rate_signal(make_response(429, "",
                                                 {{"x-ratelimit-requests-limit", "1500"},
                                                  {"x-ratelimit-requests-remaining", "0"},
                                                  {"x-ratelimit-requests-reset", "1700000012500"}}),
                                   kNow);
  EXPECT_EQ(s.limit, 1500);
  EXPECT_DOUBLE_EQ(*s.retry_after, 12.5);
}

TEST(RateSignal, SentryHeaders) {
  RateSignal s = parse_rate_signal(make_response(429, "",
                                                 {{"x-sentry-rate-limit-limit", "40"},
                                                  {"x-sentry-rate-limit-remaining", "0"},
                                                  {"x-sentry-rate-limit-reset", "1700000003"}}),
                                   kNow);
  EXPECT_EQ(s.limit, 40);
  EXPECT_EQ(s.retry_after, 3);
}

TEST(RateSignal, DiscordBodyRetryAfterAndResetAfter) {
  RateSignal s = parse_rate_signal(
      make_response(429, R"({"message":"You are being rate limited.","retry_after":1.5,"global":false})",
                    {{"x-ratelimit-limit", "5"},
                     {"x-ratelimit-remaining", "0"},
                     {"x-ratelimit-reset", "1700000099.000"},  // our clock may be off: not used
                     {"x-ratelimit-reset-after", "1.500"}}),
      kNow);
  EXPECT_TRUE(s.limited);
  EXPECT_DOUBLE_EQ(*s.retry_after, 1.5);
  EXPECT_DOUBLE_EQ(*s.reset_after, 1.5);
  EXPECT_EQ(s.limit, 5);
}

TEST(RateSignal, RetryAfterHeaderWinsOverDiscordBody) {
  RateSignal s = parse_rate_signal(
      make_response(429, R"({"retry_after":1.5})", {{"retry-after", "2"}}), kNow);
  EXPECT_EQ(s.retry_after, 2);
}

TEST(RateSignal, BodyRetryAfterOnSuccessIsIgnored) {
  RateSignal s = parse_rate_signal(make_response(200, R"({"retry_after":9})"), kNow);
  EXPECT_FALSE(s.limited);
  EXPECT_FALSE(s.retry_after.has_value());
}

TEST(RateSignal, BadBodyRetryAfterIsIgnored) {
  for (const char* body : {R"({"retry_after":"1.5"})", R"({"retry_after":-1})",
                           R"({"retry_after":null})", R"({"retry_after":[1]})"}) {
    RateSignal s = parse_rate_signal(make_response(429, body), kNow);
    EXPECT_TRUE(s.limited);
    EXPECT_FALSE(s.retry_after.has_value()) << body;
  }
}

TEST(RateSignal, SlackBodyErrorRatelimitedOn200) {
  RateSignal s = parse_rate_signal(make_response(200, R"({"ok":false,"error":"ratelimited"})"), kNow);
  EXPECT_TRUE(s.limited);
  EXPECT_FALSE(
      parse_rate_signal(make_response(200, R"({"ok":false,"error":"invalid_auth"})"), kNow).limited);
  EXPECT_FALSE(
      parse_rate_signal(make_response(200, R"({"ok":true,"error":"ratelimited"})"), kNow).limited);
}

TEST(RateSignal, Slack429WithRetryAfter) {
  RateSignal s = parse_rate_signal(
      make_response(429, R"({"ok":false,"error":"ratelimited"})", {{"retry-after", "30"}}), kNow);
  EXPECT_TRUE(s.limited);
  EXPECT_EQ(s.retry_after, 30);
}

TEST(RateSignal, HubspotBodyAndHeadersPickTheTighterQuota) {
  RateSignal s = parse_rate_signal(
      make_response(429,
                    R"({"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","policyName":"TEN_SECONDLY_ROLLING"})",
                    {{"x-hubspot-ratelimit-interval-milliseconds", "10000"},
                     {"x-hubspot-ratelimit-max", "100"},
                     {"x-hubspot-ratelimit-remaining", "40"},
                     {"x-hubspot-ratelimit-secondly", "10"},
                     {"x-hubspot-ratelimit-secondly-remaining", "2"}}),
      kNow);
  EXPECT_TRUE(s.limited);
  EXPECT_EQ(s.limit, 10);
  EXPECT_EQ(s.remaining, 2);
  EXPECT_EQ(s.window, 1);
}

TEST(RateSignal, HubspotIntervalWindowFromMilliseconds) {
  RateSignal s = parse_rate_signal(make_response(200, "",
                                                 {{"x-hubspot-ratelimit-interval-milliseconds", "10000"},
                                                  {"x-hubspot-ratelimit-max", "100"},
                                                  {"x-hubspot-ratelimit-remaining", "99"}}),
                                   kNow);
  EXPECT_EQ(s.limit, 100);
  EXPECT_EQ(s.remaining, 99);
  EXPECT_EQ(s.window, 10);
}

TEST(RateSignal, HubspotErrorTypeOnAnyStatus) {
  EXPECT_TRUE(parse_rate_signal(make_response(400, R"({"errorType":"RATE_LIMIT"})"), kNow).limited);
}

TEST(RateSignal, LinearGraphqlRatelimited) {
  const char* body =
      R"({"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATELIMITED"}}]})";
  EXPECT_TRUE(parse_rate_signal(make_response(400, body), kNow).limited);
  EXPECT_TRUE(parse_rate_signal(make_response(200, body), kNow).limited);
  EXPECT_FALSE(parse_rate_signal(
                   make_response(400, R"({"errors":[{"extensions":{"code":"INVALID_INPUT"}}]})"),
                   kNow)
                   .limited);
}

TEST(RateSignal, NotionRateLimitedCode) {
  RateSignal s = parse_rate_signal(
      make_response(429, R"({"object":"error","status":429,"code":"rate_limited"})",
                    {{"retry-after", "1"}}),
      kNow);
  EXPECT_TRUE(s.limited);
  EXPECT_EQ(s.retry_after, 1);
}

}  // namespace
}  // namespace sever::providers

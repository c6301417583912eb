// Tests of rate-limit signal parsing: every Retry-After and reset notation, every header family,
// the provider-specific bodies, precedence, and that malformed input is ignored.
#include "sever/providers/rate_signal.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "provider_test_util.h"

namespace sever::providers {
namespace {

using testing::kNow;
using testing::make_response;

// ---- Retry-After

TEST(RetryAfter, DelaySeconds) {
  EXPECT_EQ(parse_retry_after("120", kNow), 120);
  EXPECT_EQ(parse_retry_after("0", kNow), 0);
  EXPECT_EQ(parse_retry_after(" 7\t", kNow), 7);
}

TEST(RetryAfter, FractionalSeconds) {
  EXPECT_DOUBLE_EQ(*parse_retry_after("2.5", kNow), 2.5);
  EXPECT_DOUBLE_EQ(*parse_retry_after("1.250", kNow), 1.25);
  EXPECT_DOUBLE_EQ(*parse_retry_after("2.0", kNow), 2.0);
}

TEST(RetryAfter, ImfFixdate) {
  EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:14:50 GMT", kNow), 90);
  EXPECT_EQ(parse_retry_after("tue, 14 nov 2023 22:14:50 gmt", kNow), 90);
  EXPECT_EQ(parse_retry_after("Wed, 6 Dec 2023 22:13:20 GMT", kNow), 1900800);  // lenient day
}

TEST(RetryAfter, Rfc850Date) {
  EXPECT_EQ(parse_retry_after("Tuesday, 14-Nov-23 22:14:50 GMT", kNow), 90);
}

TEST(RetryAfter, Rfc850TwoDigitYearMoreThanFiftyYearsAheadIsLastCentury) {
  // 99 would be 2099 (> 2023 + 50): it is 1999, long past.
  EXPECT_EQ(parse_retry_after("Friday, 31-Dec-99 23:59:59 GMT", kNow), 0);
  // 70 is 2070 (within 50 years).
  EXPECT_EQ(parse_retry_after("Wednesday, 01-Jan-70 00:00:00 GMT", kNow), 1455760000);
}

TEST(RetryAfter, AsctimeDate) {
  EXPECT_EQ(parse_retry_after("Tue Nov 14 22:14:50 2023", kNow), 90);
  EXPECT_EQ(parse_retry_after("Wed Dec  6 22:13:20 2023", kNow), 1900800);  // space-padded day
}

TEST(RetryAfter, Iso8601Instant) {
  EXPECT_EQ(parse_retry_after("2023-11-14T22:14:50Z", kNow), 90);
  EXPECT_EQ(parse_retry_after("2023-11-14T23:14:50+01:00", kNow), 90);
  EXPECT_EQ(parse_retry_after("2023-11-14T21:14:50-0100", kNow), 90);
  EXPECT_DOUBLE_EQ(*parse_retry_after("2023-11-14T22:13:21.5Z", kNow), 1.5);
}

TEST(RetryAfter, PastDatesClampToZero) {
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", kNow), 0);
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", kNow), 0);
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:37 1994", kNow), 0);
  EXPECT_EQ(parse_retry_after("2020-05-31T00:00:00Z", kNow), 0);
}

TEST(RetryAfter, MalformedIsNullopt) {
  for (const char* v :
       {"", "  ", "soon", "-5", "+5", "1e3", "inf", "nan", "0x10", "12abc", "1.", ".5", "1.2.3",
        "Tue, 32 Nov 2023 22:14:50 GMT", "Tue, 14 Foo 2023 22:14:50 GMT",
        "Tue, 14 Nov 2023 25:14:50 GMT", "Tue, 14 Nov 2023 22:14:50 PST", "Tue 14 Nov 2023",
        "Tue, 31 Feb 2023 22:14:50 GMT", "Tuesday, 14-Nov-2 22:14:50 GMT",
        "Tue Nov 144 22:14:50 2023", "2023-13-01T00:00:00Z", "2023-11-14T22:14:50Q",
        "2023-11-14X22:14:50Z", "2023-11-14T22:14:50+25:00", "2023-11-14T22:14:50."}) {
    EXPECT_FALSE(parse_retry_after(v, kNow).has_value()) << "'" << v << "'";
  }
}

// ---- reset values

TEST(Reset, SmallValuesAreDeltas) {
  EXPECT_EQ(parse_reset("30", kNow), 30);
  EXPECT_DOUBLE_EQ(*parse_reset("1.5", kNow), 1.5);
  EXPECT_EQ(parse_reset("0", kNow), 0);
}

TEST(Reset, EpochSeconds) {
  EXPECT_EQ(parse_reset("1700000060", kNow), 60);
  EXPECT_DOUBLE_EQ(*parse_reset("1700000001.250", kNow), 1.25);  // Discord
}

TEST(Reset, EpochMilliseconds) {
  EXPECT_DOUBLE_EQ(*parse_reset("1700000060500", kNow), 60.5);  // Linear
}

TEST(Reset, Iso8601) {
  EXPECT_EQ(parse_reset("2023-11-14T22:15:20Z", kNow), 120);
  EXPECT_EQ(parse_reset("2023-11-14T22:15Z", kNow), 100);  // Jira: minutes only
}

TEST(Reset, HttpDate) { EXPECT_EQ(parse_reset("Tue, 14 Nov 2023 22:14:50 GMT", kNow), 90); }

TEST(Reset, PastEpochClampsToZero) {
  EXPECT_EQ(parse_reset("1600000000", kNow), 0);
  EXPECT_EQ(parse_reset("1600000000000", kNow), 0);
}

TEST(Reset, MalformedIsNullopt) {
  for (const char* v : {"", "abc", "-1", "tomorrow", "1,5", "12s"}) {
    EXPECT_FALSE(parse_reset(v, kNow).has_value()) << v;
  }
}

// ---- status codes and Retry-After

TEST(RateSignal, PlainSuccessSaysNothing) {
  RateSignal s = parse_rate_signal(make_response(200, "{}"), kNow);
  EXPECT_FALSE(s.limited);
  EXPECT_FALSE(s.retry_after || s.limit || s.remaining || s.reset_after || s.window);
}

TEST(RateSignal, Status429IsAlwaysLimited) {
  RateSignal s = parse_rate_signal(make_response(429), kNow);
  EXPECT_TRUE(s.limited);
  EXPECT_FALSE(s.retry_after.has_value());
}

TEST(RateSignal, RetryAfterInEveryForm) {
  struct Case {
    const char* value;
    double want;
  } cases[] = {{"3", 3},
               {"1.250", 1.25},
               {"Tue, 14 Nov 2023 22:14:50 GMT", 90},
               {"Tuesday, 14-Nov-23 22:14:50 GMT", 90},
               {"Tue Nov 14 22:14:50 2023", 90},
               {"2023-11-14T22:14:50Z", 90}};
  for (const Case& c : cases) {
    RateSignal s = parse_rate_signal(make_response(429, "", {{"retry-after", c.value}}), kNow);
    EXPECT_TRUE(s.limited) << c.value;
    ASSERT_TRUE(s.retry_after.has_value()) << c.value;
    EXPECT_DOUBLE_EQ(*s.retry_after, c.want) << c.value;
  }
}

TEST(RateSignal, MalformedRetryAfterIsIgnored) {
  RateSignal s = parse_rate_signal(make_response(429, "", {{"retry-after", "soon"}}), kNow);
  EXPECT_TRUE(s.limited);
  EXPECT_FALSE(s.retry_after.has_value());
}

TEST(RateSignal, Status503IsLimitedOnlyWithRetryAfter) {
  RateSignal with = parse_rate_signal(make_response(503, "", {{"retry-after", "5"}}), kNow);
  EXPECT_TRUE(with.limited);
  EXPECT_EQ(with.retry_after, 5);
  EXPECT_FALSE(parse_rate_signal(make_response(503), kNow).limited);
  EXPECT_FALSE(parse_rate_signal(make_response(503, "", {{"retry-after", "x"}}), kNow).limited);
  EXPECT_FALSE(parse_rate_signal(make_response(500, "", {{"retry-after", "5"}}), kNow).limited);
}

TEST(RateSignal, NotionStatus529IsLimited) {
  RateSignal s = parse_rate_signal(
      make_response(529, R"({"object":"error","status":529,"code":"service_overload"})"), kNow);
  EXPECT_TRUE(s.limited);
}

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

// ---- IETF RateLimit / RateLimit-Policy

TEST(RateSignal, IetfCurrentFields) {
  RateSignal s = parse_rate_signal(make_response(200, "",
                                                 {{"ratelimit-policy", "\"default\";q=100;w=60"},
                                                  {"ratelimit", "\"default\";r=50;t=30"}}),
                                   kNow);
  EXPECT_FALSE(s.limited);
  EXPECT_EQ(s.limit, 100);
  EXPECT_EQ(s.window, 60);
  EXPECT_EQ(s.remaining, 50);
  EXPECT_EQ(s.reset_after, 30);
  EXPECT_FALSE(s.retry_after.has_value());
}

TEST(RateSignal, IetfExhaustedGivesT) {
  RateSignal s = parse_rate_signal(make_response(429, "", {{"ratelimit", "\"default\";r=0;t=30"}}),
                                   kNow);
  EXPECT_TRUE(s.limited);
  EXPECT_EQ(s.retry_after, 30);
}

TEST(RateSignal, RetryAfterWinsOverIetfT) {
  RateSignal s = parse_rate_signal(
      make_response(429, "", {{"retry-after", "10"}, {"ratelimit", "\"default\";r=0;t=30"}}), kNow);
  EXPECT_EQ(s.retry_after, 10);
  EXPECT_EQ(s.reset_after, 30);
}

TEST(RateSignal, IetfPolicyAloneChoosesTheLowestRate) {
  RateSignal s = parse_rate_signal(
      make_response(200, "",
                    {{"ratelimit-policy", "\"burst\";q=100;w=60,\"daily\";q=1000;w=86400"}}),
      kNow);
  EXPECT_EQ(s.limit, 1000);
  EXPECT_EQ(s.window, 86400);
  EXPECT_FALSE(s.remaining.has_value());
}

TEST(RateSignal, IetfMostRestrictiveCurrentLimitAndItsPolicy) {
  RateSignal s = parse_rate_signal(
      make_response(200, "",
                    {{"ratelimit-policy", "\"burst\";q=100;w=60, \"daily\";q=1000;w=86400"},
                     {"ratelimit", "\"burst\";r=80;t=10, \"daily\";r=5;t=3600"}}),
      kNow);
  EXPECT_EQ(s.remaining, 5);
  EXPECT_EQ(s.reset_after, 3600);
  EXPECT_EQ(s.limit, 1000);
  EXPECT_EQ(s.window, 86400);
}

TEST(RateSignal, IetfPolicyMatchedByNameEvenWhenAnotherIsSlower) {
  RateSignal s = parse_rate_signal(
      make_response(200, "",
                    {{"ratelimit-policy", "\"burst\";q=100;w=60, \"daily\";q=1000;w=86400"},
                     {"ratelimit", "\"burst\";r=0;t=10"}}),
      kNow);
  EXPECT_EQ(s.limit, 100);
  EXPECT_EQ(s.window, 60);
  EXPECT_EQ(s.retry_after, 10);
}

TEST(RateSignal, IetfBetaPrefixedFields) {  // Jira Cloud
  RateSignal s = parse_rate_signal(
      make_response(200, "",
                    {{"beta-ratelimit-policy", "\"tenant-app-quota\";q=100100;w=3600"},
                     {"beta-ratelimit", "\"tenant-app-quota\";r=17842;t=2107"}}),
      kNow);
  EXPECT_EQ(s.limit, 100100);
  EXPECT_EQ(s.window, 3600);
  EXPECT_EQ(s.remaining, 17842);
  EXPECT_EQ(s.reset_after, 2107);
}

TEST(RateSignal, IetfRepeatedFieldLinesCombine) {
  RateSignal s = parse_rate_signal(make_response(200, "",
                                                 {{"ratelimit", "\"a\";r=9;t=1"},
                                                  {"ratelimit", "\"b\";r=4;t=2"}}),
                                   kNow);
  EXPECT_EQ(s.remaining, 4);
  EXPECT_EQ(s.reset_after, 2);
}

TEST(RateSignal, IetfTokenNamesAndOldDraftIntegerPolicies) {
  RateSignal s = parse_rate_signal(
      make_response(200, "", {{"ratelimit-policy", "10;w=1, 50;w=60"}, {"ratelimit", "x;r=3"}}),
      kNow);
  EXPECT_EQ(s.remaining, 3);
  EXPECT_EQ(s.limit, 50);  // 50 per 60 s is the slower policy
  EXPECT_EQ(s.window, 60);
}

TEST(RateSignal, IetfMalformedFieldsAreIgnored) {
  for (const char* field :
       {"\"default\";r=abc", "\"default\";r=5,", "\"default\";t=30", "\"default\";r=-1",
        "(\"a\" \"b\");r=1", "\"unterminated;r=1", "\"d\";R=1", "\"d\";r=1;;t=2", ",\"d\";r=1",
        "\"d\";r=1.2345", "\"d\";r=1234567890123456"}) {
    RateSignal s = parse_rate_signal(make_response(200, "", {{"ratelimit", field}}), kNow);
    EXPECT_FALSE(s.remaining.has_value()) << field;
  }
  for (const char* policy : {"\"x\";q=-5;w=60", "\"x\";q=5;qu=\"content-bytes\"", "\"x\";w=60",
                             "\"x\";q=\"many\""}) {
    RateSignal s = parse_rate_signal(make_response(200, "", {{"ratelimit-policy", policy}}), kNow);
    EXPECT_FALSE(s.limit.has_value()) << policy;
  }
}

TEST(RateSignal, IetfValidPartsSurviveAMalformedSibling) {
  RateSignal s = parse_rate_signal(make_response(200, "",
                                                 {{"ratelimit", "\"d\";r=oops"},
                                                  {"beta-ratelimit", "\"d\";r=7;t=3"}}),
                                   kNow);
  // The plain field's r is a token, not a number: its item is ignored; the Beta one counts.
  EXPECT_EQ(s.remaining, 7);
}

// ---- across families, and malformed input

TEST(RateSignal, TheMostRestrictiveFamilyWins) {
  RateSignal s = parse_rate_signal(make_response(200, "",
                                                 {{"x-ratelimit-limit", "5000"},
                                                  {"x-ratelimit-remaining", "100"},
                                                  {"x-ratelimit-reset", "1700003600"},
                                                  {"ratelimit", "\"burst\";r=3;t=5"},
                                                  {"ratelimit-policy", "\"burst\";q=10;w=10"}}),
                                   kNow);
  EXPECT_EQ(s.remaining, 3);
  EXPECT_EQ(s.reset_after, 5);
  EXPECT_EQ(s.limit, 10);
  EXPECT_EQ(s.window, 10);
}

TEST(RateSignal, ExhaustedFamilyWithLongerResetWinsTies) {
  RateSignal s = parse_rate_signal(make_response(429, "",
                                                 {{"x-ratelimit-remaining", "0"},
                                                  {"x-ratelimit-reset", "10"},
                                                  {"x-rate-limit-remaining", "0"},
                                                  {"x-rate-limit-reset", "60"}}),
                                   kNow);
  EXPECT_EQ(s.retry_after, 60);
}

TEST(RateSignal, MalformedHeaderValuesAreIgnored) {
  RateSignal s = parse_rate_signal(make_response(429, "",
                                                 {{"x-ratelimit-limit", "lots"},
                                                  {"x-ratelimit-remaining", "-3"},
                                                  {"x-ratelimit-reset", "tomorrow"},
                                                  {"x-ratelimit-reset-after", "soon"},
                                                  {"retry-after", "later"}}),
                                   kNow);
  EXPECT_TRUE(s.limited);
  EXPECT_FALSE(s.retry_after || s.limit || s.remaining || s.reset_after || s.window);
}

TEST(RateSignal, NonJsonAndBrokenBodiesAreHarmless) {
  for (const char* body : {"<html>429 Too Many Requests</html>", "{", "[1,2", "null", "\"ok\"",
                           "{\"ok\":false,\"error\":7}", "{\"errors\":\"x\"}",
                           "[{\"errorCode\":1}]", "{\"errors\":[{\"extensions\":\"x\"}]}"}) {
    RateSignal s = parse_rate_signal(make_response(429, body), kNow);
    EXPECT_TRUE(s.limited) << body;
    EXPECT_FALSE(s.retry_after.has_value()) << body;
  }
}

TEST(RateSignal, HugeBodiesAreNotParsed) {
  std::string body = R"({"ok":false,"error":"ratelimited","pad":")" + std::string(70000, 'x') + "\"}";
  EXPECT_FALSE(parse_rate_signal(make_response(200, body), kNow).limited);
}

TEST(RateSignal, RandomInputNeverThrowsAndYieldsSaneNumbers) {
  std::mt19937 rng(42);
  const std::string alphabet = "0123456789.,;:=-+\" TZtz()?*abcdefghrqw:/\\{}[]GMTNovTue";
  auto junk = [&](size_t max) {
    std::string s(rng() % max, ' ');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    return s;
  };
  for (int i = 0; i < 5000; ++i) {
    std::string v = junk(40);
    auto ra = parse_retry_after(v, kNow);
    auto rs = parse_reset(v, kNow);
    if (ra) {
      EXPECT_TRUE(std::isfinite(*ra) && *ra >= 0) << v;
    }
    if (rs) {
      EXPECT_TRUE(std::isfinite(*rs) && *rs >= 0) << v;
    }
    HttpResponse r = make_response(i % 2 ? 429 : 200, junk(60),
                                   {{"ratelimit", junk(30)},
                                    {"ratelimit-policy", junk(30)},
                                    {"retry-after", v},
                                    {"x-ratelimit-remaining", junk(6)},
                                    {"x-ratelimit-reset", junk(12)}});
    RateSignal s = parse_rate_signal(r, kNow);
    for (const auto& f : {s.retry_after, s.limit, s.remaining, s.reset_after, s.window}) {
      if (f) {
        EXPECT_TRUE(std::isfinite(*f) && *f >= 0);
      }
    }
  }
}

}  // namespace
}  // namespace sever::providers

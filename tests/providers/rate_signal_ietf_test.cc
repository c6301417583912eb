// Tests of rate-limit signal parsing: the IETF RateLimit / RateLimit-Policy fields, precedence
// across families, and that malformed input is ignored.
#include "sever/providers/rate_signal.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "provider_test_util.h"

namespace sever::providers {
namespace {

using testing::kNow;
using testing::make_response;

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

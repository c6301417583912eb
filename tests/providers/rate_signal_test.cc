// Tests of rate-limit signal parsing: every Retry-After and reset notation, and what status
// codes and Retry-After say on their own.
#include "sever/providers/rate_signal.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace sever::providers

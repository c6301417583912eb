#include "sever/store/time.h"

#include <gtest/gtest.h>

namespace sever {
namespace {

TEST(Time, ParsesRfc3339Forms) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z").value(), 0);
  EXPECT_EQ(parse_rfc3339("2026-01-02T03:04:05Z").value(), 1767323045);
  EXPECT_EQ(parse_rfc3339("2026-01-02T03:04:05.123456Z").value(), 1767323045);
  EXPECT_EQ(parse_rfc3339("2026-01-02T05:04:05+02:00").value(), 1767323045);
  EXPECT_EQ(parse_rfc3339("2026-01-01T22:04:05-05:00").value(), 1767323045);
  EXPECT_EQ(parse_rfc3339("2026-01-02t03:04:05z").value(), 1767323045);
  EXPECT_EQ(parse_rfc3339("2024-02-29T00:00:00Z").value(), 1709164800);
  EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59Z").value(), -1);
}

TEST(Time, RejectsMalformed) {
  for (const char* s : {"", "2026-01-02", "2026-01-02T03:04:05", "2026-13-02T03:04:05Z",
                        "2026-02-30T03:04:05Z", "2025-02-29T00:00:00Z", "2026-01-02T24:00:00Z",
                        "2026-01-02 03:04:05Z", "2026-01-02T03:04:05Zjunk", "2026-01-02T03:04:05.Z",
                        "2026-01-02T03:04:05+2:00", "26-01-02T03:04:05Z", "yesterday"}) {
    auto r = parse_rfc3339(s);
    EXPECT_FALSE(r.ok()) << s;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Code::invalid_argument);
      EXPECT_NE(r.status().message().find("RFC 3339"), std::string::npos);
    }
  }
}

TEST(Time, FormatsUtcAndRoundTrips) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(1767323045), "2026-01-02T03:04:05Z");
  EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59Z");
  for (int64_t t : {int64_t{951782400}, int64_t{4102444799}, int64_t{1709164800}}) {
    EXPECT_EQ(parse_rfc3339(format_rfc3339(t)).value(), t);
  }
}

TEST(Time, RoundTripsOverManyInstants) {
  constexpr int64_t kDay = 86400;
  for (int64_t t = 0; t < 260LL * 365 * kDay; t += 7 * kDay + 3601) {
    auto back = parse_rfc3339(format_rfc3339(t));
    ASSERT_TRUE(back.ok()) << t;
    ASSERT_EQ(*back, t) << format_rfc3339(t);
  }
}

TEST(Time, StartOfUtcDay) {
  EXPECT_EQ(start_of_utc_day(1767323045), 1767312000);
  EXPECT_EQ(start_of_utc_day(1767312000), 1767312000);
  EXPECT_EQ(start_of_utc_day(1767311999), 1767312000 - 86400);
  EXPECT_EQ(start_of_utc_day(-1), -86400);
}

}  // namespace
}  // namespace sever

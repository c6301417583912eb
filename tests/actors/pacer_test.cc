#include "sever/actors/pacer.h"

#include <gtest/gtest.h>

namespace sever::actors {
namespace {

PacerConfig config(double rate, int window) {
  PacerConfig c;
  c.rate_per_s = rate;
  c.headroom = 1.0;
  c.burst_seconds = 0.1;
  c.max_concurrency = window;
  c.initial_window = window;
  return c;
}

TEST(Pacer, TokenBucketPacesAtTheRate) {
  Pacer p(config(100, 1000));
  // Over 10 simulated seconds, polled every millisecond, it admits ~100/s (+ one burst).
  int admitted = 0;
  for (int ms = 0; ms < 10000; ++ms) {
    while (p.TryAcquire(ms / 1000.0)) {
      ++admitted;
      p.OnSuccess(ms / 1000.0);
    }
  }
  EXPECT_GE(admitted, 995);
  EXPECT_LE(admitted, 1011);
}

TEST(Pacer, HeadroomKeepsItUnderTheLimit) {
  PacerConfig c = config(100, 1000);
  c.headroom = 0.95;
  Pacer p(c);
  int admitted = 0;
  for (int ms = 0; ms < 10000; ++ms) {
    while (p.TryAcquire(ms / 1000.0)) {
      ++admitted;
      p.OnSuccess(ms / 1000.0);
    }
  }
  EXPECT_LE(admitted, 960);
}

TEST(Pacer, WindowBoundsConcurrencyAndGrowsAdditively) {
  PacerConfig c = config(0, 16);  // unlimited rate
  c.initial_window = 2;
  Pacer p(c);
  EXPECT_TRUE(p.TryAcquire(0));
  EXPECT_TRUE(p.TryAcquire(0));
  EXPECT_FALSE(p.TryAcquire(0));  // window of 2 is full
  p.OnSuccess(0);
  p.OnSuccess(0);
  EXPECT_GT(p.window(), 2.0);
  EXPECT_LE(p.window(), 16.0);
}

TEST(Pacer, WindowDoublesPerRoundTripUntilTheFirstLimitThenGrowsByOnePerWindow) {
  PacerConfig c = config(0, 1000);  // unlimited rate
  c.initial_window = 4;
  Pacer p(c);
  // Round trips: take the whole window, then complete it. Slow start: 4 → 8 → 16 → 32.
  auto round_trip = [&] {
    const int n = static_cast<int>(p.window());
    for (int i = 0; i < n; ++i) ASSERT_TRUE(p.TryAcquire(0));
    EXPECT_FALSE(p.TryAcquire(0));
    for (int i = 0; i < n; ++i) p.OnSuccess(0);
  };
  for (double expect : {8.0, 16.0, 32.0}) {
    round_trip();
    EXPECT_DOUBLE_EQ(p.window(), expect);
  }
  ASSERT_TRUE(p.TryAcquire(0));
  providers::RateSignal s;
  s.limited = true;
  s.retry_after = 0;
  p.OnRateLimited(0, s);  // halves, and ends slow start
  EXPECT_DOUBLE_EQ(p.window(), 16.0);
  round_trip();
  EXPECT_NEAR(p.window(), 17.0, 0.05);  // +1/window per success: about one per round trip
}

TEST(Pacer, RetryAfterPausesUntilItExpires) {
  Pacer p(config(1000, 8));
  ASSERT_TRUE(p.TryAcquire(10.0));
  providers::RateSignal s;
  s.limited = true;
  s.retry_after = 2.0;
  p.OnRateLimited(10.0, s);
  EXPECT_FALSE(p.TryAcquire(10.5));
  EXPECT_FALSE(p.TryAcquire(11.99));
  EXPECT_GE(p.NextReady(10.5), 12.0);
  EXPECT_TRUE(p.TryAcquire(12.1));
  EXPECT_LE(p.window(), 4.0);  // multiplicative decrease
}

TEST(Pacer, RemainingZeroPausesToReset) {
  Pacer p(config(1000, 8));
  providers::RateSignal s;
  s.remaining = 0;
  s.reset_after = 5;
  p.Observe(100, s);
  EXPECT_FALSE(p.TryAcquire(104));
  EXPECT_TRUE(p.TryAcquire(105.01));
}

TEST(Pacer, PolicyLowersTheRate) {
  Pacer p(config(1000, 8));
  providers::RateSignal s;
  s.limit = 100;
  s.window = 10;  // 10 per second
  p.Observe(0, s);
  EXPECT_NEAR(p.rate(), 10.0, 0.01);
}

TEST(Pacer, ALimitSlowsItThenItRecoversToTheSeedAndNoFurther) {
  Pacer p(config(100, 1000));
  ASSERT_TRUE(p.TryAcquire(0));
  providers::RateSignal s;
  s.retry_after = 0.5;
  p.OnRateLimited(0, s);
  EXPECT_DOUBLE_EQ(p.rate(), 90);
  EXPECT_FALSE(p.TryAcquire(0.4));  // paused by Retry-After
  EXPECT_DOUBLE_EQ(p.rate(), 90);   // and no recovery within recover_after_s
  EXPECT_FALSE(p.TryAcquire(1.9) && p.rate() > 90);
  p.NextReady(3.0);                 // one second of recovery at 2% of 100 per second
  EXPECT_NEAR(p.rate(), 92, 0.01);
  p.NextReady(60.0);
  EXPECT_DOUBLE_EQ(p.rate(), 100);  // back at the seed, never above
}

TEST(Pacer, AStatedLimitIsACeilingRecoveryRespects) {
  Pacer p(config(100, 1000));
  providers::RateSignal policy;
  policy.limit = 50;
  policy.window = 1;
  p.Observe(0, policy);
  EXPECT_DOUBLE_EQ(p.rate(), 50);
  providers::RateSignal s;
  p.OnRateLimited(1, s);
  EXPECT_DOUBLE_EQ(p.rate(), 45);
  p.NextReady(100);
  EXPECT_DOUBLE_EQ(p.rate(), 50);
}

TEST(Pacer, BreakerOpensAfterRepeatedFailuresAndProbesOnce) {
  PacerConfig c = config(0, 16);
  c.breaker_threshold = 3;
  c.breaker_cooldown_s = 2;
  Pacer p(c);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(p.TryAcquire(0));
    p.OnTransientFailure(0);
  }
  EXPECT_TRUE(p.breaker_open(1));
  EXPECT_FALSE(p.TryAcquire(1));
  EXPECT_TRUE(p.TryAcquire(2.5));   // half-open: one probe
  EXPECT_FALSE(p.TryAcquire(2.5));  // and only one
  p.OnTransientFailure(2.5);        // probe failed: open again, longer
  EXPECT_FALSE(p.TryAcquire(5));
  EXPECT_TRUE(p.TryAcquire(7));
  p.OnSuccess(7);                   // closed
  EXPECT_TRUE(p.TryAcquire(7));
  EXPECT_TRUE(p.TryAcquire(7));
}

TEST(Pacer, BackoffIsFullJitterUnderTheCap) {
  PacerConfig c = config(10, 8);
  c.backoff_base_s = 1;
  c.backoff_cap_s = 8;
  Pacer p(c, 42);
  double max_seen = 0, min_seen = 1e9;
  for (int i = 0; i < 2000; ++i) {
    double d = p.Backoff(5);  // cap 8 < 2^5
    max_seen = std::max(max_seen, d);
    min_seen = std::min(min_seen, d);
    ASSERT_GE(d, 0);
    ASSERT_LE(d, 8);
  }
  EXPECT_GT(max_seen, 7);    // spread over the whole range: no synchronized retries
  EXPECT_LT(min_seen, 1);
  EXPECT_LE(p.Backoff(1), 2);
}

}  // namespace
}  // namespace sever::actors

namespace sever::actors {
namespace {

TEST(Pacer, GivesUpWhenProbesKeepFailing) {
  PacerConfig c;
  c.rate_per_s = 0;
  c.breaker_threshold = 3;
  c.breaker_cooldown_s = 1;
  c.initial_window = 8;
  c.max_concurrency = 8;
  Pacer p(c);
  double t = 0;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(p.TryAcquire(t));
    p.OnTransientFailure(t);
  }
  EXPECT_FALSE(p.given_up());
  t = 1.5;
  ASSERT_TRUE(p.TryAcquire(t));  // first probe
  p.OnTransientFailure(t);
  EXPECT_FALSE(p.given_up());
  t = 4;
  ASSERT_TRUE(p.TryAcquire(t));  // second probe
  p.OnTransientFailure(t);
  EXPECT_TRUE(p.given_up());
}

}  // namespace
}  // namespace sever::actors

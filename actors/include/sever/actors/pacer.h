// The pace of one dispatcher: a token bucket seeded from config and corrected by what the
// provider says, an AIMD concurrency window, full-jitter backoff and a circuit breaker. Pure
// logic on a caller-supplied clock (seconds), so it is tested without time passing.
#pragma once

#include <cstdint>
#include <random>

#include "sever/providers/rate_signal.h"

namespace sever::actors {

struct PacerConfig {
  double rate_per_s = 10;       // requests per second the provider allows; <= 0: unlimited
  double headroom = 0.99;       // pace at this share of the rate, under the provider's limit
  /// Bucket capacity, in seconds of rate: what a dispatcher woken late (a busy scheduler
  /// thread) may still send of what it earned. At 0.2 s, providers of 11-24 req/s ran at ~0.88
  /// of their rate in the 1.7M limited bench (1.15x the ideal at T = 240 s; 0.5 s: 1.01x) …
  double burst_seconds = 0.5;
  /// … and at least this many tokens: a slow provider's dispatcher woken a little late (a busy
  /// scheduler) keeps the tokens it earned instead of losing what overflowed a 1-token bucket.
  double min_burst = 3;
  /// After a "too many requests" (rate cut by 10%), the rate climbs back toward its ceiling by
  /// this share of the ceiling per second, once no such answer came for recover_after_s.
  double recover_per_s = 0.02;
  double recover_after_s = 2;
  int max_concurrency = 16;     // ceiling of the window
  int initial_window = 4;
  double backoff_base_s = 0.25;  // full jitter: uniform(0, min(cap, base * 2^attempt))
  double backoff_cap_s = 30;
  int breaker_threshold = 8;     // consecutive transient failures that open the breaker
  double breaker_cooldown_s = 2;  // first open period; doubles while probes fail, max 60 s
};

class Pacer {
 public:
  explicit Pacer(const PacerConfig& config, uint64_t seed = 1);

  /// Returns true iff a request may start at `now`, and takes a token and a window slot.
  bool TryAcquire(double now);
  /// Returns the earliest time a TryAcquire could succeed (now when it could already; a large
  /// value when only a completion can free a slot).
  double NextReady(double now);

  /// Completions: each frees the slot its request held.
  /// Window growth: +1 per success (doubling per round trip) until the first "too many
  /// requests" or transient failure, then +1/window (additive increase), as TCP does. A
  /// window that starts small must not hold a fast provider back while it grows.
  void OnSuccess(double now);                   // window increase; closes the breaker
  void OnRateLimited(double now, const providers::RateSignal& s);  // slows; pauses
  void OnTransientFailure(double now);          // 5xx, timeout, reset: counts to the breaker
  void OnPermanent(double now);                 // a definite answer that is not a success
  /// Applies informational signals of a successful answer (remaining 0 → pause to reset; a
  /// limit over a window lowers the rate).
  void Observe(double now, const providers::RateSignal& s);

  /// Returns the delay before retry number `attempt` (1-based): full jitter.
  double Backoff(uint32_t attempt);

  int in_flight() const { return in_flight_; }
  double window() const { return window_; }
  double rate() const { return rate_; }
  bool breaker_open(double now) const { return now < open_until_; }
  /// Returns true once the breaker opened and its probes kept failing (threshold + 2
  /// consecutive transient failures): the provider is down, waiting longer helps no item.
  bool given_up() const { return failures_ >= c_.breaker_threshold + 2; }
  double paused_until() const { return paused_until_; }

 private:
  void Refill(double now);
  void Release();

  PacerConfig c_;
  double rate_;       // current pace (requests/s), <= 0 unlimited
  double ceiling_;    // what rate_ recovers to: the seed, or a limit the provider stated
  double limited_at_ = -1e18;  // last "too many requests"
  double tokens_;
  double capacity_;
  double last_ = 0;
  double window_;
  int in_flight_ = 0;
  double paused_until_ = 0;
  int failures_ = 0;
  double open_until_ = 0;
  double cooldown_;
  bool probing_ = false;
  bool slow_start_ = true;  // until the first sign of a limit
  /// splitmix64: 8 bytes of state, where mt19937_64 would take 2.5 KB in every dispatcher.
  struct Rng {
    using result_type = uint64_t;
    uint64_t state;
    static constexpr uint64_t min() { return 0; }
    static constexpr uint64_t max() { return ~uint64_t{0}; }
    uint64_t operator()() {
      uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      return z ^ (z >> 31);
    }
  };
  Rng rng_;
};

}  // namespace sever::actors

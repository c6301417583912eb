// A token bucket shared by the workers of one job (`rotate dek --max-rate`): each takes what
// it just did and waits what the bucket says before its next step. Pure logic on a
// caller-supplied clock (seconds), so it is tested without time passing. Thread-safe.
#pragma once

#include <mutex>

namespace sever::actors {

class TokenBucket {
 public:
  /// `rate` tokens a second (<= 0: unlimited), holding at most `burst` tokens (at least 1).
  /// It starts full.
  TokenBucket(double rate, double burst);

  /// Takes `n` tokens at `now` (the balance may go below zero) and returns the seconds the
  /// caller waits before its next take, so that takes over time stay at the rate: 0 while the
  /// balance is not negative, else what the debt needs to refill. Always 0 when unlimited.
  double Take(double n, double now);

  double rate() const { return rate_; }

 private:
  const double rate_;
  const double capacity_;
  std::mutex mu_;
  double tokens_;
  double last_ = -1;  // the first Take only sets the clock
};

}  // namespace sever::actors

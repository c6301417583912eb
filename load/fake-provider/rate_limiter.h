// Token buckets per (provider, rate-limit key), the way each provider scopes its limits.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace sever::fake {

/// The state of one bucket after a request, for answers and informational headers.
struct LimitSnapshot {
  bool allowed = true;
  double limit = 0;      // capacity (burst)
  double remaining = 0;  // whole tokens left after this request (>= 0)
  double wait_s = 0;     // seconds until one token is available (0 if remaining >= 1)
  double full_s = 0;     // seconds until the bucket is full again
  double rate = 0;       // tokens per second
  uint64_t used = 0;     // requests this bucket has admitted
  /// Seconds until the quota a client would wait for: the next token when empty, else full.
  double reset_s() const { return remaining >= 1 ? full_s : wait_s; }
};

/// One token bucket. Tokens may go negative with `penalty`: each request made while limited
/// takes a token it does not have, so a client that keeps knocking waits longer (GitHub-style).
class TokenBucket {
 public:
  /// Admits or limits one request at `now_us` (a monotonic clock).
  LimitSnapshot take(int64_t now_us, double rate, double burst, bool penalty);

 private:
  double tokens_ = -1;  // < 0 before the first request: starts full
  int64_t last_us_ = 0;
  bool started_ = false;
  uint64_t used_ = 0;
};

/// The buckets of one provider, keyed by the scope's key. Not thread-safe.
class RateLimiter {
 public:
  /// At most this many distinct keys get their own bucket; beyond it, keys share one.
  static constexpr size_t kMaxKeys = 100000;

  /// Admits or limits one request for `key` (empty for provider scope).
  LimitSnapshot take(const std::string& key, int64_t now_us, double rate, double burst,
                     bool penalty);

 private:
  std::unordered_map<std::string, TokenBucket> buckets_;
};

}  // namespace sever::fake

#include "rate_limiter.h"

#include <algorithm>

namespace sever::fake {

LimitSnapshot TokenBucket::take(int64_t now_us, double rate, double burst, bool penalty) {
  if (!started_) {
    started_ = true;
    tokens_ = burst;
    last_us_ = now_us;
  }
  const double elapsed = static_cast<double>(std::max<int64_t>(0, now_us - last_us_)) / 1e6;
  tokens_ = std::min(burst, tokens_ + elapsed * rate);
  last_us_ = now_us;
  LimitSnapshot s;
  s.limit = burst;
  s.rate = rate;
  if (tokens_ >= 1) {
    tokens_ -= 1;
    ++used_;
  } else {
    s.allowed = false;
    // The deficit is bounded so that a penalised client waits at most about a minute more.
    if (penalty) tokens_ = std::max(tokens_ - 1, -rate * 60.0);
  }
  s.used = used_;
  s.remaining = std::max(0.0, static_cast<double>(static_cast<int64_t>(tokens_)));
  s.wait_s = tokens_ >= 1 ? 0.0 : (1.0 - tokens_) / rate;
  s.full_s = (burst - tokens_) / rate;
  return s;
}

LimitSnapshot RateLimiter::take(const std::string& key, int64_t now_us, double rate,
                                double burst, bool penalty) {
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    const std::string& k = buckets_.size() < kMaxKeys ? key : std::string();
    it = buckets_.try_emplace(k).first;
  }
  return it->second.take(now_us, rate, burst, penalty);
}

}  // namespace sever::fake

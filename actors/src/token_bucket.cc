#include "sever/actors/token_bucket.h"

#include <algorithm>

namespace sever::actors {

TokenBucket::TokenBucket(double rate, double burst)
    : rate_(rate), capacity_(std::max(1.0, burst)), tokens_(capacity_) {}

double TokenBucket::Take(double n, double now) {
  if (rate_ <= 0) return 0;
  std::lock_guard lock(mu_);
  if (last_ >= 0 && now > last_) tokens_ = std::min(capacity_, tokens_ + (now - last_) * rate_);
  last_ = std::max(last_, now);
  tokens_ -= n;
  return tokens_ >= 0 ? 0 : -tokens_ / rate_;
}

}  // namespace sever::actors

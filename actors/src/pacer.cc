#include "sever/actors/pacer.h"

#include <algorithm>
#include <cmath>

namespace sever::actors {
namespace {
constexpr double kNever = 1e18;
}

Pacer::Pacer(const PacerConfig& config, uint64_t seed)
    : c_(config),
      rate_(config.rate_per_s > 0 ? config.rate_per_s * config.headroom : 0),
      ceiling_(rate_),
      window_(std::clamp<double>(config.initial_window, 1, std::max(1, config.max_concurrency))),
      cooldown_(config.breaker_cooldown_s),
      rng_{seed} {
  capacity_ = rate_ > 0 ? std::max(c_.min_burst, rate_ * c_.burst_seconds) : 0;
  tokens_ = capacity_;
}

void Pacer::Refill(double now) {
  if (rate_ > 0 && now > last_) {
    tokens_ = std::min(capacity_, tokens_ + (now - last_) * rate_);
    // Additive increase back to the ceiling once answers stopped saying "too many".
    const double from = std::max(last_, limited_at_ + c_.recover_after_s);
    if (rate_ < ceiling_ && now > from) {
      rate_ = std::min(ceiling_, rate_ + ceiling_ * c_.recover_per_s * (now - from));
      capacity_ = std::max(c_.min_burst, rate_ * c_.burst_seconds);
    }
  }
  last_ = std::max(last_, now);
}

bool Pacer::TryAcquire(double now) {
  Refill(now);
  if (now < paused_until_ || in_flight_ >= static_cast<int>(window_)) return false;
  if (now < open_until_) return false;
  if (open_until_ > 0 && failures_ >= c_.breaker_threshold) {  // half-open: one probe at a time
    if (probing_) return false;
    probing_ = true;
  }
  if (rate_ > 0) {
    if (tokens_ < 1) return false;
    tokens_ -= 1;
  }
  ++in_flight_;
  return true;
}

double Pacer::NextReady(double now) {
  Refill(now);
  double t = std::max({now, paused_until_, open_until_});
  if (in_flight_ >= static_cast<int>(window_)) return kNever;
  if (probing_ && open_until_ > 0) return kNever;
  if (rate_ > 0 && tokens_ < 1) t = std::max(t, now + (1 - tokens_) / rate_);
  return t;
}

void Pacer::Release() { in_flight_ = std::max(0, in_flight_ - 1); }

void Pacer::OnSuccess(double now) {
  Release();
  failures_ = 0;
  open_until_ = 0;
  probing_ = false;
  cooldown_ = c_.breaker_cooldown_s;
  window_ = std::min<double>(c_.max_concurrency, window_ + (slow_start_ ? 1.0 : 1.0 / window_));
}

void Pacer::OnPermanent(double now) { OnSuccess(now); }

void Pacer::OnRateLimited(double now, const providers::RateSignal& s) {
  Release();
  slow_start_ = false;
  window_ = std::max(1.0, window_ / 2);
  double wait = 0;
  if (s.retry_after) wait = *s.retry_after;
  else if (s.reset_after && (!s.remaining || *s.remaining <= 0)) wait = *s.reset_after;
  else wait = Backoff(1) + 0.5;  // no hint: back off
  paused_until_ = std::max(paused_until_, now + wait);
  tokens_ = 0;
  limited_at_ = now;
  if (rate_ > 0) rate_ = std::max(0.1, rate_ * 0.9);  // too fast: 10% slower, then recover
  Observe(now, s);
}

void Pacer::Observe(double now, const providers::RateSignal& s) {
  if (s.limit && s.window && *s.window > 0) {
    double allowed = *s.limit / *s.window * c_.headroom;
    if (rate_ <= 0 || allowed < rate_) {
      rate_ = allowed;
      ceiling_ = allowed;  // the provider said so: no recovery above it
      capacity_ = std::max(c_.min_burst, rate_ * c_.burst_seconds);
      tokens_ = std::min(tokens_, capacity_);
    }
  }
  if (s.remaining && *s.remaining <= 0 && s.reset_after) {
    paused_until_ = std::max(paused_until_, now + *s.reset_after);
  }
}

void Pacer::OnTransientFailure(double now) {
  Release();
  slow_start_ = false;
  probing_ = false;
  if (++failures_ >= c_.breaker_threshold) {
    open_until_ = now + cooldown_;
    cooldown_ = std::min(60.0, cooldown_ * 2);
  }
}

double Pacer::Backoff(uint32_t attempt) {
  double cap = std::min(c_.backoff_cap_s, c_.backoff_base_s * std::pow(2.0, attempt));
  return std::uniform_real_distribution<double>(0, cap)(rng_);
}

}  // namespace sever::actors

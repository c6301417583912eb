#include "rate_headers.h"

#include <cmath>
#include <cstdio>

#include "codec.h"

namespace sever::fake {
namespace {

void header(std::string* out, const char* name, const std::string& value) {
  out->append(name);
  out->append(": ");
  out->append(value);
  out->append("\r\n");
}

std::string num(double v) { return std::to_string(static_cast<int64_t>(v)); }

std::string fixed3(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

int64_t ceil_secs(double s) { return static_cast<int64_t>(std::ceil(s)); }

/// Returns the Unix second by which `delay_s` from now_ms has surely passed.
int64_t epoch_after(int64_t now_ms, double delay_s) {
  return static_cast<int64_t>(std::ceil((static_cast<double>(now_ms) + delay_s * 1000.0) / 1000.0));
}

/// GitHub's hourly primary quota as a secondary-limited answer shows it: not exhausted.
LimitSnapshot github_primary_view(const LimitSnapshot& s) {
  LimitSnapshot p = s;
  p.limit = 5000;
  p.used = s.used % 5000;
  p.remaining = static_cast<double>(5000 - p.used);
  p.full_s = 3600;
  return p;
}

}  // namespace

void append_rate_headers(RateHeaders family, const LimitSnapshot& s, int64_t now_ms,
                         std::string* out) {
  const std::string limit = num(s.limit);
  const std::string remaining = num(s.remaining);
  const std::string reset_epoch = std::to_string(epoch_after(now_ms, s.reset_s()));
  // The limit / remaining / reset-epoch triple most families send under their own names.
  const auto triple = [&](const char* limit_name, const char* remaining_name,
                          const char* reset_name) {
    header(out, limit_name, limit);
    header(out, remaining_name, remaining);
    header(out, reset_name, reset_epoch);
  };
  switch (family) {
    case RateHeaders::none:
      return;
    case RateHeaders::github:
      triple("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset");
      header(out, "x-ratelimit-used", std::to_string(s.used));
      header(out, "x-ratelimit-resource", "core");
      return;
    case RateHeaders::okta:
      triple("X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset");
      return;
    case RateHeaders::x:
      triple("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset");
      return;
    case RateHeaders::auth0:
      triple("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset");
      return;
    case RateHeaders::vercel:
      triple("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset");
      return;
    case RateHeaders::discord:
      header(out, "X-RateLimit-Limit", limit);
      header(out, "X-RateLimit-Remaining", remaining);
      header(out, "X-RateLimit-Reset",
             fixed3(static_cast<double>(now_ms) / 1000.0 + s.reset_s()));
      header(out, "X-RateLimit-Reset-After", fixed3(s.reset_s()));
      header(out, "X-RateLimit-Bucket", "fake-oauth2-token-revoke");
      return;
    case RateHeaders::hubspot:
      header(out, "X-HubSpot-RateLimit-Interval-Milliseconds",
             num(std::ceil(s.limit / s.rate * 1000.0)));
      header(out, "X-HubSpot-RateLimit-Max", limit);
      header(out, "X-HubSpot-RateLimit-Remaining", remaining);
      header(out, "X-HubSpot-RateLimit-Secondly", num(std::ceil(s.rate)));
      header(out, "X-HubSpot-RateLimit-Secondly-Remaining", remaining);
      return;
    case RateHeaders::sentry:
      triple("X-Sentry-Rate-Limit-Limit", "X-Sentry-Rate-Limit-Remaining", "X-Sentry-Rate-Limit-Reset");
      return;
    case RateHeaders::linear:
      header(out, "X-RateLimit-Requests-Limit", limit);
      header(out, "X-RateLimit-Requests-Remaining", remaining);
      header(out, "X-RateLimit-Requests-Reset",
             std::to_string(static_cast<int64_t>(
                 std::ceil(static_cast<double>(now_ms) + s.reset_s() * 1000.0))));
      return;
    case RateHeaders::zoom:
      header(out, "X-RateLimit-Category", "Light");
      header(out, "X-RateLimit-Type", "QPS");
      header(out, "X-RateLimit-Limit", num(std::max(1.0, std::floor(s.rate))));  // per second
      header(out, "X-RateLimit-Remaining", remaining);
      return;
  }
}

void append_ietf_headers(IetfHeaders mode, const LimitSnapshot& s, std::string* out) {
  const std::string t = std::to_string(ceil_secs(s.reset_s()));
  switch (mode) {
    case IetfHeaders::none:
      return;
    case IetfHeaders::draft:
      header(out, "RateLimit-Policy",
             "\"default\";q=" + num(s.limit) + ";w=" +
                 std::to_string(std::max<int64_t>(1, ceil_secs(s.limit / s.rate))));
      header(out, "RateLimit", "\"default\";r=" + num(s.remaining) + ";t=" + t);
      return;
    case IetfHeaders::old_draft:
      header(out, "RateLimit-Limit", num(s.limit));
      header(out, "RateLimit-Remaining", num(s.remaining));
      header(out, "RateLimit-Reset", t);
      return;
  }
}

LimitStyle effective_style(const Adapter& a, const ProviderConfig& cfg) {
  return cfg.limit_style.value_or(a.default_style);
}

LimitedAnswer limited_answer(const Adapter& a, const ProviderConfig& cfg, const LimitSnapshot& s,
                             int64_t now_ms) {
  const LimitStyle style = effective_style(a, cfg);
  LimitedAnswer ans;
  // A style that is not the provider's own answers 429 (GitHub's 403) unless limit_status says.
  int status = style == a.default_style ? a.default_limit_status : 429;
  if (style == LimitStyle::github_primary || style == LimitStyle::github_secondary) status = 403;
  if (cfg.limit_status != 0) status = cfg.limit_status;
  ans.status = status;
  const double wait = std::max(s.wait_s, 0.001);
  const int64_t whole = std::max<int64_t>(1, ceil_secs(wait));
  RateHeaders family = cfg.rate_headers ? a.rate_headers : RateHeaders::none;
  LimitSnapshot shown = s;
  switch (style) {
    case LimitStyle::retry_after_seconds:
      header(&ans.headers, "Retry-After", std::to_string(whole));
      break;
    case LimitStyle::retry_after_http_date:
      header(&ans.headers, "Retry-After", http_date(epoch_after(now_ms, wait)));
      break;
    case LimitStyle::retry_after_fractional:
      header(&ans.headers, "Retry-After", fixed3(wait));
      break;
    case LimitStyle::retry_after_iso:
      header(&ans.headers, "Retry-After", iso_instant(epoch_after(now_ms, wait)));
      break;
    case LimitStyle::retry_after_absent:
      break;
    case LimitStyle::github_primary:
      family = RateHeaders::github;  // the signal itself: remaining 0 and the reset epoch
      break;
    case LimitStyle::github_secondary:
      header(&ans.headers, "retry-after", std::to_string(whole));
      if (family == RateHeaders::github) shown = github_primary_view(s);
      break;
    case LimitStyle::discord:
      family = RateHeaders::discord;
      header(&ans.headers, "X-RateLimit-Global", "false");
      header(&ans.headers, "X-RateLimit-Scope", "user");
      break;
    case LimitStyle::hubspot:
      family = RateHeaders::hubspot;
      break;
  }
  append_rate_headers(family, shown, now_ms, &ans.headers);
  append_ietf_headers(cfg.ietf_headers, s, &ans.headers);
  ans.body = limited_body(a, style, status, wait);
  return ans;
}

}  // namespace sever::fake

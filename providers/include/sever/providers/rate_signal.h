// What a provider's response says about its rate limit, in every form providers use.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "sever/providers/http.h"

namespace sever::providers {

/// Rate-limit facts read from one response. Every duration is seconds from `now`.
struct RateSignal {
  bool limited = false;                  // the response says "too many requests"
  std::optional<double> retry_after;     // wait at least this long before the next request
  std::optional<double> limit;           // requests allowed per window
  std::optional<double> remaining;       // requests left in the current window
  std::optional<double> reset_after;     // until the window resets
  std::optional<double> window;          // window length (IETF RateLimit-Policy w=)
};

/// Parses a Retry-After value: delay-seconds ("120", also fractional "2.5"), an HTTP-date
/// (IMF-fixdate, RFC 850 or asctime) or an ISO-8601 instant; returns seconds from `now_unix`
/// (clamped at 0), or nullopt when the value is malformed.
std::optional<double> parse_retry_after(std::string_view value, double now_unix);

/// Parses a reset header value that may be epoch seconds, epoch milliseconds, an ISO-8601
/// instant or a delta in seconds (decided by magnitude: > 1e12 ms epoch, > 1e9 s epoch, else
/// delta; fractions allowed); an HTTP-date is accepted too. Returns seconds from `now_unix`
/// (clamped at 0), or nullopt when the value is malformed.
std::optional<double> parse_reset(std::string_view value, double now_unix);

/// Reads every rate-limit signal of a response: status 429 (and 503 with Retry-After), GitHub's
/// 403 with x-ratelimit-remaining: 0 or a "secondary rate limit" message, Retry-After,
/// X-RateLimit-* / X-Rate-Limit-* / RateLimit-* (old drafts) with Reset in any form,
/// X-RateLimit-Reset-After, the IETF RateLimit and RateLimit-Policy structured fields (also
/// with a Beta- prefix), Discord's and Slack's JSON bodies (retry_after, ok:false ratelimited),
/// HubSpot's errorType RATE_LIMIT. When both are present, Retry-After wins over RateLimit t=.
///
/// Precisely: `limited` iff the status is 429 or 529 (Notion), 503 with a valid Retry-After,
/// 403 with a Retry-After, an exhausted quota (remaining 0) or a body that says "rate limit" /
/// REQUEST_LIMIT_EXCEEDED, or a JSON body of any status that is a rate-limit error (Slack
/// ok:false "ratelimited", HubSpot errorType RATE_LIMIT, Notion code "rate_limited", Linear
/// errors[].extensions.code RATELIMITED, Salesforce errorCode REQUEST_LIMIT_EXCEEDED).
/// `limit`/`remaining`/`reset_after`/`window` describe the most restrictive quota reported by
/// any header family (X-RateLimit-*, X-Rate-Limit-*, RateLimit-*, X-RateLimit-Requests-*
/// (Linear), X-Sentry-Rate-Limit-*, X-HubSpot-RateLimit-*, IETF RateLimit/RateLimit-Policy):
/// the one with the fewest remaining requests (the longer reset breaking ties), else the lowest
/// quota per second. `retry_after` is Retry-After when valid, else a JSON body's retry_after
/// (Discord, on 4xx/5xx), else `reset_after` when that quota is exhausted (also on a 2xx: the
/// next request would be limited). Malformed values are ignored; this never throws.
RateSignal parse_rate_signal(const HttpResponse& response, double now_unix);

}  // namespace sever::providers

// How a provider tells a client about its rate limit: informational header families, and the
// full answer to a limited request in each configured style.
#pragma once

#include <cstdint>
#include <string>

#include "adapters.h"
#include "config.h"
#include "rate_limiter.h"

namespace sever::fake {

/// Appends the provider family's rate-limit header lines ("Name: value\r\n") for a bucket state
/// at Unix time `now_ms`. Nothing for RateHeaders::none.
void append_rate_headers(RateHeaders family, const LimitSnapshot& s, int64_t now_ms,
                         std::string* out);

/// Appends the draft IETF RateLimit fields (or their older three-field form). Nothing for none.
void append_ietf_headers(IetfHeaders mode, const LimitSnapshot& s, std::string* out);

/// A complete answer to a limited request.
struct LimitedAnswer {
  int status = 429;
  std::string headers;  // header lines, each ending in \r\n
  std::string body;
};

/// Builds the answer of provider `a` configured by `cfg` to a request its bucket refused.
LimitedAnswer limited_answer(const Adapter& a, const ProviderConfig& cfg, const LimitSnapshot& s,
                             int64_t now_ms);

/// Returns the limit style in force for a provider (config, else the provider's own).
LimitStyle effective_style(const Adapter& a, const ProviderConfig& cfg);

}  // namespace sever::fake

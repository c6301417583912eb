// The fake provider's configuration file: per-provider limits, faults and client credentials.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "adapters.h"
#include "sever/store/status.h"

namespace sever::fake {

/// Which requests share one token bucket (config `limit_scope`).
enum class LimitScope {
  provider,     // one bucket for the whole provider (default)
  client,       // one per OAuth client id (Basic user, body client_id, GitHub path id)
  token_owner,  // one per account (header X-Fake-Account, else the client id): Slack, Zoom
};

/// Draft IETF rate-limit fields sent on every answer of a limited provider (`ietf_headers`).
enum class IetfHeaders {
  none,
  draft,      // RateLimit-Policy: "default";q=..;w=..  and  RateLimit: "default";r=..;t=..
  old_draft,  // RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset (delta seconds)
};

/// What a token never revoked here answers (`unknown_tokens`).
enum class UnknownTokens {
  live,  // default: every token is live until revoked once
  gone,  // every token answers the provider's already-revoked response
};

/// One provider's behaviour. Every field's default is "no limit, no fault".
struct ProviderConfig {
  // Rate limit: token bucket of `burst` tokens refilled at `rate_limit_per_s`; 0 = unlimited.
  double rate_limit_per_s = 0;
  double burst = 0;  // 0: max(1, rate_limit_per_s)
  LimitScope limit_scope = LimitScope::provider;
  std::optional<LimitStyle> limit_style;  // unset: the provider's own (ENDPOINTS.md)
  int limit_status = 0;                   // 0: the style's / provider's own status
  bool penalty = false;         // a request while limited deepens the deficit (ban grows)
  int max_in_flight = 0;        // > 0: concurrently pending requests over this are limited
  IetfHeaders ietf_headers = IetfHeaders::none;
  bool rate_headers = true;     // send the provider's X-RateLimit-* family when limited

  // Client credentials; when client_id is set, providers that authenticate clients check them.
  std::string client_id;
  std::string client_secret;

  // Latency and faults, drawn per request from the seed.
  double latency_ms = 0;
  double latency_jitter_ms = 0;  // uniform extra in [0, jitter]
  double error_5xx_ratio = 0;    // answer 500, 502 or 503
  double reset_ratio = 0;        // close the connection (RST) without answering
  double timeout_ratio = 0;      // never answer; the connection stays open
  double slow_ratio = 0;         // answer after slow_ms instead of the latency
  double slow_ms = 0;
  bool down = false;             // every request's connection is reset at once

  UnknownTokens unknown_tokens = UnknownTokens::live;
  int gone_status = 0;  // 0: the provider's own already-revoked status (e.g. Vercel 401/403/404)
};

/// The whole file.
struct FakeConfig {
  uint64_t seed = 1;
  std::array<ProviderConfig, kAdapterCount> providers{};
};

/// Parses a config document (JSON text). Errors are invalid_argument and name the field, e.g.
/// "providers.google.burst: must be a number >= 1".
Result<FakeConfig> parse_config(const std::string& text);

/// Reads and parses a config file; io_error if it cannot be read.
Result<FakeConfig> load_config(const std::string& path);

/// Returns the config name of a limit style ("retry-after-seconds", ...).
const char* limit_style_name(LimitStyle s);

}  // namespace sever::fake

// Every provider API shape of providers/ENDPOINTS.md: how a revoke request looks (method, path,
// where the token and client credentials travel) and how that provider answers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http_parser.h"

namespace sever::fake {

/// The adapters the fake serves, each under /<name>. Order is the stable index used everywhere.
enum class AdapterId : uint8_t {
  rfc7009, google, github, github_grant, slack, salesforce, hubspot, dropbox, zoom, okta,
  auth0, discord, x, sentry, vercel, linear, asana, notion, box,
};
inline constexpr size_t kAdapterCount = 19;

/// How a provider authenticates the OAuth client on its revoke endpoint.
enum class ClientAuth {
  none,           // the token alone (Google, Slack, Dropbox, ...)
  basic,          // Authorization: Basic CID:CS
  body,           // client_id / client_secret in the form or JSON body
  basic_or_body,  // either (RFC 6749 client_secret_basic or client_secret_post)
};

/// How a limited request is answered (config `limit_style`).
enum class LimitStyle {
  retry_after_seconds,    // 429 + Retry-After: 2
  retry_after_http_date,  // 429 + Retry-After: Sun, 06 Nov 1994 08:49:37 GMT
  retry_after_fractional, // 429 + Retry-After: 1.250
  retry_after_iso,        // 429 + Retry-After: 1994-11-06T08:49:37Z
  retry_after_absent,     // 429 with no Retry-After (the reset, if any, is in the family headers)
  github_primary,         // 403 + x-ratelimit-remaining: 0 + x-ratelimit-reset (epoch s)
  github_secondary,       // 403 + retry-after + "secondary rate limit" message
  discord,                // 429 + JSON retry_after (float s) + X-RateLimit-Reset-After
  hubspot,                // 429 + JSON errorType RATE_LIMIT + X-HubSpot-RateLimit-*
};

/// The informational rate-limit header family a provider sends (on success and when limited).
enum class RateHeaders { none, github, okta, x, auth0, vercel, discord, hubspot, sentry, linear, zoom };

/// What a request to an adapter carried, as that provider would read it.
struct ParsedRevoke {
  bool matched = false;          // method and path are this provider's revoke endpoint
  std::string bad_request;       // non-empty: malformed (no token, bad JSON): why
  std::string token;             // the token to revoke
  std::optional<std::string> client_id;      // presented client credentials, if any
  std::optional<std::string> client_secret;
  std::string path_client_id;    // GitHub: {client_id} of the path
  bool dry_run = false;          // Slack test=1: answer success, revoke nothing
};

/// A status and JSON (or empty) body.
struct Reply {
  int status = 200;
  std::string_view body;
};

/// One provider's shape.
struct Adapter {
  AdapterId id;
  std::string_view name;
  ClientAuth auth;
  LimitStyle default_style;
  int default_limit_status;  // status of a limited answer unless config `limit_status` says
  RateHeaders rate_headers;
  Reply success;
  Reply gone;             // already revoked or unknown
  Reply invalid_client;   // wrong client credentials
  Reply bad_request;      // no token / malformed body (the reason is not echoed)
  /// Parses a request whose path began with /<name>; `subpath` is the rest ("/revoke").
  ParsedRevoke (*parse)(const Request& req, std::string_view subpath);
};

/// Returns the adapter table entry of an id.
const Adapter& adapter(AdapterId id);

/// Returns the adapter named `name` (exactly as in ENDPOINTS.md), or nullopt.
std::optional<AdapterId> find_adapter(std::string_view name);

/// Returns the body of a limited answer from this provider for a retry delay in seconds; the
/// style decides between the provider's own body and a style-specific one (GitHub, Discord,
/// HubSpot). `status` is the answer's status (Notion answers 529 with another code).
std::string limited_body(const Adapter& a, LimitStyle style, int status, double retry_after_s);

/// Returns the success body for a token (Vercel echoes a token id derived from `token_sha256_hex`;
/// every other provider has a fixed body).
std::string success_body(const Adapter& a, std::string_view token_sha256_hex);

}  // namespace sever::fake

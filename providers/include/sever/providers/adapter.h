// Provider adapters: how to revoke one credential at one provider, and what its answer means.
// An adapter builds the request and classifies the response; it does no I/O and knows nothing
// of the store, the actors or libcurl.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sever/providers/http.h"
#include "sever/providers/rate_signal.h"
#include "sever/store/record.h"
#include "sever/store/secret.h"
#include "sever/store/status.h"

namespace sever::providers {

/// The credential to revoke, with its secret (zeroized with the item).
struct RevokeItem {
  std::string tenant;
  std::string id;
  std::string tool;
  Kind kind = Kind::oauth_access;
  std::string client;  // the OAuth client or installation whose quota applies
  SecretBytes token;
};

/// How to reach one provider: from the built-in catalog, overridden by a providers file.
/// The unit a provider's rate limit applies to.
enum class QuotaScope { client, tenant };

struct ProviderConfig {
  std::string name;      // the key: the credentials' `tool` ("github", "acme-sso", …)
  std::string adapter;   // the adapter's registry name ("github", "rfc7009", "manual", …)
  std::string base_url;  // e.g. https://api.github.com; the adapter appends the API path
  std::string endpoint;  // full revocation URL (rfc7009-style adapters); overrides base_url
  std::string client_id;
  SecretBytes client_secret;     // read from the environment variable client_secret_env names
  std::string client_secret_env;
  double rate_limit_per_s = 10;  // seed of the dispatcher's token bucket
  int max_concurrency = 16;      // ceiling of its concurrency window
  int max_attempts = 8;          // then the item is dead-lettered
  double timeout_s = 10;         // per request
  std::string manual_action;     // for the manual adapter: what the customer's admin must do
  std::optional<QuotaScope> quota;    // overrides the adapter's quota() ("quota": "client"|"tenant")
};

/// What a response means for the item.
enum class Outcome {
  revoked,       // the provider confirmed the revocation
  already_gone,  // the provider says the token is unknown, expired or already revoked
  manual,        // no revocation API: a person must act (see Classification::detail)
  rate_limited,  // try again after the wait the signal gives
  retry,         // transient: 5xx, timeout, connection reset
  failed,        // permanent: bad client credentials, malformed request; dead-letter it
};

/// Returns "revoked", "already_gone", …
std::string_view to_string(Outcome o);

struct Classification {
  Outcome outcome = Outcome::failed;
  std::string detail;  // why, for people: "HTTP 400 invalid_token", "429 Retry-After 2s", …
  RateSignal rate;     // what the response said about the rate limit
};

class Adapter {
 public:
  virtual ~Adapter() = default;
  /// The registry name.
  virtual std::string_view name() const = 0;
  /// Returns false for providers without a revocation API (the item becomes manual).
  virtual bool has_api() const { return true; }
  /// Returns true iff this adapter can revoke credentials of this kind through the provider's
  /// API. No OAuth revoke endpoint takes an API key, HubSpot's takes refresh tokens only, a
  /// bearer-authenticated one cannot take a refresh token, … Sending such a credential anyway
  /// would get an "unknown token" answer and mark a live credential already_gone, so Build
  /// refuses it (Code::refused): the caller makes the item manual instead.
  virtual bool revokes(Kind kind) const { return has_api(); }
  /// Whose quota a revocation consumes at this provider: the OAuth client's (default), or the
  /// client's within each tenant's workspace or account (Slack, Zoom).
  virtual QuotaScope quota() const { return QuotaScope::client; }
  /// Builds the revocation request. Returns invalid_argument when the config lacks what the
  /// provider needs (client id, secret, URL) or the URL is plain http to a non-loopback host,
  /// naming the provider ("provider 'github': client_id is required …"); refused when the
  /// adapter has no API or does not revoke the item's kind (see revokes()).
  virtual Result<HttpRequest> Build(const RevokeItem& item, const ProviderConfig& config) const = 0;
  /// Classifies the response (or transport failure) per this provider's habits.
  virtual Classification Classify(const HttpResponse& response, const RevokeItem& item,
                                  double now_unix) const = 0;
};

/// Returns the key of the quota an item consumes; one dispatcher paces each (provider, key).
/// The client is the one the request is made as: the config's client_id, else the credential's
/// client. With a per-tenant quota (config.quota, else adapter.quota()) the key is
/// "tenant/client", else "client".
std::string rate_key(const Adapter& adapter, const RevokeItem& item, const ProviderConfig& config);

}  // namespace sever::providers

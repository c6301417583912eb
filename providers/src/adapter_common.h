// What the OAuth-family adapters share: a data description of a revocation API (RevokeSpec),
// the adapter that builds requests and classifies responses from it, and the helpers both use.
// Each file in adapters/ is a RevokeSpec plus, at most, one judge() override.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sever/providers/adapter.h"

namespace sever::providers {

/// Where the request carries the token being revoked.
enum class TokenIn {
  body,    // a form or JSON field (RevokeSpec::token_field)
  bearer,  // Authorization: Bearer T (the token authenticates its own revocation)
  path,    // the "{token}" placeholder of the path
};

/// The request body's encoding.
enum class BodyKind { none, form, json };

/// How the OAuth client authenticates.
enum class ClientAuth {
  none,             // no client credentials
  basic,            // Basic client_id:client_secret; both required
  basic_or_public,  // Basic when a secret is configured, else client_id as a body field (a public
                    // client); client_id required
  basic_if_set,     // Basic when both are configured, client_id in the body when only it is,
                    // else nothing (RFC 7009 generic)
  in_body,          // client_id and client_secret as body fields; both required
  in_body_public,   // client_id required; client_secret as a body field when configured
};

/// One provider's revocation API, as data. Paths are relative to the configured base_url.
struct RevokeSpec {
  std::string_view name{};              // the registry name
  std::string_view method = "POST";
  std::string_view path{};              // "{client_id}" and "{token}" are replaced, encoded
  bool endpoint_only = false;           // the URL is the config's endpoint, whole (rfc7009)
  std::string_view base_url_hint{};     // shown when base_url is required and missing
  BodyKind body = BodyKind::form;
  TokenIn token_in = TokenIn::body;
  std::string_view token_field = "token";
  bool type_hint = false;               // send token_type_hint (access_token / refresh_token)
  ClientAuth client_auth = ClientAuth::none;
  std::string_view accept = "application/json";
  std::vector<std::pair<std::string_view, std::string_view>> extra_headers{};
  std::vector<Kind> kinds = {Kind::oauth_access, Kind::oauth_refresh};  // what it can revoke
  std::vector<long> gone_statuses{};    // these statuses mean "already gone" …
  std::vector<std::string_view> gone_errors{};  // … when the body's error code is one of these
                                                // (empty: whatever the body says)
  QuotaScope quota = QuotaScope::client;          // tenant: per workspace or account, per client
  double limited_wait_s = 0;            // wait when limited without any hint (0: none)
};

/// The error a response body names, cleaned for people: printable ASCII only, short, and with
/// the token replaced by "[redacted]".
struct ErrorInfo {
  std::string code;     // "invalid_token", "invalid_auth", "RATE_LIMIT", …; may be empty
  std::string message;  // error_description, message or reason; may be empty
};

/// Reads the error of a JSON body: code from "error" (a string, or an object's ".tag", "code"
/// or "status" as Dropbox, Vercel and Google nest it), "code", "errorType", "errorCode" (also of
/// a Salesforce array's first element) or errors[0].extensions.code (GraphQL); message from the
/// nested error's "message", "error_description", "message", "reason" or errors[0].message.
/// Empty fields for non-JSON bodies.
ErrorInfo read_error(std::string_view body, std::string_view token);

/// Returns `text` with every occurrence of `secret` (and of its percent-encoding) replaced by
/// "[redacted]", control and non-ASCII bytes dropped, cut to `max_len` bytes.
std::string clean_text(std::string_view text, std::string_view secret, size_t max_len);

/// Returns "refresh_token" for Kind::oauth_refresh, else "access_token".
std::string_view token_type_hint(Kind kind);

/// Returns a duration for people: "2.5s", "30s", "1800s".
std::string format_seconds(double s);

/// Returns "HTTP 400 invalid_token: Token expired or revoked" (code and message when present).
std::string describe(long status, const ErrorInfo& e);

/// Returns how messages name the provider: "provider 'github'" (the config's name, else the
/// adapter's).
std::string provider_label(const ProviderConfig& config, std::string_view adapter);

/// Returns invalid_argument unless `url` is https, or http to a loopback host; the message
/// names the provider, the field and the URL.
Status check_url(std::string_view label, std::string_view field, std::string_view url);

/// Appends "&key=value" (no '&' first) to a form body, percent-encoding the value without
/// leaving a copy of it in memory.
void append_form_field(std::string* body, std::string_view key, std::string_view value);

/// Appends `s` as a JSON string literal (quoted, escaped) without leaving a copy in memory.
void append_json_string(std::string* out, std::string_view s);

/// An adapter described by a RevokeSpec. Build and Classify follow ENDPOINTS.md's common rules:
/// transport failure or 5xx → retry (503 with Retry-After and 529 → rate_limited); rate limited
/// (parse_rate_signal) → rate_limited; judge() or the spec's gone rules → already_gone; 2xx →
/// revoked; any other status → failed, with "HTTP <status> <error>" as detail.
class RevokeAdapter : public Adapter {
 public:
  explicit RevokeAdapter(RevokeSpec spec) : spec_(std::move(spec)) {}

  std::string_view name() const override { return spec_.name; }
  bool revokes(Kind kind) const override;
  QuotaScope quota() const override { return spec_.quota; }
  Result<HttpRequest> Build(const RevokeItem& item, const ProviderConfig& config) const override;
  Classification Classify(const HttpResponse& response, const RevokeItem& item,
                          double now_unix) const override;

  /// Returns the spec this adapter follows.
  const RevokeSpec& spec() const { return spec_; }

 protected:
  /// Returns this provider's verdict on a response that is neither a transport failure nor
  /// rate limited, or nullopt to apply the common rules. Default: nullopt.
  virtual std::optional<Outcome> judge(const HttpResponse& response, const ErrorInfo& error) const {
    return std::nullopt;
  }

 private:
  /// Where the client credentials travel: a Basic header, body fields, or nowhere.
  struct ClientPlacement {
    bool basic = false;
    bool id_in_body = false;
    bool secret_in_body = false;
  };
  static ClientPlacement place_client(ClientAuth auth, const ProviderConfig& config);
  std::string form_body(const RevokeItem& item, const ProviderConfig& config,
                        const ClientPlacement& client) const;
  std::string json_body(const RevokeItem& item, const ProviderConfig& config,
                        const ClientPlacement& client) const;
  Result<std::string> url(const RevokeItem& item, const ProviderConfig& config,
                          std::string_view label) const;
  Status check_client(const ProviderConfig& config, std::string_view label) const;
  bool is_gone(long status, const ErrorInfo& error) const;

  RevokeSpec spec_;
};

}  // namespace sever::providers

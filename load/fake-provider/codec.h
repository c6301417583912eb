// Text codecs the fake provider needs: percent-decoding, form bodies, Basic auth, time formats.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sever::fake {

/// Returns the percent-decoded form of s, with '+' decoded as a space when `plus_is_space`
/// (form bodies and query strings). A malformed escape is kept as is.
std::string url_decode(std::string_view s, bool plus_is_space = true);

/// Returns the decoded value of the first `name=value` pair of an application/x-www-form-
/// urlencoded string (a body or a query string), or nullopt if the name is absent.
std::optional<std::string> form_value(std::string_view form, std::string_view name);

/// Returns the base64 (standard alphabet, padding optional) decoding of s, or nullopt if s is
/// not base64.
std::optional<std::string> base64_decode(std::string_view s);

/// Credentials of an `Authorization: Basic` header.
struct BasicCredentials {
  std::string user;
  std::string password;
};

/// Returns the credentials of an Authorization header value "Basic base64(user:password)", or
/// nullopt when the scheme is not Basic or the value is malformed. user and password are
/// percent-decoded as RFC 6749 §2.3.1 asks.
std::optional<BasicCredentials> parse_basic(std::string_view authorization);

/// Returns the token of an Authorization header value "Bearer TOKEN" (scheme case-insensitive),
/// or an empty view.
std::string_view parse_bearer(std::string_view authorization);

/// Returns the IMF-fixdate (RFC 9110 §5.6.7) of a Unix time in seconds,
/// e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(int64_t unix_seconds);

/// Returns the ISO 8601 / RFC 3339 UTC instant of a Unix time in seconds,
/// e.g. "1994-11-06T08:49:37Z".
std::string iso_instant(int64_t unix_seconds);

/// Returns true iff a and b are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b);

/// Returns `s` with any JSON-special characters escaped, for use inside a JSON string.
std::string json_escape(std::string_view s);

}  // namespace sever::fake

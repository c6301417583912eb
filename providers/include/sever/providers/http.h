// HTTP requests and responses as the provider adapters build and read them. Knows nothing of
// libcurl (see http_client.h) or of the store.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sever/store/secret.h"

namespace sever::providers {

/// One request to a provider. The body and headers may hold the secret being revoked or client
/// credentials: they are zeroized when the request is destroyed.
struct HttpRequest {
  std::string method = "POST";  // POST, DELETE, GET
  std::string url;              // absolute; http only for loopback hosts (see is_allowed_url)
  std::vector<std::pair<std::string, std::string>> headers;  // name, value
  std::string body;
  HttpRequest() = default;
  HttpRequest(HttpRequest&&) = default;
  HttpRequest& operator=(HttpRequest&&) = default;
  HttpRequest(const HttpRequest&) = delete;
  HttpRequest& operator=(const HttpRequest&) = delete;
  ~HttpRequest();
};

/// What came back, or why nothing did.
struct HttpResponse {
  long status = 0;  // 0 when the transfer failed (see transport_error)
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased, in order
  std::string body;
  std::string transport_error;  // empty on success: "timeout", "connection reset", curl text
  bool timed_out = false;
  double seconds = 0;  // total time of the transfer

  /// Returns the first header with this lowercase name, or empty.
  std::string_view header(std::string_view lowercase_name) const;
};

/// Returns true iff the URL is https, or http to a loopback host (127.0.0.0/8, ::1, localhost).
bool is_allowed_url(std::string_view url);

/// Returns application/x-www-form-urlencoded "k=v&k2=v2" with each value percent-encoded.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

/// Returns s percent-encoded for a URL path segment or form value (unreserved kept).
std::string percent_encode(std::string_view s);

/// Returns "Basic " + base64(user ":" password).
std::string basic_auth(std::string_view user, std::string_view password);

}  // namespace sever::providers

// The pieces of one HTTP transfer that the client's threads share: a submitted request, an easy
// handle with what it is running, the libcurl callbacks that fill the response, the checks a
// request passes before it may go out, and the scrubbing of what a move leaves behind.
// Internal to the providers module (see http_client.h for the client itself).
#pragma once

#include <curl/curl.h>
#include <openssl/crypto.h>

#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "sever/providers/http_client.h"

namespace sever::providers::detail {

constexpr const char* kStopped = "client stopped";
constexpr const char* kRefusedUrl =
    "refused: plain http is allowed only to loopback hosts; use https";

/// Returns the result of curl_global_init, called once per process.
CURLcode GlobalInit();

/// Zeroizes the whole buffer of a string, including bytes a move left behind in its
/// short-string storage (its size() is then 0, so cleanse() alone would miss them).
void ScrubBuffer(std::string& s);

/// Zeroizes what a move out of `r` may have left behind.
void ScrubMovedFrom(HttpRequest& r);

/// Returns true iff the method is a plain token of upper-case letters.
bool ValidMethod(std::string_view m);

/// Returns true iff no header could smuggle another header or request line.
bool ValidHeaders(const HttpRequest& r);

/// Returns true iff libcurl's parsed host is loopback: localhost, [::1] or 127.x.y.z.
bool LoopbackHost(std::string_view host);

/// Returns a response that failed with `why` as its transport_error.
HttpResponse Failure(std::string why);

/// One submitted request with its callback; allocated once in Submit and moved by pointer
/// after that, so the secrets in the request are never copied.
struct Pending {
  HttpRequest request;
  HttpClient::Callback done;
  long timeout_ms = 0;
};

/// An easy handle from the pool and the transfer it currently runs.
struct Transfer {
  CURL* easy = nullptr;
  std::unique_ptr<Pending> job;  // kept alive until completion: POSTFIELDS points into it
  HttpResponse response;
  curl_slist* headers = nullptr;
  size_t max_body = 0;
  bool body_too_large = false;
  char error[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    ReleaseHeaders();
    if (easy != nullptr) curl_easy_cleanup(easy);
  }

  /// Zeroizes the header strings libcurl was given, then frees them.
  void ReleaseHeaders() {
    for (curl_slist* n = headers; n != nullptr; n = n->next) {
      OPENSSL_cleanse(n->data, std::strlen(n->data));
    }
    curl_slist_free_all(headers);
    headers = nullptr;
  }
};

/// libcurl's write callback: appends to the response body, failing the transfer past max_body.
size_t OnBody(char* data, size_t size, size_t n, void* user);

/// libcurl's header callback: keeps the final response's headers, names lowercased.
size_t OnHeader(char* data, size_t size, size_t n, void* user);

/// Returns the transport_error text for a failed transfer, and sets timed_out.
std::string Describe(CURLcode rc, Transfer& t, bool* timed_out);

}  // namespace sever::providers::detail

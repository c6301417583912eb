// The libcurl multi HTTP client: one thread owns a CURLM handle and keeps hundreds of transfers
// in flight on reused connections. Adapters build HttpRequests (http.h); the client runs them and
// hands each HttpResponse to a callback on its own thread.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "sever/providers/http.h"
#include "sever/store/status.h"

namespace sever::providers {

struct HttpClientOptions {
  size_t max_in_flight = 256;            // transfers at once; more wait in a queue
  long max_host_connections = 64;        // CURLMOPT_MAX_HOST_CONNECTIONS (0: no limit)
  long max_total_connections = 512;      // CURLMOPT_MAX_TOTAL_CONNECTIONS (0: no limit)
  long connect_timeout_ms = 5000;        // TCP + TLS handshake
  long default_timeout_ms = 10000;       // whole transfer, unless Submit names another
  std::string ca_file;                   // PEM bundle to trust; empty: the system trust store
  size_t max_response_body = 1 << 20;    // a longer body fails the transfer
  std::string user_agent = "sever/0.1";  // sent unless the request has its own User-Agent
  /// Threads, each with its own libcurl multi handle and a share of max_in_flight and of the
  /// connection limits; requests go to them in turn. One thread is the HTTP ceiling of a core.
  size_t threads = 1;
};

/// Runs HttpRequests on libcurl multi handles, each owned by one thread (options.threads).
///
/// TLS peer and host verification are always on. Plain http is refused unless the host is
/// loopback (is_allowed_url); http requests never go through a proxy, https ones honour the
/// usual *_proxy environment (a CONNECT tunnel keeps TLS end to end). Redirects are not
/// followed: a 3xx comes back as it is. Transport failures come back as a response with
/// status 0 and transport_error "timeout" (timed_out set), "connection reset", "connection
/// refused", "client stopped", or libcurl's description.
class HttpClient {
 public:
  /// Receives the response. Runs on one of the client's threads and must be quick (e.g. an
  /// anon_send to an actor); it may call Submit, but must not destroy the client.
  using Callback = std::function<void(HttpResponse)>;

  /// Returns a running client, or invalid_argument for unusable options (zero max_in_flight,
  /// unreadable ca_file), or internal when libcurl cannot be set up.
  static Result<std::unique_ptr<HttpClient>> Start(HttpClientOptions options);

  /// Stops the threads: every transfer still running or queued gets its callback once, with
  /// transport_error "client stopped". Does not wait for the network.
  ~HttpClient();

  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Queues the request; `done` runs exactly once with its response. Thread-safe. A URL that
  /// is_allowed_url rejects, a malformed method or a header with CR/LF is refused without any
  /// network I/O (status 0, transport_error says why). timeout_ms 0 means
  /// options.default_timeout_ms. After the client began stopping, `done` runs at once on the
  /// caller's thread with "client stopped".
  void Submit(HttpRequest request, Callback done, long timeout_ms = 0);

  /// Returns the number of submitted requests whose callback has not yet started (approximate;
  /// for progress display).
  size_t in_flight() const;

 private:
  class Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sever::providers

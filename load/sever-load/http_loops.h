// The HTTP baselines of bench-revoke, run in process over sever's own requests (same_requests.h):
// a bare libcurl multi loop, the HTTP library's ceiling, and sever's HTTP client alone, without
// the store or the actors. Each keeps `parallel` requests in flight until all are answered.
#pragma once

#include <sys/resource.h>

#include <cstddef>
#include <vector>

#include "sever/providers/http.h"
#include "sever/store/status.h"

namespace sever::load {

/// Sends every request through one libcurl multi handle, each easy handle reused as is and
/// connections kept, and returns the wall seconds.
double bare_curl_multi(const std::vector<providers::HttpRequest>& requests, int parallel);

/// Sends every request (a copy of each) through providers::HttpClient on `threads` threads,
/// each callback submitting the next; returns the wall seconds, or an error when the client
/// cannot start or any request fails in transport.
Result<double> client_loop(const std::vector<providers::HttpRequest>& requests, size_t parallel,
                           size_t threads);

/// Returns the CPU seconds (user + system) this process has used so far.
double cpu_seconds();

}  // namespace sever::load

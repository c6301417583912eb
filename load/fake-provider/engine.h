// The fake provider's brain: routes a parsed request to its adapter and decides the answer
// (rate limit, injected fault, client check, token state), recording what it saw.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "config.h"
#include "http_parser.h"
#include "rate_limiter.h"
#include "record.h"
#include "stats.h"

namespace sever::fake {

/// The time of one request: a monotonic clock for buckets and timers, Unix time for answers.
struct Now {
  int64_t mono_us = 0;
  int64_t unix_ms = 0;
};

/// What to do with one request.
struct Decision {
  enum class Action {
    respond,  // send the answer after delay_us
    reset,    // after delay_us, reset the connection (RST) without answering
    hang,     // never answer; keep the connection open until the client closes it
  };
  Action action = Action::respond;
  int64_t delay_us = 0;
  int status = 200;
  std::string headers;  // extra header lines, each ending in \r\n
  std::string body;
  std::string_view content_type = "application/json";
  bool close = false;        // close the connection after this answer
  int tracked_provider = -1; // >= 0: counted in flight; call Engine::done() when it leaves
};

/// Decides answers. Thread-safe: one mutex guards all state (the work under it is a few hash
/// lookups; parsing and hashing happen outside it).
class Engine {
 public:
  /// Takes the config and the --record path ("" for none).
  Engine(FakeConfig cfg, std::string record_path);

  /// Decides the answer to `req`. `conn_providers` is the connection's bit set of providers
  /// already counted for it (updated here).
  Decision handle(const Request& req, const Now& now, uint32_t* conn_providers);

  /// Marks a tracked decision of `provider` as answered, reset or dropped.
  void done(int provider);

  /// Counts an accepted connection.
  void connection_opened();
  /// Counts a closed connection with the providers it had used.
  void connection_closed(uint32_t conn_providers);
  /// Counts a connection refused over the connection limit.
  void connection_rejected();
  /// Counts a request that could not be parsed or was over a limit.
  void http_error();

  /// Writes the record file (if a path was given). Returns the number of tokens written.
  Result<size_t> write_record();

 private:
  Decision control(const Request& req);
  Decision provider_request(AdapterId id, const Request& req, std::string_view subpath,
                            const Now& now, uint32_t* conn_providers);

  FakeConfig cfg_;
  std::string record_path_;
  std::mutex mu_;
  RecordBook records_;
  std::array<RateLimiter, kAdapterCount> limiters_;
  std::array<ProviderStats, kAdapterCount> stats_{};
  ServerStats server_;
};

}  // namespace sever::fake

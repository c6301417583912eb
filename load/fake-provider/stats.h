// Counters the fake keeps per provider and for the server, served as JSON on GET /_fake/stats.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "adapters.h"

namespace sever::fake {

/// One provider's counters.
struct ProviderStats {
  uint64_t requests = 0;       // every request routed to the provider
  uint64_t revoked = 0;        // successful revokes (first time for a token)
  uint64_t already_gone = 0;   // answered "already revoked"
  uint64_t limited = 0;        // answered as rate limited
  uint64_t errors_5xx = 0;     // injected 500/502/503
  uint64_t resets = 0;         // injected connection resets
  uint64_t timeouts = 0;       // injected never-answered requests
  uint64_t refused = 0;        // connections reset because the provider is down
  uint64_t auth_failures = 0;  // wrong client credentials
  uint64_t bad_requests = 0;   // malformed requests (no token, wrong path)
  int64_t connections = 0;     // open connections that have sent this provider a request
  int64_t max_connections = 0;
  int64_t in_flight = 0;       // requests received and not yet answered
  int64_t max_in_flight = 0;
};

/// Server-wide counters.
struct ServerStats {
  int64_t connections = 0;
  int64_t max_connections = 0;
  uint64_t accepted = 0;
  uint64_t rejected = 0;  // over --max-connections
  uint64_t requests = 0;
  uint64_t http_errors = 0;  // unparseable or over-limit requests
};

/// Returns {"server":{...},"providers":{"google":{...},...}}; providers with no request are
/// left out.
std::string stats_json(const ServerStats& server,
                       const std::array<ProviderStats, kAdapterCount>& providers,
                       size_t tokens_seen);

}  // namespace sever::fake

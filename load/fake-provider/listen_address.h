// The --listen address: loopback only, the fake must never be reachable from another host.
#pragma once

#include <cstdint>
#include <string>

#include "sever/store/status.h"

namespace sever::fake {

/// A parsed HOST:PORT on a loopback interface.
struct ListenAddress {
  bool ipv6 = false;
  std::string host;  // numeric: "127.0.0.1" or "::1"
  uint16_t port = 0;
};

/// Parses "127.0.0.1:PORT", "localhost:PORT" or "[::1]:PORT" (any 127.0.0.0/8 address).
/// A non-loopback host is refused (Code::refused); a malformed value is invalid_argument.
Result<ListenAddress> parse_listen_address(const std::string& text);

/// Creates a non-blocking listening socket bound to `addr` (SO_REUSEADDR). Returns the fd and
/// sets `bound_port` to the port actually bound (useful with port 0).
Result<int> listen_on(const ListenAddress& addr, uint16_t* bound_port);

}  // namespace sever::fake

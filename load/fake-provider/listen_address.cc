#include "listen_address.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace sever::fake {

Result<ListenAddress> parse_listen_address(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Status::InvalidArgument("--listen " + text + ": expected HOST:PORT");
  }
  std::string host = text.substr(0, colon);
  const std::string port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return Status::InvalidArgument("--listen " + text + ": bad port '" + port_text + "'");
  }
  ListenAddress a;
  a.port = static_cast<uint16_t>(port);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    in6_addr v6{};
    if (inet_pton(AF_INET6, host.c_str(), &v6) != 1) {
      return Status::InvalidArgument("--listen " + text + ": bad IPv6 address");
    }
    if (!IN6_IS_ADDR_LOOPBACK(&v6)) {
      return Status::Refused("--listen " + text +
                             ": refusing a non-loopback address (the fake provider serves "
                             "loopback only: use 127.0.0.1 or [::1])");
    }
    a.ipv6 = true;
    a.host = "::1";
    return a;
  }
  if (host == "localhost") host = "127.0.0.1";
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) != 1) {
    return Status::Refused("--listen " + text +
                           ": refusing a host that is not a numeric loopback address "
                           "(use 127.0.0.1, localhost or [::1])");
  }
  if ((ntohl(v4.s_addr) >> 24) != 127) {
    return Status::Refused("--listen " + text +
                           ": refusing a non-loopback address (the fake provider serves "
                           "loopback only: use 127.0.0.1)");
  }
  a.host = host;
  return a;
}

Result<int> listen_on(const ListenAddress& addr, uint16_t* bound_port) {
  const int family = addr.ipv6 ? AF_INET6 : AF_INET;
  const int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::IoError(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (addr.ipv6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(addr.port);
    inet_pton(AF_INET6, addr.host.c_str(), &s6->sin6_addr);
    len = sizeof *s6;
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(addr.port);
    inet_pton(AF_INET, addr.host.c_str(), &s4->sin_addr);
    len = sizeof *s4;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, 4096) != 0) {
    const std::string why = std::strerror(errno);
    close(fd);
    return Status::IoError("cannot listen on " + addr.host + ":" + std::to_string(addr.port) +
                           ": " + why);
  }
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen);
  *bound_port = ntohs(addr.ipv6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return fd;
}

}  // namespace sever::fake

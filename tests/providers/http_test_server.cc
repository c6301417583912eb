// The test-only HTTP/1.1 server of the HTTP client tests. See http_test_server.h.
#include "http_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace sever::providers::testing {

using std::chrono::milliseconds;

const std::string* TestServer::Seen::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

TestServer::TestServer() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 1024) != 0) {
    std::perror("test server bind/listen");
    std::abort();
  }
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  Watch(listen_fd_, EPOLLIN);
  Watch(stop_fd_, EPOLLIN);
  thread_ = std::thread([this] { Run(); });
}

TestServer::~TestServer() {
  uint64_t one = 1;
  (void)!write(stop_fd_, &one, sizeof one);
  thread_.join();
  for (auto& [fd, c] : conns_) close(fd);
  close(listen_fd_);
  close(stop_fd_);
  close(epoll_fd_);
}

std::string TestServer::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

std::vector<TestServer::Seen> TestServer::seen() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seen_;
}

void TestServer::Watch(int fd, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
}

void TestServer::Run() {
  std::vector<epoll_event> events(256);
  for (;;) {
    int wait_ms = -1;
    if (!timers_.empty()) {
      auto next = std::min_element(timers_.begin(), timers_.end(),
                                   [](auto& a, auto& b) { return a.due < b.due; });
      auto d = std::chrono::duration_cast<milliseconds>(next->due - Clock::now()).count();
      wait_ms = static_cast<int>(std::max<long>(0, d + 1));
    }
    int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), wait_ms);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == stop_fd_) return;
      if (fd == listen_fd_) {
        Accept();
        continue;
      }
      auto it = conns_.find(fd);
      if (it == conns_.end()) continue;
      Conn& c = *it->second;
      if (events[i].events & EPOLLOUT) {
        if (!Flush(c)) continue;
      }
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) Read(c);
    }
    FireTimers();
  }
}

void TestServer::Accept() {
  for (;;) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    accepted_.fetch_add(1);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    c->id = ++next_id_;
    conns_[fd] = std::move(c);
    Watch(fd, EPOLLIN);
  }
}

void TestServer::Close(Conn& c, bool reset) {
  if (reset) {
    linger lg{1, 0};
    setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  int fd = c.fd;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
  conns_.erase(fd);  // destroys c
}

void TestServer::Read(Conn& c) {
  char buf[16384];
  for (;;) {
    ssize_t n = read(c.fd, buf, sizeof buf);
    if (n > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    Close(c, false);  // EOF or error
    return;
  }
  Process(c);
}

bool TestServer::Process(Conn& c) {
  while (!c.waiting && !c.in.empty()) {
    if (c.in[0] < 'A' || c.in[0] > 'Z') {
      Respond(c, 400, "", "bad request", true);
      return false;
    }
    size_t end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) return true;
    Seen req;
    std::string_view head(c.in.data(), end);
    size_t eol = head.find("\r\n");
    std::string_view first = head.substr(0, eol);
    size_t sp1 = first.find(' ');
    size_t sp2 = first.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) {
      Respond(c, 400, "", "bad request", true);
      return false;
    }
    req.method = std::string(first.substr(0, sp1));
    req.target = std::string(first.substr(sp1 + 1, sp2 - sp1 - 1));
    size_t content_length = 0;
    while (eol != std::string_view::npos && eol < head.size()) {
      size_t next = head.find("\r\n", eol + 2);
      std::string_view line = head.substr(eol + 2, next == std::string_view::npos
                                                       ? std::string_view::npos
                                                       : next - eol - 2);
      eol = next;
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string name(line.substr(0, colon));
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (name == "content-length") content_length = std::stoul(std::string(value));
      req.headers.emplace_back(std::move(name), std::string(value));
    }
    if (c.in.size() < end + 4 + content_length) return true;
    req.body = c.in.substr(end + 4, content_length);
    c.in.erase(0, end + 4 + content_length);
    requests_.fetch_add(1);
    if (!Handle(c, std::move(req))) return false;
  }
  return true;
}

long TestServer::QueryInt(const std::string& target, const std::string& key, long fallback) {
  size_t q = target.find('?');
  if (q == std::string::npos) return fallback;
  size_t at = target.find(key + "=", q);
  if (at == std::string::npos) return fallback;
  return std::atol(target.c_str() + at + key.size() + 1);
}

bool TestServer::Handle(Conn& c, Seen req) {
  std::string path = req.target.substr(0, req.target.find('?'));
  if (path == "/ok") return Respond(c, 200, "X-Test: 1\r\n", "hello", false);
  if (path == "/slow") {
    c.waiting = true;
    timers_.push_back({Clock::now() + milliseconds(QueryInt(req.target, "ms", 1000)), c.fd,
                       c.id});
    return true;
  }
  if (path == "/reset" || path == "/close") {
    Close(c, path == "/reset");
    return false;
  }
  if (path.starts_with("/echo")) {
    std::string extra = "X-Echo-Method: " + req.method + "\r\n";
    std::string body = req.body;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(std::move(req));
    }
    return Respond(c, 200, extra, body, false);
  }
  if (path == "/status") {
    long code = QueryInt(req.target, "code", 200);
    std::string extra = code >= 300 && code < 400 ? "Location: https://example.com/next\r\n" : "";
    return Respond(c, static_cast<int>(code), extra, "status", false);
  }
  if (path == "/big") {
    return Respond(c, 200, "", std::string(QueryInt(req.target, "n", 0), 'x'), false);
  }
  return Respond(c, 404, "", "not found", false);
}

bool TestServer::Respond(Conn& c, int status, const std::string& extra_headers,
                         const std::string& body, bool close_after) {
  c.out += "HTTP/1.1 " + std::to_string(status) + " Whatever\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n" + extra_headers +
           (close_after ? "Connection: close\r\n" : "") + "\r\n" + body;
  c.close_after_write = close_after;
  return Flush(c);
}

bool TestServer::Flush(Conn& c) {
  while (!c.out.empty()) {
    ssize_t n = write(c.fd, c.out.data(), c.out.size());
    if (n > 0) {
      c.out.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    Close(c, false);
    return false;
  }
  bool want_out = !c.out.empty();
  if (want_out != c.want_out) {
    epoll_event ev{};
    ev.events = EPOLLIN | (want_out ? EPOLLOUT : 0u);
    ev.data.fd = c.fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
    c.want_out = want_out;
  }
  if (c.out.empty() && c.close_after_write) {
    Close(c, false);
    return false;
  }
  return true;
}

void TestServer::FireTimers() {
  auto now = Clock::now();
  std::vector<Timer> due;
  for (auto it = timers_.begin(); it != timers_.end();) {
    if (it->due <= now) {
      due.push_back(*it);
      it = timers_.erase(it);
    } else {
      ++it;
    }
  }
  for (const Timer& t : due) {
    auto it = conns_.find(t.fd);
    if (it == conns_.end() || it->second->id != t.id) continue;  // the client went away
    Conn& c = *it->second;
    c.waiting = false;
    if (Respond(c, 200, "", "slow", false)) Process(c);
  }
}

int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace sever::providers::testing

// Tests of the libcurl multi client against a small HTTP/1.1 server on loopback (in this file).

#include "sever/providers/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sever::providers {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// ---------------------------------------------------------------------------------------------
// A test-only HTTP/1.1 server: one thread, epoll, keep-alive. Paths:
//   /ok                  200, X-Test: 1, body "hello"
//   /slow?ms=N           200 "slow" after N ms
//   /reset               closes with a TCP RST, no answer
//   /close               closes with a FIN, no answer
//   /echo                200, X-Echo-Method: METHOD, the request body back; the request is recorded
//   /status?code=N       status N (with Location: https://example.com/next for a 3xx)
//   /big?n=N             200 with N bytes of body
// Anything that does not start like an HTTP request (a TLS ClientHello) gets 400 and a close.
// ---------------------------------------------------------------------------------------------
class TestServer {
 public:
  struct Seen {
    std::string method;
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
    std::string body;
    /// Returns the value of the header, or nullptr when absent.
    const std::string* header(std::string_view name) const {
      for (const auto& [n, v] : headers) {
        if (n == name) return &v;
      }
      return nullptr;
    }
  };

  TestServer() {
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

  ~TestServer() {
    uint64_t one = 1;
    (void)!write(stop_fd_, &one, sizeof one);
    thread_.join();
    for (auto& [fd, c] : conns_) close(fd);
    close(listen_fd_);
    close(stop_fd_);
    close(epoll_fd_);
  }

  int port() const { return port_; }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  /// Returns the number of connections accepted so far.
  int accepted() const { return accepted_.load(); }
  /// Returns the number of requests parsed so far (any path).
  int requests() const { return requests_.load(); }
  /// Returns the requests /echo received, in order.
  std::vector<Seen> seen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

 private:
  struct Conn {
    int fd = -1;
    uint64_t id = 0;
    std::string in;
    std::string out;
    bool waiting = false;  // a delayed answer is pending: read no further request
    bool close_after_write = false;
    bool want_out = false;
  };
  struct Timer {
    Clock::time_point due;
    int fd;
    uint64_t id;
  };

  void Watch(int fd, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }

  void Run() {
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

  void Accept() {
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

  void Close(Conn& c, bool reset) {
    if (reset) {
      linger lg{1, 0};
      setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    int fd = c.fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns_.erase(fd);  // destroys c
  }

  void Read(Conn& c) {
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

  /// Answers every complete request in c.in; returns false when c was closed.
  bool Process(Conn& c) {
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

  static long QueryInt(const std::string& target, const std::string& key, long fallback) {
    size_t q = target.find('?');
    if (q == std::string::npos) return fallback;
    size_t at = target.find(key + "=", q);
    if (at == std::string::npos) return fallback;
    return std::atol(target.c_str() + at + key.size() + 1);
  }

  /// Answers one request; returns false when the connection was closed.
  bool Handle(Conn& c, Seen req) {
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

  bool Respond(Conn& c, int status, const std::string& extra_headers, const std::string& body,
               bool close_after) {
    c.out += "HTTP/1.1 " + std::to_string(status) + " Whatever\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n" + extra_headers +
             (close_after ? "Connection: close\r\n" : "") + "\r\n" + body;
    c.close_after_write = close_after;
    return Flush(c);
  }

  /// Writes what it can; returns false when c was closed.
  bool Flush(Conn& c) {
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

  void FireTimers() {
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

  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::map<int, std::unique_ptr<Conn>> conns_;
  std::vector<Timer> timers_;
  uint64_t next_id_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<int> requests_{0};
  mutable std::mutex mu_;
  std::vector<Seen> seen_;
};

/// Returns a loopback port on which nothing listens (bound once, then closed).
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

HttpRequest Req(std::string method, std::string url, std::string body = "",
                std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

std::unique_ptr<HttpClient> StartClient(HttpClientOptions options = {}) {
  auto client = HttpClient::Start(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return std::move(client).value();
}

/// Runs one request and returns its response (fails the test after 20 s).
HttpResponse Fetch(HttpClient& client, HttpRequest request, long timeout_ms = 0) {
  auto promise = std::make_shared<std::promise<HttpResponse>>();
  auto future = promise->get_future();
  client.Submit(std::move(request), [promise](HttpResponse r) { promise->set_value(std::move(r)); },
                timeout_ms);
  if (future.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    ADD_FAILURE() << "no callback within 20 s";
    std::abort();  // the callback would later touch a dead promise's state otherwise
  }
  return future.get();
}

/// Collects many responses, counting callbacks per request index.
class Collector {
 public:
  explicit Collector(size_t n) : calls_(n) {
    for (auto& c : calls_) c.store(0);
  }
  HttpClient::Callback For(size_t i) {
    return [this, i](HttpResponse r) {
      calls_[i].fetch_add(1);
      std::lock_guard<std::mutex> lock(mu_);
      threads_.insert_or_assign(std::this_thread::get_id(), true);
      responses_.push_back(std::move(r));
      cv_.notify_all();
    };
  }
  /// Returns true iff n callbacks ran within the time.
  bool WaitFor(size_t n, milliseconds within) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, within, [&] { return responses_.size() >= n; });
  }
  int calls(size_t i) const { return calls_[i].load(); }
  size_t size() const { return calls_.size(); }
  std::vector<HttpResponse> responses() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::move(responses_);
  }
  size_t thread_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return threads_.size();
  }
  bool ran_on(std::thread::id id) {
    std::lock_guard<std::mutex> lock(mu_);
    return threads_.count(id) > 0;
  }

 private:
  std::vector<std::atomic<int>> calls_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<HttpResponse> responses_;
  std::map<std::thread::id, bool> threads_;
};

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// ---------------------------------------------------------------------------------------------

TEST(HttpClientTest, GetReturnsStatusLowercasedHeadersAndBody) {
  TestServer server;
  auto client = StartClient();
  HttpResponse r = Fetch(*client, Req("GET", server.url("/ok")));
  EXPECT_EQ(r.transport_error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.header("x-test"), "1");
  EXPECT_EQ(r.header("content-length"), "5");
  for (const auto& [name, value] : r.headers) {
    EXPECT_EQ(name, [&] {
      std::string l = name;
      for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return l;
    }()) << "header names are lowercased";
  }
  EXPECT_FALSE(r.timed_out);
  EXPECT_GT(r.seconds, 0.0);
  EXPECT_EQ(client->in_flight(), 0u);
}

TEST(HttpClientTest, PostBodyAndHeadersArriveExactly) {
  TestServer server;
  auto client = StartClient();
  std::string body = "token=gho_s3cr3t%2B&token_type_hint=access_token";
  body.push_back('\0');  // binary-safe: the size, not a NUL, ends the body
  body += std::string(3000, 'z');
  HttpResponse r = Fetch(*client, Req("POST", server.url("/echo?x=1"), body,
                                      {{"Authorization", "Bearer s3cr3t-value"},
                                       {"Content-Type", "application/x-www-form-urlencoded"},
                                       {"X-Mixed-Case", "  spaced  value"},
                                       {"X-Empty", ""}}));
  ASSERT_EQ(r.transport_error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-echo-method"), "POST");
  EXPECT_EQ(r.body, body);

  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  const auto& s = seen[0];
  EXPECT_EQ(s.method, "POST");
  EXPECT_EQ(s.target, "/echo?x=1");
  EXPECT_EQ(s.body, body);
  ASSERT_NE(s.header("authorization"), nullptr);
  EXPECT_EQ(*s.header("authorization"), "Bearer s3cr3t-value");
  ASSERT_NE(s.header("content-type"), nullptr);
  EXPECT_EQ(*s.header("content-type"), "application/x-www-form-urlencoded");
  ASSERT_NE(s.header("content-length"), nullptr);
  EXPECT_EQ(*s.header("content-length"), std::to_string(body.size()));
  ASSERT_NE(s.header("x-empty"), nullptr);
  EXPECT_EQ(*s.header("x-empty"), "");
  ASSERT_NE(s.header("x-mixed-case"), nullptr);
  EXPECT_EQ(*s.header("x-mixed-case"), "spaced  value");
  ASSERT_NE(s.header("user-agent"), nullptr);
  EXPECT_EQ(*s.header("user-agent"), "sever/0.1");
  EXPECT_EQ(s.header("expect"), nullptr) << "no 100-continue round trip";
}

TEST(HttpClientTest, RequestUserAgentOverridesDefault) {
  TestServer server;
  auto client = StartClient();
  HttpResponse r =
      Fetch(*client, Req("GET", server.url("/echo"), "", {{"User-Agent", "acme-revoker/2"}}));
  ASSERT_EQ(r.status, 200);
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  ASSERT_NE(seen[0].header("user-agent"), nullptr);
  EXPECT_EQ(*seen[0].header("user-agent"), "acme-revoker/2");
}

TEST(HttpClientTest, DeleteWithAndWithoutBody) {
  TestServer server;
  auto client = StartClient();
  HttpResponse r = Fetch(*client, Req("DELETE", server.url("/echo/with"), R"({"access_token":"t"})",
                                      {{"Content-Type", "application/json"}}));
  ASSERT_EQ(r.transport_error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-echo-method"), "DELETE");
  r = Fetch(*client, Req("DELETE", server.url("/echo/without")));
  ASSERT_EQ(r.transport_error, "");
  EXPECT_EQ(r.header("x-echo-method"), "DELETE");

  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].method, "DELETE");
  EXPECT_EQ(seen[0].body, R"({"access_token":"t"})");
  ASSERT_NE(seen[0].header("content-length"), nullptr);
  EXPECT_EQ(*seen[0].header("content-length"), "20");
  EXPECT_EQ(*seen[0].header("content-type"), "application/json");
  EXPECT_EQ(seen[1].method, "DELETE");
  EXPECT_EQ(seen[1].body, "");
  EXPECT_EQ(seen[1].header("content-length"), nullptr);
}

TEST(HttpClientTest, RedirectIsReturnedNotFollowed) {
  TestServer server;
  auto client = StartClient();
  HttpResponse r = Fetch(*client, Req("POST", server.url("/status?code=302"), "token=x"));
  EXPECT_EQ(r.transport_error, "");
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.header("location"), "https://example.com/next");
}

TEST(HttpClientTest, ErrorStatusesAreResponsesNotTransportErrors) {
  TestServer server;
  auto client = StartClient();
  for (int code : {400, 401, 429, 503}) {
    std::string url = server.url("/status?code=" + std::to_string(code));
    HttpResponse r = Fetch(*client, Req("POST", url));
    EXPECT_EQ(r.transport_error, "");
    EXPECT_EQ(r.status, code);
    EXPECT_EQ(r.body, "status");
  }
}

TEST(HttpClientTest, TimeoutIsReported) {
  TestServer server;
  auto client = StartClient();
  auto start = Clock::now();
  HttpResponse r = Fetch(*client, Req("GET", server.url("/slow?ms=20000")), 300);
  double took = Seconds(start);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport_error, "timeout");
  EXPECT_TRUE(r.timed_out);
  EXPECT_GE(took, 0.25);
  EXPECT_LT(took, 5.0);
}

TEST(HttpClientTest, DefaultTimeoutAppliesWhenSubmitNamesNone) {
  TestServer server;
  HttpClientOptions options;
  options.default_timeout_ms = 300;
  auto client = StartClient(options);
  auto start = Clock::now();
  HttpResponse r = Fetch(*client, Req("GET", server.url("/slow?ms=20000")));
  EXPECT_EQ(r.transport_error, "timeout");
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(Seconds(start), 5.0);
  // A slow answer inside the timeout is fine.
  r = Fetch(*client, Req("GET", server.url("/slow?ms=50")), 5000);
  EXPECT_EQ(r.transport_error, "");
  EXPECT_EQ(r.body, "slow");
}

TEST(HttpClientTest, ConnectionResetIsReported) {
  TestServer server;
  auto client = StartClient();
  HttpResponse r = Fetch(*client, Req("POST", server.url("/reset"), "token=x"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport_error, "connection reset");
  EXPECT_FALSE(r.timed_out);
  r = Fetch(*client, Req("POST", server.url("/close"), "token=x"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport_error, "connection reset");
}

TEST(HttpClientTest, ConnectionRefusedIsReported) {
  auto client = StartClient();
  HttpResponse r = Fetch(
      *client, Req("POST", "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/revoke", "t=1"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport_error, "connection refused");
}

TEST(HttpClientTest, NonLoopbackHttpIsRefusedWithoutNetwork) {
  HttpClientOptions options;
  options.connect_timeout_ms = 20000;  // a connect attempt would show as a long wait
  auto client = StartClient(options);
  for (const char* url : {"http://10.1.2.3/", "http://example.com/revoke", "ftp://127.0.0.1/",
                          "file:///etc/passwd", "http://127.0.0.1.example.com/",
                          // user info "127.0.0.1:80", host 10.1.2.3: the text starts like
                          // loopback, the host libcurl would connect to is not
                          "http://127.0.0.1:80@10.1.2.3/revoke"}) {
    auto start = Clock::now();
    HttpResponse r = Fetch(*client, Req("POST", url, "token=x"));
    EXPECT_LT(Seconds(start), 1.0) << url;
    EXPECT_EQ(r.status, 0) << url;
    EXPECT_NE(r.transport_error.find("loopback"), std::string::npos) << r.transport_error;
    EXPECT_NE(r.transport_error.find("https"), std::string::npos) << r.transport_error;
  }
  EXPECT_EQ(client->in_flight(), 0u);
}

TEST(HttpClientTest, PlainHttpNeverGoesThroughAProxy) {
  TestServer server;
  std::string proxy = "http://127.0.0.1:" + std::to_string(ClosedPort());
  const char* vars[] = {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"};
  for (const char* v : vars) setenv(v, proxy.c_str(), 1);
  {
    auto client = StartClient();
    HttpResponse r = Fetch(*client, Req("POST", server.url("/ok"), "token=x"));
    EXPECT_EQ(r.transport_error, "");
    EXPECT_EQ(r.status, 200);
  }
  for (const char* v : vars) unsetenv(v);
}

TEST(HttpClientTest, MalformedMethodOrHeaderIsRefused) {
  TestServer server;
  auto client = StartClient();
  HttpResponse r =
      Fetch(*client, Req("POST", server.url("/echo"), "", {{"X-A", "1\r\nX-Injected: 1"}}));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.transport_error.find("refused"), std::string::npos);
  r = Fetch(*client, Req("GET / HTTP/1.1\r\n", server.url("/echo")));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.transport_error.find("refused"), std::string::npos);
  EXPECT_EQ(server.requests(), 0);
}

TEST(HttpClientTest, HttpsToClosedPortFails) {
  auto client = StartClient();
  HttpResponse r =
      Fetch(*client, Req("POST", "https://127.0.0.1:" + std::to_string(ClosedPort()) + "/", "t"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport_error, "connection refused");
}

TEST(HttpClientTest, HttpsToPlainHttpServerFailsTls) {
  TestServer server;
  auto client = StartClient();
  HttpResponse r = Fetch(
      *client, Req("POST", "https://127.0.0.1:" + std::to_string(server.port()) + "/ok", "t"),
      5000);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.transport_error, "");
  EXPECT_NE(r.transport_error, "timeout");
  EXPECT_EQ(server.requests(), 0) << "no request went out in plaintext";
}

/// Runs `openssl s_server -www` with a fresh self-signed certificate for 127.0.0.1.
class TlsServer {
 public:
  TlsServer() {
    char tmpl[] = "/tmp/sever-tls-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    cert_ = dir_ + "/cert.pem";
    std::string key = dir_ + "/key.pem";
    std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
        "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " +
        cert_ + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) return;
    port_ = ClosedPort();
    pid_ = fork();
    if (pid_ == 0) {
      int devnull = open("/dev/null", O_RDWR);
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(devnull, 2);
      std::string port = std::to_string(port_);
      execlp("openssl", "openssl", "s_server", "-quiet", "-www", "-accept", port.c_str(),
             "-cert", cert_.c_str(), "-key", key.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100 && !ready_; ++i) {  // wait until it listens
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<uint16_t>(port_));
      ready_ = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
      close(fd);
      if (!ready_) std::this_thread::sleep_for(milliseconds(50));
    }
  }
  ~TlsServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  bool ready() const { return ready_; }
  int port() const { return port_; }
  const std::string& cert() const { return cert_; }

 private:
  std::string dir_;
  std::string cert_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool ready_ = false;
};

TEST(HttpClientTest, TlsPeerIsVerified) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl CLI";
  TlsServer tls;
  ASSERT_TRUE(tls.ready()) << "openssl s_server did not start";
  std::string url = "https://127.0.0.1:" + std::to_string(tls.port()) + "/";
  {
    auto client = StartClient();  // system trust store: the self-signed certificate is unknown
    HttpResponse r = Fetch(*client, Req("GET", url), 5000);
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.transport_error.find("certificate"), std::string::npos) << r.transport_error;
  }
  HttpClientOptions options;
  options.ca_file = tls.cert();
  auto client = StartClient(options);
  HttpResponse r = Fetch(*client, Req("GET", url), 5000);
  EXPECT_EQ(r.transport_error, "");
  EXPECT_EQ(r.status, 200);
  // Trusted certificate, wrong name: host verification still refuses.
  r = Fetch(*client, Req("GET", "https://localhost:" + std::to_string(tls.port()) + "/"), 5000);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.transport_error, "");
}

TEST(HttpClientTest, ResponseBodyOverCapFails) {
  TestServer server;
  HttpClientOptions options;
  options.max_response_body = 64 * 1024;
  auto client = StartClient(options);
  HttpResponse r = Fetch(*client, Req("GET", server.url("/big?n=65536")));
  EXPECT_EQ(r.transport_error, "");
  EXPECT_EQ(r.body.size(), 65536u);
  r = Fetch(*client, Req("GET", server.url("/big?n=2000000")));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.transport_error.find("exceeds"), std::string::npos) << r.transport_error;
  EXPECT_TRUE(r.body.empty());
}

TEST(HttpClientTest, ManyRequestsCompleteOnceAndReuseConnections) {
  TestServer server;
  HttpClientOptions options;
  options.max_in_flight = 64;
  constexpr size_t kN = 2000;
  Collector got(kN);
  auto client = StartClient(options);
  for (size_t i = 0; i < kN; ++i) {
    client->Submit(Req("POST", server.url("/ok?i=" + std::to_string(i)), "token=t"), got.For(i));
  }
  ASSERT_TRUE(got.WaitFor(kN, milliseconds(60000)));
  std::this_thread::sleep_for(milliseconds(50));  // a duplicate callback would show now
  for (size_t i = 0; i < kN; ++i) EXPECT_EQ(got.calls(i), 1) << i;
  for (const auto& r : got.responses()) {
    EXPECT_EQ(r.status, 200) << r.transport_error;
    EXPECT_EQ(r.body, "hello");
  }
  EXPECT_EQ(server.requests(), static_cast<int>(kN));
  EXPECT_LE(server.accepted(), 70);
  EXPECT_EQ(client->in_flight(), 0u);
  EXPECT_EQ(got.thread_count(), 1u) << "every callback runs on the client's thread";
  EXPECT_FALSE(got.ran_on(std::this_thread::get_id()));
}

TEST(HttpClientTest, MaxInFlightBoundsConcurrency) {
  TestServer server;
  HttpClientOptions options;
  options.max_in_flight = 4;
  Collector got(12);
  auto client = StartClient(options);
  auto start = Clock::now();
  for (size_t i = 0; i < 12; ++i) {
    client->Submit(Req("GET", server.url("/slow?ms=500")), got.For(i));
  }
  for (int i = 0; i < 500 && server.requests() < 4; ++i) {
    std::this_thread::sleep_for(milliseconds(2));
  }
  EXPECT_EQ(client->in_flight(), 12u);
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(server.requests(), 4);  // the other 8 wait in the client's queue
  ASSERT_TRUE(got.WaitFor(12, milliseconds(20000)));
  EXPECT_GE(Seconds(start), 1.45);  // three rounds of 500 ms
  EXPECT_LE(server.accepted(), 4);
}

TEST(HttpClientTest, SubmitFromSeveralThreads) {
  TestServer server;
  HttpClientOptions options;
  options.max_in_flight = 32;
  constexpr size_t kThreads = 4, kEach = 500;
  Collector got(kThreads * kEach);
  auto client = StartClient(options);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < kEach; ++i) {
        size_t n = t * kEach + i;
        client->Submit(Req("POST", server.url("/ok?n=" + std::to_string(n)), "x"), got.For(n));
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(got.WaitFor(kThreads * kEach, milliseconds(60000)));
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got.calls(i), 1) << i;
  for (const auto& r : got.responses()) EXPECT_EQ(r.status, 200) << r.transport_error;
}

TEST(HttpClientTest, CallbackMaySubmitAgain) {
  TestServer server;
  std::promise<int> done;
  std::atomic<int> hops{0};
  std::function<void(HttpResponse)> next;  // outlives the client, whose callbacks use it
  auto client = StartClient();
  std::atomic<bool> finished{false};
  next = [&](HttpResponse r) {
    if (r.status == 200 && ++hops < 20) {
      client->Submit(Req("GET", server.url("/ok")), next);
    } else if (!finished.exchange(true)) {
      done.set_value(hops.load());
    }
  };
  client->Submit(Req("GET", server.url("/ok")), next);
  auto f = done.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_EQ(f.get(), 20);
}

TEST(HttpClientTest, DestroyWithTransfersInFlightFailsEachOnce) {
  TestServer server;
  constexpr size_t kN = 40;
  Collector got(kN);
  HttpClientOptions options;
  options.max_in_flight = 8;  // 8 on the wire, 32 queued
  auto client = StartClient(options);
  for (size_t i = 0; i < kN; ++i) {
    client->Submit(Req("POST", server.url("/slow?ms=30000"), "token=x"), got.For(i), 60000);
  }
  for (int i = 0; i < 1000 && server.requests() < 8; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(server.requests(), 8);
  auto start = Clock::now();
  client.reset();
  EXPECT_LT(Seconds(start), 3.0);
  ASSERT_TRUE(got.WaitFor(kN, milliseconds(1000)));
  for (size_t i = 0; i < kN; ++i) EXPECT_EQ(got.calls(i), 1) << i;
  for (const auto& r : got.responses()) {
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.transport_error, "client stopped");
  }
}

TEST(HttpClientTest, StartRejectsUnusableOptions) {
  HttpClientOptions zero;
  zero.max_in_flight = 0;
  auto r = HttpClient::Start(zero);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::invalid_argument);
  HttpClientOptions missing_ca;
  missing_ca.ca_file = "/nonexistent/ca.pem";
  r = HttpClient::Start(missing_ca);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// By hand: requests per second. Against the in-process test server by default, or any URL
// (SEVER_BENCH_CA names a PEM file to trust for an https URL):
//   SEVER_BENCH_URL=http://127.0.0.1:8080/ok SEVER_BENCH_N=100000 SEVER_BENCH_IN_FLIGHT=256
//   sever_providers_tests --gtest_also_run_disabled_tests --gtest_filter='HttpClientBench*'
// ---------------------------------------------------------------------------------------------
TEST(HttpClientBench, DISABLED_Throughput) {
  auto env = [](const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return std::string(v != nullptr ? v : fallback);
  };
  std::unique_ptr<TestServer> server;
  std::string url = env("SEVER_BENCH_URL", "");
  if (url.empty()) {
    server = std::make_unique<TestServer>();
    url = server->url("/ok");
  }
  size_t n = std::stoul(env("SEVER_BENCH_N", "100000"));
  HttpClientOptions options;
  options.max_in_flight = std::stoul(env("SEVER_BENCH_IN_FLIGHT", "256"));
  options.max_host_connections = std::stol(env("SEVER_BENCH_HOST_CONNECTIONS", "64"));
  options.ca_file = env("SEVER_BENCH_CA", "");
  auto client = StartClient(options);
  std::atomic<size_t> ok{0}, failed{0};
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<size_t> finished{0};
  auto cb = [&](HttpResponse r) {
    (r.status == 200 ? ok : failed).fetch_add(1);
    if (finished.fetch_add(1) + 1 == n) {
      std::lock_guard<std::mutex> lock(mu);
      cv.notify_all();
    }
  };
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  auto start = Clock::now();
  for (size_t i = 0; i < n; ++i) {
    client->Submit(Req("POST", url, "token=abc&token_type_hint=x"), cb);
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return finished.load() == n; });
  }
  double secs = Seconds(start);
  getrusage(RUSAGE_SELF, &after);
  auto cpu = [](const rusage& u) {
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  double cpu_s = cpu(after) - cpu(before);
  std::printf("%zu requests (%zu ok, %zu failed) at %zu in flight in %.2f s: %.0f req/s; "
              "process CPU %.2f s (%.1f us/request)%s\n",
              n, ok.load(), failed.load(), options.max_in_flight, secs, n / secs, cpu_s,
              cpu_s / n * 1e6, server ? " incl. the in-process server" : "");
  if (server) std::printf("connections accepted: %d\n", server->accepted());
  EXPECT_EQ(ok.load(), n);
}

}  // namespace
}  // namespace sever::providers

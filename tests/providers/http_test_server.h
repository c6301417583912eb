// A test-only HTTP/1.1 server on loopback for the HTTP client tests: one thread, epoll,
// keep-alive. Paths:
//   /ok                  200, X-Test: 1, body "hello"
//   /slow?ms=N           200 "slow" after N ms
//   /reset               closes with a TCP RST, no answer
//   /close               closes with a FIN, no answer
//   /echo                200, X-Echo-Method: METHOD, the request body back; the request is recorded
//   /status?code=N       status N (with Location: https://example.com/next for a 3xx)
//   /big?n=N             200 with N bytes of body
// Anything that does not start like an HTTP request (a TLS ClientHello) gets 400 and a close.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace sever::providers::testing {

class TestServer {
 public:
  /// One request the server parsed.
  struct Seen {
    std::string method;
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
    std::string body;
    /// Returns the value of the header, or nullptr when absent.
    const std::string* header(std::string_view name) const;
  };

  /// Listens on a free loopback port and starts serving on its own thread (aborts the test
  /// process when it cannot listen).
  TestServer();
  /// Stops the thread and closes every connection.
  ~TestServer();

  /// Returns the port it listens on.
  int port() const { return port_; }
  /// Returns http://127.0.0.1:PORT<path>.
  std::string url(std::string_view path) const;
  /// Returns the number of connections accepted so far.
  int accepted() const { return accepted_.load(); }
  /// Returns the number of requests parsed so far (any path).
  int requests() const { return requests_.load(); }
  /// Returns the requests /echo received, in order.
  std::vector<Seen> seen() const;

 private:
  using Clock = std::chrono::steady_clock;

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

  /// Adds `fd` to the epoll set for `events`.
  void Watch(int fd, uint32_t events);
  /// The server thread: waits for events and due timers until stopped.
  void Run();
  /// Accepts every pending connection.
  void Accept();
  /// Closes a connection (with a TCP RST when `reset`) and forgets it.
  void Close(Conn& c, bool reset);
  /// Reads what the connection has, then answers the complete requests.
  void Read(Conn& c);
  /// Answers every complete request in c.in; returns false when c was closed.
  bool Process(Conn& c);
  /// Returns the integer query parameter `key` of a request target, or `fallback`.
  static long QueryInt(const std::string& target, const std::string& key, long fallback);
  /// Answers one request; returns false when the connection was closed.
  bool Handle(Conn& c, Seen req);
  /// Queues a response and flushes it; returns false when c was closed.
  bool Respond(Conn& c, int status, const std::string& extra_headers, const std::string& body,
               bool close_after);
  /// Writes what it can; returns false when c was closed.
  bool Flush(Conn& c);
  /// Answers the delayed (/slow) requests whose time has come.
  void FireTimers();

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
int ClosedPort();

}  // namespace sever::providers::testing

// The epoll server: one or more event loops, non-blocking sockets, HTTP/1.1 keep-alive and
// pipelining, delayed answers on a timer heap, and a bounded number of connections.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "engine.h"
#include "http_parser.h"
#include "sever/store/status.h"

namespace sever::fake {

/// Server limits and lifetime. Every field says its default.
struct ServerOptions {
  int threads = 1;                  // event loops (each on its own thread)
  int64_t max_connections = 4096;   // more are accepted and closed at once
  ParseLimits limits;               // 16 KiB of headers, 64 KiB of body
  int idle_timeout_s = 120;         // an idle (or hung) connection is closed after this
  double max_seconds = 0;           // > 0: stop after this long
};

/// Serves HTTP on a listening socket until a stop. SIGTERM and SIGINT must be blocked in every
/// thread before run() (run() reads them from a signalfd).
class Server {
 public:
  /// Takes ownership of `listen_fd` (non-blocking, listening).
  Server(int listen_fd, Engine* engine, ServerOptions opts);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Runs the loops (this thread is one of them) until SIGTERM/SIGINT, max_seconds, or
  /// request_stop(). Returns the reason ("signal", "max-seconds", "requested") or an error.
  Result<std::string> run();

  /// Asks every loop to stop. Thread-safe.
  void request_stop(const char* reason);

 private:
  friend class EventLoop;
  int listen_fd_;
  Engine* engine_;
  ServerOptions opts_;
  int stop_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<const char*> reason_{"requested"};
  std::atomic<int64_t> connections_{0};
  int64_t deadline_us_ = 0;  // monotonic; 0 = none
};

}  // namespace sever::fake

#include "server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <thread>
#include <vector>

#include "connection.h"
#include "http_response.h"
#include "timers.h"

namespace sever::fake {
namespace {

int64_t mono_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

int64_t unix_ms() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

constexpr size_t kReadChunk = 64 * 1024;
constexpr int64_t kSweepEveryUs = 1000000;
constexpr int64_t kLingerUs = 2000000;
// Backpressure: a client that pipelines without reading stops being read from beyond these.
constexpr size_t kMaxOutputBacklog = 1 << 20;
constexpr size_t kMaxPendingAnswers = 1024;

}  // namespace

/// One epoll loop and the connections it accepted. Runs on one thread.
class EventLoop {
 public:
  EventLoop(Server* server, int signal_fd) : s_(server), signal_fd_(signal_fd) {}
  ~EventLoop() {
    for (auto& c : conns_) {
      if (c) close(c->fd);
    }
    if (epfd_ >= 0) close(epfd_);
    if (reserve_fd_ >= 0) close(reserve_fd_);
  }

  /// Registers the shared fds. Returns false (with errno set) if epoll fails.
  bool init() {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) return false;
    reserve_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
    uint32_t listen_events = EPOLLIN;
    if (s_->opts_.threads > 1) listen_events |= EPOLLEXCLUSIVE;
    return add(s_->listen_fd_, listen_events) && add(s_->stop_fd_, EPOLLIN) &&
           (signal_fd_ < 0 || add(signal_fd_, EPOLLIN));
  }

  /// Serves until the server's stop flag is raised.
  void run() {
    std::vector<epoll_event> events(512);
    refresh_now();
    next_sweep_us_ = now_.mono_us + kSweepEveryUs;
    while (!s_->stop_.load(std::memory_order_relaxed)) {
      const int n = wait(events.data(), static_cast<int>(events.size()));
      if (n < 0 && errno != EINTR) {
        s_->request_stop("epoll failure");
        break;
      }
      refresh_now();
      for (int i = 0; i < n; ++i) dispatch(events[i]);
      refresh_now();
      fire_timers();
      if (now_.mono_us >= next_sweep_us_) sweep();
      if (s_->deadline_us_ > 0 && now_.mono_us >= s_->deadline_us_) {
        s_->request_stop("max-seconds");
      }
    }
  }

 private:
  bool add(int fd, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
  }

  void refresh_now() {
    now_.mono_us = mono_us();
    now_.unix_ms = unix_ms();
  }

  /// Waits for events until the next timer, sweep or deadline: with microsecond precision
  /// (epoll_pwait2) where the kernel has it, else rounded up to milliseconds.
  int wait(epoll_event* events, int max) {
    int64_t until = next_sweep_us_;
    if (timers_.next_deadline() >= 0) until = std::min(until, timers_.next_deadline());
    if (s_->deadline_us_ > 0) until = std::min(until, s_->deadline_us_);
    const int64_t us = std::max<int64_t>(0, until - mono_us());
    if (have_pwait2_) {
      const timespec ts{static_cast<time_t>(us / 1000000), static_cast<long>(us % 1000000) * 1000};
      const int n = epoll_pwait2(epfd_, events, max, &ts, nullptr);
      if (n >= 0 || errno != ENOSYS) return n;
      have_pwait2_ = false;
    }
    return epoll_wait(epfd_, events, max, static_cast<int>((us + 999) / 1000));
  }

  std::string_view date() { return dates_.get(now_.unix_ms / 1000); }

  void dispatch(const epoll_event& ev) {
    const int fd = ev.data.fd;
    if (fd == s_->listen_fd_) {
      accept_connections();
    } else if (fd == s_->stop_fd_) {
      // The flag is already raised; the loop condition ends the loop.
    } else if (fd == signal_fd_) {
      signalfd_siginfo info{};
      while (read(signal_fd_, &info, sizeof info) == sizeof info) {
      }
      s_->request_stop("signal");
    } else {
      connection_event(fd, ev.events);
    }
  }

  Connection* conn_at(int fd) {
    return fd >= 0 && static_cast<size_t>(fd) < conns_.size() ? conns_[fd].get() : nullptr;
  }

  void accept_connections() {
    // With several loops, take one connection per wake-up so they spread across loops.
    const int batch = s_->opts_.threads > 1 ? 1 : 256;
    for (int i = 0; i < batch; ++i) {
      const int fd = accept4(s_->listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if ((errno == EMFILE || errno == ENFILE) && reserve_fd_ >= 0) {
          // Out of descriptors: accept with the reserve and close at once, or the
          // level-triggered listener would spin.
          close(reserve_fd_);
          const int victim = accept4(s_->listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
          if (victim >= 0) close(victim);
          reserve_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
          s_->engine_->connection_rejected();
        }
        return;
      }
      if (s_->connections_.load() >= s_->opts_.max_connections) {
        s_->engine_->connection_rejected();
        abort_socket(fd);
        continue;
      }
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (static_cast<size_t>(fd) >= conns_.size()) conns_.resize(static_cast<size_t>(fd) * 2 + 64);
      auto c = std::make_unique<Connection>();
      c->fd = fd;
      c->generation = ++generation_;
      c->last_active_us = now_.mono_us;
      conns_[fd] = std::move(c);
      if (!add(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)) {
        conns_[fd].reset();
        close(fd);
        continue;
      }
      s_->connections_.fetch_add(1);
      s_->engine_->connection_opened();
    }
  }

  static void abort_socket(int fd) {
    const linger lg{1, 0};  // close with RST: the client sees a reset, not an orderly end
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
  }

  void connection_event(int fd, uint32_t events) {
    Connection* c = conn_at(fd);
    if (c == nullptr) return;
    if (events & EPOLLERR) {
      close_connection(*c, false);
      return;
    }
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) && !c->read_paused) {
      if (!read_input(*c, (events & (EPOLLRDHUP | EPOLLHUP)) != 0)) return;
    }
    if (!flush(*c) || !resume_reading(*c)) return;
    finish_if_done(*c);
  }

  static bool backlogged(const Connection& c) {
    return c.out.size() - c.out_sent > kMaxOutputBacklog ||
           c.pending.size() >= kMaxPendingAnswers;
  }

  /// Restarts reading of a paused connection once its backlog has drained: first the input
  /// already buffered, then the socket until it would block. Returns false if closed.
  bool resume_reading(Connection& c) {
    if (!c.read_paused || backlogged(c)) return true;
    c.read_paused = false;
    if (!c.in.empty() && !consume(c, {})) return false;
    if (c.read_paused) return true;
    return read_input(c, true) && flush(c);
  }

  /// Reads until the socket is drained. Returns false if the connection was closed.
  bool read_input(Connection& c, bool peer_closing) {
    for (;;) {
      const ssize_t n = recv(c.fd, scratch_, kReadChunk, 0);
      if (n > 0) {
        c.last_active_us = now_.mono_us;
        if (!consume(c, std::string_view(scratch_, static_cast<size_t>(n)))) return false;
        if (c.read_paused) return true;  // the rest waits in the socket (backpressure)
        // A short read drained the socket; new data would raise a new edge.
        if (static_cast<size_t>(n) < kReadChunk && !peer_closing) return true;
        continue;
      }
      if (n == 0) {
        c.read_eof = true;
        c.stop_reading = true;
        return true;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      close_connection(c, false);
      return false;
    }
  }

  /// Parses and handles every complete request in the input. Returns false if closed.
  bool consume(Connection& c, std::string_view data) {
    if (c.stop_reading) return true;
    std::string_view buf = data;
    if (!c.in.empty()) {
      c.in.append(data);
      buf = c.in;
    }
    size_t off = 0;
    while (off < buf.size() && !c.stop_reading) {
      if (backlogged(c)) {
        c.read_paused = true;
        break;
      }
      const ParseResult r = parse_request(buf.substr(off), s_->opts_.limits, &req_);
      if (r.state == ParseState::complete) {
        off += r.consumed;
        c.continue_sent = false;
        if (c.hung) continue;  // a hung request holds the line: later ones are never answered
        const Decision d = s_->engine_->handle(req_, now_, &c.providers);
        const bool close_after = d.close || !req_.keep_alive;
        if (close_after) c.stop_reading = true;
        if (!enqueue(c, d, close_after, req_.minor_version)) return false;
      } else if (r.state == ParseState::need_body) {
        if (req_.expect_continue && !c.continue_sent && c.pending.empty()) {
          c.out.append("HTTP/1.1 100 Continue\r\n\r\n");
          c.continue_sent = true;
        }
        break;
      } else if (r.state == ParseState::need_headers) {
        break;
      } else {
        s_->engine_->http_error();
        Decision d;
        d.status = r.error_status;
        d.body = R"({"error":")" + std::string(reason_phrase(r.error_status)) + "\"}";
        c.stop_reading = true;
        off = buf.size();
        if (!enqueue(c, d, true, 1)) return false;
      }
    }
    if (c.stop_reading) {
      c.in.clear();
    } else if (c.in.empty()) {
      if (off < buf.size()) c.in.assign(buf.substr(off));
    } else {
      c.in.erase(0, off);
    }
    return true;
  }

  /// Queues an answer behind earlier ones. Returns false if the connection was closed.
  bool enqueue(Connection& c, const Decision& d, bool close_after, int minor_version) {
    const bool immediate = d.delay_us <= 0 && c.pending.empty();
    if (immediate && d.action == Decision::Action::respond) {
      append_response(d, close_after, minor_version, date(), &c.out);
      if (close_after) c.closing = true;
      return true;
    }
    if (immediate && d.action == Decision::Action::reset) {
      if (!flush(c)) return false;
      close_connection(c, true);
      return false;
    }
    PendingAnswer p;
    p.seq = c.next_seq++;
    p.action = d.action;
    p.close = close_after;
    p.tracked_provider = d.tracked_provider;
    p.ready = d.delay_us <= 0 && d.action != Decision::Action::hang;
    if (d.action == Decision::Action::respond) {
      append_response(d, close_after, minor_version, date(), &p.bytes);
    }
    if (d.action == Decision::Action::hang) {
      c.hung = true;
    } else if (d.delay_us > 0) {
      timers_.add(now_.mono_us + d.delay_us, TimerTarget{c.fd, c.generation, p.seq});
    }
    const bool ready = p.ready;
    c.pending.push_back(std::move(p));
    return ready ? drain(c) : true;
  }

  /// Moves ready answers at the head of the queue to the output. Returns false if closed.
  bool drain(Connection& c) {
    while (!c.pending.empty() && c.pending.front().ready) {
      PendingAnswer& f = c.pending.front();
      if (f.tracked_provider >= 0) {
        s_->engine_->done(f.tracked_provider);
        f.tracked_provider = -1;
      }
      if (f.action == Decision::Action::reset) {
        c.pending.pop_front();
        if (!flush(c)) return false;
        close_connection(c, true);
        return false;
      }
      if (c.out.empty()) {
        c.out.swap(f.bytes);
      } else {
        c.out.append(f.bytes);
      }
      if (f.close) c.closing = true;
      c.pending.pop_front();
    }
    return true;
  }

  /// Sends what it can of the output. Returns false if the connection was closed.
  bool flush(Connection& c) {
    while (c.out_sent < c.out.size()) {
      const ssize_t n =
          send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;  // EPOLLOUT resumes
      close_connection(c, false);
      return false;
    }
    if (c.out.capacity() > (1u << 20)) {
      std::string().swap(c.out);
    } else {
      c.out.clear();
    }
    c.out_sent = 0;
    return true;
  }

  /// Closes the connection if it has nothing left to do. A close the client did not start
  /// lingers: our side is shut and its input drained until it closes too (or kLingerUs), so
  /// unread input does not turn the close into a reset that could destroy the last answer.
  void finish_if_done(Connection& c) {
    if (!c.flushed()) return;
    if (!c.closing && !(c.read_eof && (c.pending.empty() || c.hung))) return;
    if (c.read_eof) {
      close_connection(c, false);
    } else if (!c.write_shut) {
      shutdown(c.fd, SHUT_WR);
      c.write_shut = true;
      c.linger_since_us = now_.mono_us;
    }
  }

  void close_connection(Connection& c, bool reset) {
    for (const PendingAnswer& p : c.pending) {
      if (p.tracked_provider >= 0) s_->engine_->done(p.tracked_provider);
    }
    s_->engine_->connection_closed(c.providers);
    s_->connections_.fetch_sub(1);
    const int fd = c.fd;
    if (reset) {
      abort_socket(fd);
    } else {
      close(fd);
    }
    conns_[fd].reset();  // `c` is gone from here on
  }

  void fire_timers() {
    TimerTarget t;
    while (timers_.pop_due(now_.mono_us, &t)) {
      Connection* c = conn_at(t.fd);
      if (c == nullptr || c->generation != t.generation || c->pending.empty()) continue;
      const uint64_t first = c->pending.front().seq;
      if (t.seq < first || t.seq - first >= c->pending.size()) continue;
      c->pending[t.seq - first].ready = true;
      if (!drain(*c) || !flush(*c) || !resume_reading(*c)) continue;
      finish_if_done(*c);
    }
  }

  void sweep() {
    next_sweep_us_ = now_.mono_us + kSweepEveryUs;
    const int64_t idle_us = static_cast<int64_t>(s_->opts_.idle_timeout_s) * 1000000;
    for (auto& slot : conns_) {
      Connection* c = slot.get();
      if (c == nullptr) continue;
      const bool lingered = c->write_shut && now_.mono_us - c->linger_since_us > kLingerUs;
      if (lingered ||
          ((c->pending.empty() || c->hung) && now_.mono_us - c->last_active_us > idle_us)) {
        close_connection(*c, false);
      }
    }
  }

  Server* s_;
  int signal_fd_;
  int epfd_ = -1;
  int reserve_fd_ = -1;
  bool have_pwait2_ = true;
  std::vector<std::unique_ptr<Connection>> conns_;
  uint64_t generation_ = 0;
  TimerHeap timers_;
  DateCache dates_;
  Now now_;
  int64_t next_sweep_us_ = 0;
  Request req_;
  char scratch_[kReadChunk];
};

Server::Server(int listen_fd, Engine* engine, ServerOptions opts)
    : listen_fd_(listen_fd), engine_(engine), opts_(opts) {}

Server::~Server() {
  if (stop_fd_ >= 0) close(stop_fd_);
  close(listen_fd_);
}

void Server::request_stop(const char* reason) {
  bool expected = false;
  if (stop_.compare_exchange_strong(expected, true)) reason_.store(reason);
  const uint64_t one = 1;
  if (stop_fd_ >= 0) (void)!write(stop_fd_, &one, sizeof one);
}

Result<std::string> Server::run() {
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd_ < 0) return Status::IoError(std::string("eventfd: ") + std::strerror(errno));
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  const int signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd < 0) return Status::IoError(std::string("signalfd: ") + std::strerror(errno));
  if (opts_.max_seconds > 0) {
    deadline_us_ = mono_us() + static_cast<int64_t>(opts_.max_seconds * 1e6);
  }
  const int threads = std::max(1, opts_.threads);
  std::vector<std::unique_ptr<EventLoop>> loops;
  for (int i = 0; i < threads; ++i) {
    loops.push_back(std::make_unique<EventLoop>(this, i == 0 ? signal_fd : -1));
    if (!loops.back()->init()) {
      close(signal_fd);
      return Status::IoError(std::string("epoll: ") + std::strerror(errno));
    }
  }
  std::vector<std::thread> workers;
  for (int i = 1; i < threads; ++i) workers.emplace_back([&loops, i] { loops[i]->run(); });
  loops[0]->run();
  for (std::thread& t : workers) t.join();
  loops.clear();
  close(signal_fd);
  return std::string(reason_.load());
}

}  // namespace sever::fake

// Helpers shared by the tests of sever-fake-provider as a black box (fake_provider_*_test.cc):
// the binary started on port 0 with a config, raw HTTP/1.1 over loopback sockets (no HTTP
// library), and the fixture whose suite shares one running fake.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "sever/store/crypto.h"
#include "support/temp_dir.h"

#ifndef SEVER_BIN_DIR
#error "SEVER_BIN_DIR must name the directory of the built binaries"
#endif

namespace sever::fake_provider_test {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

inline std::string binary() { return std::string(SEVER_BIN_DIR) + "/sever-fake-provider"; }

inline std::string sha256_hex(const std::string& s) { return sever::crypto::to_hex(sever::crypto::sha256(s)); }

inline std::string base64(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (i + 1 == in.size()) {
    const uint32_t v = uint8_t(in[i]) << 16;
    out += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
  }
  return out;
}

inline std::string basic(const std::string& user, const std::string& pass) {
  return "Basic " + base64(user + ":" + pass);
}

/// Reads everything left in a pipe fd (blocking until EOF).
inline std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

/// A running sever-fake-provider. Killed (SIGKILL) if still running when destroyed.
class FakeProcess {
 public:
  /// Starts the binary with a config (JSON text; empty for none) and extra flags.
  /// port() is 0 if it exited before announcing its port.
  FakeProcess(const std::string& config, std::vector<std::string> extra = {},
              const std::string& listen = "127.0.0.1:0") {
    std::vector<std::string> args = {binary(), "--listen", listen};
    if (!config.empty()) {
      config_path_ = dir_ / "fake.json";
      std::ofstream(config_path_) << config;
      args.insert(args.end(), {"--config", config_path_});
    }
    record_path_ = dir_ / "record.jsonl";
    args.insert(args.end(), {"--record", record_path_});
    args.insert(args.end(), extra.begin(), extra.end());
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      dup2(err[1], 2);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
    // The first stdout line is "listening 127.0.0.1:PORT".
    std::string line;
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (line.find('\n') == std::string::npos && Clock::now() < deadline) {
      pollfd p{out_fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[256];
      const ssize_t n = read(out_fd_, buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    first_line_ = line.substr(0, line.find('\n'));
    const size_t colon = first_line_.rfind(':');
    if (first_line_.rfind("listening ", 0) == 0 && colon != std::string::npos) {
      port_ = std::stoi(first_line_.substr(colon + 1));
    }
  }
  ~FakeProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
    if (err_fd_ >= 0) close(err_fd_);
  }

  int port() const { return port_; }
  const std::string& first_line() const { return first_line_; }
  const std::string& record_path() const { return record_path_; }

  /// Waits up to `timeout` for the process to exit; returns its exit code, -1 on a signal or
  /// if it is still running.
  int wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!exited_) {
      int status = 0;
      const pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        stderr_ = read_all(err_fd_);
        break;
      }
      if (Clock::now() >= deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return exit_code_;
  }

  /// Sends SIGTERM and returns the exit code.
  int terminate() {
    kill(pid_, SIGTERM);
    return wait_exit(std::chrono::seconds(5));
  }

  /// Returns what the process wrote to stderr (after it exited).
  const std::string& err() const { return stderr_; }

 private:
  sever::testing::TempDir dir_;
  std::string config_path_;
  std::string record_path_;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  int port_ = 0;
  std::string first_line_;
  bool exited_ = false;
  int exit_code_ = -1;
  std::string stderr_;
};

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

/// Builds one HTTP/1.1 request.
inline std::string http_request(const std::string& method, const std::string& path,
                                const std::string& body = "",
                                const std::vector<std::string>& headers = {}) {
  std::string r = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const std::string& h : headers) r += h + "\r\n";
  if (!body.empty() || method == "POST" || method == "DELETE") {
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return r + "\r\n" + body;
}

inline std::string form_request(const std::string& path, const std::string& form,
                                std::vector<std::string> headers = {}) {
  headers.push_back("Content-Type: application/x-www-form-urlencoded");
  return http_request("POST", path, form, headers);
}

/// A keep-alive client connection over a raw socket.
class Conn {
 public:
  explicit Conn(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Conn() {
    if (fd_ >= 0) close(fd_);
  }
  bool connected() const { return connected_; }

  bool send_raw(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      const ssize_t n = send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  /// Reads one response; nullopt on EOF, reset or timeout (errno_ tells which).
  std::optional<Response> read_response() {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    Response r;
    std::istringstream head(buf_.substr(0, end));
    std::string line;
    std::getline(head, line);
    if (line.size() < 12) return std::nullopt;
    r.status = std::stoi(line.substr(9, 3));
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      const size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t v = colon + 1;
      while (v < line.size() && line[v] == ' ') ++v;
      r.headers[name] = line.substr(v);
    }
    const size_t length =
        r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    buf_.erase(0, end + 4);
    while (buf_.size() < length) {
      if (!fill()) return std::nullopt;
    }
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return r;
  }

  /// Sends a request and reads its response.
  std::optional<Response> roundtrip(const std::string& request) {
    if (!send_raw(request)) return std::nullopt;
    return read_response();
  }

  /// Returns true iff nothing arrives within `ms` and the connection is still open.
  bool silent_for(int ms) {
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, ms) == 0;
  }

  /// Errno of the last failed read (0 for an orderly EOF).
  int last_errno() const { return errno_; }

 private:
  bool fill() {
    char b[65536];
    const ssize_t n = recv(fd_, b, sizeof b, 0);
    if (n > 0) {
      buf_.append(b, static_cast<size_t>(n));
      return true;
    }
    errno_ = n == 0 ? 0 : errno;
    return false;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
  int errno_ = 0;
};

/// Parses a Retry-After value in any of the forms the fake sends; returns seconds from now.
inline std::optional<double> retry_after_seconds(const std::string& v) {
  if (v.empty()) return std::nullopt;
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (end == v.c_str() + v.size()) return d;
  std::tm tm{};
  const char* p = strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (p == nullptr || *p != '\0') {
    tm = {};
    p = strptime(v.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (p == nullptr || *p != '\0') return std::nullopt;
  }
  return static_cast<double>(timegm(&tm) - std::time(nullptr));
}

inline json stats(int port) {
  Conn c(port);
  const auto r = c.roundtrip(http_request("GET", "/_fake/stats"));
  return r ? json::parse(r->body) : json();
}

inline constexpr const char* kSharedConfig = R"({
  "seed": 7,
  "providers": {
    "github": {"client_id": "cid", "client_secret": "cs"},
    "rfc7009": {"client_id": "rp", "client_secret": "rs"},
    "auth0": {"client_id": "a0", "client_secret": "s0"},
    "zoom": {"rate_limit_per_s": 5, "burst": 5, "limit_style": "retry-after-seconds"},
    "asana": {"rate_limit_per_s": 5, "burst": 5, "limit_style": "retry-after-http-date"},
    "box": {"rate_limit_per_s": 5, "burst": 5, "limit_style": "retry-after-fractional"},
    "linear": {"rate_limit_per_s": 5, "burst": 5, "limit_style": "retry-after-iso"},
    "discord": {"rate_limit_per_s": 5, "burst": 5},
    "github-grant": {"rate_limit_per_s": 5, "burst": 5},
    "okta": {"rate_limit_per_s": 5, "burst": 5, "ietf_headers": "draft"},
    "hubspot": {"rate_limit_per_s": 5, "burst": 5},
    "slack": {"rate_limit_per_s": 1, "burst": 2, "limit_scope": "token-owner"},
    "dropbox": {"down": true},
    "salesforce": {"latency_ms": 150},
    "x": {"timeout_ratio": 1},
    "sentry": {"reset_ratio": 1},
    "vercel": {"error_5xx_ratio": 1}
  }
})";

class FakeProviderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (access(binary().c_str(), X_OK) != 0) return;
    fake_ = new FakeProcess(kSharedConfig);
  }
  static void TearDownTestSuite() {
    delete fake_;
    fake_ = nullptr;
  }
  void SetUp() override {
    if (access(binary().c_str(), X_OK) != 0) GTEST_SKIP() << binary() << " is not built";
    ASSERT_NE(fake_->port(), 0) << "no port announced: '" << fake_->first_line() << "'";
  }
  static int port() { return fake_->port(); }

  /// Sends `n` copies of a request (each from make(i)) pipelined in one write; returns the
  /// responses in order.
  template <typename Make>
  static std::vector<Response> burst(int n, Make make) {
    Conn c(port());
    std::string all;
    for (int i = 0; i < n; ++i) all += make(i);
    EXPECT_TRUE(c.send_raw(all));
    std::vector<Response> out;
    for (int i = 0; i < n; ++i) {
      auto r = c.read_response();
      if (!r) break;
      out.push_back(*r);
    }
    return out;
  }

  inline static FakeProcess* fake_ = nullptr;
};

}  // namespace sever::fake_provider_test

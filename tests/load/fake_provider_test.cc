// Tests of sever-fake-provider as a black box: the binary is started on port 0 with a temporary
// config and spoken to over raw loopback sockets (no HTTP library). Skipped when not built.
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

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string binary() { return std::string(SEVER_BIN_DIR) + "/sever-fake-provider"; }

std::string sha256_hex(const std::string& s) { return sever::crypto::to_hex(sever::crypto::sha256(s)); }

std::string base64(const std::string& in) {
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

std::string basic(const std::string& user, const std::string& pass) {
  return "Basic " + base64(user + ":" + pass);
}

/// Reads everything left in a pipe fd (blocking until EOF).
std::string read_all(int fd) {
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
std::string http_request(const std::string& method, const std::string& path,
                         const std::string& body = "",
                         const std::vector<std::string>& headers = {}) {
  std::string r = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const std::string& h : headers) r += h + "\r\n";
  if (!body.empty() || method == "POST" || method == "DELETE") {
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return r + "\r\n" + body;
}

std::string form_request(const std::string& path, const std::string& form,
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
std::optional<double> retry_after_seconds(const std::string& v) {
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

json stats(int port) {
  Conn c(port);
  const auto r = c.roundtrip(http_request("GET", "/_fake/stats"));
  return r ? json::parse(r->body) : json();
}

constexpr const char* kSharedConfig = R"({
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

  static FakeProcess* fake_;
};
FakeProcess* FakeProviderTest::fake_ = nullptr;

TEST_F(FakeProviderTest, AnnouncesItsPortOnTheFirstLine) {
  EXPECT_EQ(fake_->first_line(), "listening 127.0.0.1:" + std::to_string(port()));
}

TEST_F(FakeProviderTest, GoogleRevokesThenAnswersInvalidToken) {
  Conn c(port());
  auto r = c.roundtrip(form_request("/google/revoke", "token=ya29.google-1"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{}");
  r = c.roundtrip(form_request("/google/revoke", "token=ya29.google-1"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json::parse(r->body)["error"], "invalid_token");
  // The query-string form of the same endpoint reaches the same token state.
  r = c.roundtrip(http_request("POST", "/google/revoke?token=ya29.google-1"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

TEST_F(FakeProviderTest, GithubChecksBasicCredentialsAndAnswers404WhenGone) {
  Conn c(port());
  const std::string body = R"({"access_token":"gho_github1"})";
  const std::vector<std::string> json_ct = {"Content-Type: application/json"};
  auto with_auth = [&](const std::string& auth) {
    std::vector<std::string> h = json_ct;
    h.push_back("Authorization: " + auth);
    return http_request("DELETE", "/github/applications/cid/token", body, h);
  };
  auto r = c.roundtrip(with_auth(basic("cid", "wrong")));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json::parse(r->body)["message"], "Bad credentials");
  r = c.roundtrip(with_auth(basic("cid", "cs")));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_TRUE(r->body.empty());
  r = c.roundtrip(with_auth(basic("cid", "cs")));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = c.roundtrip(http_request("DELETE", "/github/applications/cid/token", body, json_ct));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << "no credentials at all";
}

TEST_F(FakeProviderTest, SlackAnswersOkFalseInvalidAuthWhenGone) {
  Conn c(port());
  const std::vector<std::string> h = {"Authorization: Bearer xoxb-slack-1",
                                      "X-Fake-Account: T-slack-basic"};
  auto r = c.roundtrip(form_request("/slack/api/auth.revoke", "", h));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body), json::parse(R"({"ok":true,"revoked":true})"));
  r = c.roundtrip(form_request("/slack/api/auth.revoke", "", h));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body), json::parse(R"({"ok":false,"error":"invalid_auth"})"));
}

TEST_F(FakeProviderTest, SlackLimitsPerWorkspace) {
  // rate 1/s, burst 2, scope token-owner: each X-Fake-Account has its own bucket.
  auto make = [](const std::string& account, int i) {
    return form_request("/slack/api/auth.revoke", "token=xoxp-ws-" + account + std::to_string(i),
                        {"X-Fake-Account: " + account});
  };
  const auto a = burst(3, [&](int i) { return make("T-A", i); });
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].status, 200);
  EXPECT_EQ(a[1].status, 200);
  EXPECT_EQ(a[2].status, 429);
  EXPECT_EQ(json::parse(a[2].body)["error"], "ratelimited");
  EXPECT_FALSE(a[2].header("retry-after").empty());
  const auto b = burst(1, [&](int i) { return make("T-B", i); });
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].status, 200) << "another workspace has its own bucket";
}

TEST_F(FakeProviderTest, RfcAndBodyCredentialProviders) {
  Conn c(port());
  auto r = c.roundtrip(form_request("/rfc7009/any/path/revoke", "token=rt-1",
                                    {"Authorization: " + basic("rp", "rs")}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.roundtrip(form_request("/rfc7009/any/path/revoke", "token=rt-1",
                               {"Authorization: " + basic("rp", "rs")}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << "RFC 7009: already revoked is 200 too";
  r = c.roundtrip(form_request("/rfc7009/revoke", "token=rt-2",
                               {"Authorization: " + basic("rp", "nope")}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json::parse(r->body)["error"], "invalid_client");
  r = c.roundtrip(http_request("POST", "/auth0/oauth/revoke",
                               R"({"client_id":"a0","client_secret":"bad","token":"rt-3"})",
                               {"Content-Type: application/json"}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = c.roundtrip(http_request("POST", "/auth0/oauth/revoke",
                               R"({"client_id":"a0","client_secret":"s0","token":"rt-3"})",
                               {"Content-Type: application/json"}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

/// Sends 20 pipelined requests to a provider limited to 5/s with burst 5 and returns them.
struct LimitCase {
  const char* name;
  std::string (*make)(int i);
  int limited_status;
};

TEST_F(FakeProviderTest, RateLimitStylesAnswerABurstWithParseableDelays) {
  const LimitCase cases[] = {
      {"zoom", [](int i) { return form_request("/zoom/oauth/revoke", "token=z" + std::to_string(i)); }, 429},
      {"asana", [](int i) { return form_request("/asana/-/oauth_revoke", "token=a" + std::to_string(i)); }, 429},
      {"box", [](int i) { return form_request("/box/oauth2/revoke", "token=b" + std::to_string(i)); }, 429},
      {"linear", [](int i) { return form_request("/linear/oauth/revoke", "token=l" + std::to_string(i)); }, 429},
  };
  for (const LimitCase& lc : cases) {
    SCOPED_TRACE(lc.name);
    const auto rs = burst(20, lc.make);
    ASSERT_EQ(rs.size(), 20u);
    int limited = 0;
    for (const Response& r : rs) {
      if (r.status != lc.limited_status) {
        EXPECT_EQ(r.status, 200);
        continue;
      }
      ++limited;
      const std::optional<double> delay = retry_after_seconds(r.header("retry-after"));
      ASSERT_TRUE(delay) << "Retry-After: '" << r.header("retry-after") << "'";
      EXPECT_GE(*delay, -1.0);
      EXPECT_LE(*delay, 2.0);
    }
    EXPECT_GE(limited, 14);
  }
}

TEST_F(FakeProviderTest, ProviderSpecificLimitSignals) {
  // Discord: 429, delay only in the JSON body and X-RateLimit-Reset-After.
  auto rs = burst(20, [](int i) {
    return form_request("/discord/api/oauth2/token/revoke", "token=d" + std::to_string(i));
  });
  ASSERT_EQ(rs.size(), 20u);
  const Response& d = rs.back();
  EXPECT_EQ(d.status, 429);
  EXPECT_TRUE(d.header("retry-after").empty());
  const json dj = json::parse(d.body);
  EXPECT_GT(dj["retry_after"].get<double>(), 0.0);
  EXPECT_EQ(dj["global"], false);
  EXPECT_GT(std::stod(d.header("x-ratelimit-reset-after")), 0.0);

  // GitHub primary: 403 with x-ratelimit-remaining 0 and an epoch reset in the near future.
  rs = burst(20, [](int i) {
    return http_request("DELETE", "/github-grant/applications/cid/grant",
                        R"({"access_token":"gg)" + std::to_string(i) + R"("})",
                        {"Content-Type: application/json"});
  });
  ASSERT_EQ(rs.size(), 20u);
  EXPECT_EQ(rs.front().status, 204);
  EXPECT_EQ(rs.front().header("x-ratelimit-limit"), "5");
  EXPECT_EQ(rs.back().status, 403);
  EXPECT_EQ(rs.back().header("x-ratelimit-remaining"), "0");
  const long reset = std::stol(rs.back().header("x-ratelimit-reset"));
  EXPECT_GE(reset, static_cast<long>(std::time(nullptr)) - 1);
  EXPECT_LE(reset, static_cast<long>(std::time(nullptr)) + 3);

  // Okta: 429 without Retry-After, X-Rate-Limit-Reset epoch, and the IETF draft fields.
  rs = burst(20, [](int i) {
    return form_request("/okta/oauth2/v1/revoke", "token=o" + std::to_string(i));
  });
  ASSERT_EQ(rs.size(), 20u);
  EXPECT_EQ(rs.front().status, 200);
  EXPECT_EQ(rs.front().header("x-rate-limit-remaining"), "4");
  EXPECT_EQ(rs.front().header("ratelimit-policy"), "\"default\";q=5;w=1");
  EXPECT_EQ(rs.back().status, 429);
  EXPECT_TRUE(rs.back().header("retry-after").empty());
  EXPECT_EQ(rs.back().header("x-rate-limit-remaining"), "0");
  EXPECT_FALSE(rs.back().header("x-rate-limit-reset").empty());
  EXPECT_EQ(rs.back().header("ratelimit").rfind("\"default\";r=0;t=", 0), 0u);

  // HubSpot: 429 with errorType RATE_LIMIT and X-HubSpot-RateLimit-* headers.
  rs = burst(20, [](int i) {
    return http_request("DELETE", "/hubspot/oauth/v1/refresh-tokens/h" + std::to_string(i));
  });
  ASSERT_EQ(rs.size(), 20u);
  EXPECT_EQ(rs.front().status, 204);
  EXPECT_EQ(rs.back().status, 429);
  EXPECT_EQ(json::parse(rs.back().body)["errorType"], "RATE_LIMIT");
  EXPECT_EQ(rs.back().header("x-hubspot-ratelimit-remaining"), "0");
  EXPECT_EQ(rs.back().header("x-hubspot-ratelimit-max"), "5");
}

TEST_F(FakeProviderTest, KeepAliveServesAThousandRequestsOnOneConnection) {
  const uint64_t accepted_before = stats(port())["server"]["accepted"];
  Conn c(port());
  for (int i = 0; i < 1000; ++i) {
    auto r = c.roundtrip(form_request("/google/revoke", "token=ka-" + std::to_string(i)));
    ASSERT_TRUE(r) << "request " << i;
    ASSERT_EQ(r->status, 200) << "request " << i;
  }
  // The stats query itself is one more connection: the thousand used exactly one.
  EXPECT_EQ(stats(port())["server"]["accepted"].get<uint64_t>(), accepted_before + 2);
}

TEST_F(FakeProviderTest, PipelinedAnswersKeepRequestOrderDespiteLatency) {
  const auto start = Clock::now();
  const auto rs = burst(3, [](int i) {
    return i == 1 ? form_request("/google/revoke", "token=pipe-fast")
                  : form_request("/salesforce/services/oauth2/revoke",
                                 "token=pipe-slow-" + std::to_string(i));
  });
  const auto elapsed = Clock::now() - start;
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[0].status, 200);
  EXPECT_TRUE(rs[0].body.empty()) << "salesforce first";
  EXPECT_EQ(rs[1].body, "{}") << "google second, though it was ready first";
  EXPECT_EQ(rs[2].status, 200);
  EXPECT_GE(elapsed, std::chrono::milliseconds(150));
}

TEST_F(FakeProviderTest, DownProviderResetsTheConnection) {
  Conn c(port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send_raw(http_request("POST", "/dropbox/2/auth/token/revoke", "",
                                      {"Authorization: Bearer sl.down-1"})));
  EXPECT_FALSE(c.read_response());
  EXPECT_EQ(c.last_errno(), ECONNRESET);
  EXPECT_GE(stats(port())["providers"]["dropbox"]["refused"].get<int>(), 1);
}

TEST_F(FakeProviderTest, InjectedFaults) {
  {  // reset_ratio 1: RST without an answer.
    Conn c(port());
    ASSERT_TRUE(c.send_raw(form_request("/sentry/oauth/revoke/", "token=s-1")));
    EXPECT_FALSE(c.read_response());
    EXPECT_EQ(c.last_errno(), ECONNRESET);
  }
  {  // timeout_ratio 1: no answer, connection left open.
    Conn c(port());
    ASSERT_TRUE(c.send_raw(form_request("/x/2/oauth2/revoke", "token=x-1")));
    EXPECT_TRUE(c.silent_for(300));
  }
  {  // error_5xx_ratio 1.
    Conn c(port());
    auto r = c.roundtrip(http_request("DELETE", "/vercel/v3/user/tokens/current", "",
                                      {"Authorization: Bearer vc-1"}));
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->status == 500 || r->status == 502 || r->status == 503) << r->status;
  }
  const json s = stats(port())["providers"];
  EXPECT_GE(s["sentry"]["resets"].get<int>(), 1);
  EXPECT_GE(s["x"]["timeouts"].get<int>(), 1);
  EXPECT_GE(s["vercel"]["errors_5xx"].get<int>(), 1);
}

TEST_F(FakeProviderTest, MalformedRequestsGetErrorsNotCrashes) {
  {
    Conn c(port());
    auto r = c.roundtrip("POST /google/revoke HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "5\r\ntoken\r\n0\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 411);
  }
  {
    Conn c(port());
    auto r = c.roundtrip("GARBAGE\r\n\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
  }
  {
    Conn c(port());
    auto r = c.roundtrip(http_request("GET", "/nosuchprovider/revoke"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    r = c.roundtrip(form_request("/google/revoke", ""));  // no token
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
  }
  {
    Conn c(port());
    const std::string big(100 * 1024, 'a');
    auto r = c.roundtrip(form_request("/google/revoke", "token=" + big));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
  }
  Conn c(port());
  auto r = c.roundtrip(form_request("/google/revoke", "token=still-alive"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

/// The request shapes of providers/ENDPOINTS.md, each answered success then already-revoked.
TEST(FakeProviderAdapters, EveryAdapterRevokesThenAnswersItsGoneShape) {
  if (access(binary().c_str(), X_OK) != 0) GTEST_SKIP() << binary() << " is not built";
  FakeProcess fake(R"({"providers":{"*":{"client_id":"C","client_secret":"S"}}})");
  ASSERT_NE(fake.port(), 0);
  const std::string auth = "Authorization: " + basic("C", "S");
  const std::string form = "Content-Type: application/x-www-form-urlencoded";
  const std::string jct = "Content-Type: application/json";
  struct Case {
    std::string name;
    std::string request;
    int ok;
    int gone;
    std::string gone_fragment;
  };
  const std::vector<Case> cases = {
      {"rfc7009", form_request("/rfc7009/revoke", "token=T1&token_type_hint=refresh_token", {auth}), 200, 200, ""},
      {"google", form_request("/google/revoke", "token=T1"), 200, 400, "invalid_token"},
      {"github", http_request("DELETE", "/github/applications/C/token", R"({"access_token":"T1"})", {auth, jct}), 204, 404, "Not Found"},
      {"github-grant", http_request("DELETE", "/github-grant/applications/C/grant", R"({"access_token":"T1"})", {auth, jct}), 204, 404, "Not Found"},
      {"slack", form_request("/slack/api/auth.revoke", "", {"Authorization: Bearer T1"}), 200, 200, "invalid_auth"},
      {"salesforce", form_request("/salesforce/services/oauth2/revoke", "token=T1"), 200, 400, "invalid_token"},
      {"hubspot", http_request("DELETE", "/hubspot/oauth/v1/refresh-tokens/T1"), 204, 404, ""},
      {"dropbox", http_request("POST", "/dropbox/2/auth/token/revoke", "", {"Authorization: Bearer T1"}), 200, 401, "invalid_access_token"},
      {"zoom", form_request("/zoom/oauth/revoke", "token=T1", {auth}), 200, 400, "Invalid Token!"},
      {"okta", form_request("/okta/oauth2/v1/revoke", "token=T1&token_type_hint=access_token", {auth}), 200, 200, ""},
      {"auth0", http_request("POST", "/auth0/oauth/revoke", R"({"client_id":"C","client_secret":"S","token":"T1"})", {jct}), 200, 200, ""},
      {"discord", form_request("/discord/api/oauth2/token/revoke", "token=T1&token_type_hint=access_token", {auth}), 200, 200, ""},
      {"x", form_request("/x/2/oauth2/revoke", "token=T1&token_type_hint=access_token", {auth}), 200, 200, "\"revoked\":true"},
      {"sentry", form_request("/sentry/oauth/revoke/", "token=T1&client_id=C&client_secret=S"), 200, 200, ""},
      {"vercel", http_request("DELETE", "/vercel/v3/user/tokens/current", "", {"Authorization: Bearer T1"}), 200, 401, ""},
      {"linear", http_request("POST", "/linear/oauth/revoke", "", {"Authorization: Bearer T1"}), 200, 400, ""},
      {"asana", form_request("/asana/-/oauth_revoke", "token=T1&client_id=C&client_secret=S"), 200, 400, "invalid_token"},
      {"notion", http_request("POST", "/notion/v1/oauth/revoke", R"({"token":"T1"})", {auth, jct, "Notion-Version: 2022-06-28"}), 200, 400, "invalid_grant"},
      {"box", form_request("/box/oauth2/revoke", "token=T1&client_id=C&client_secret=S"), 200, 400, "invalid_token"},
  };
  Conn c(fake.port());
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    auto r = c.roundtrip(k.request);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, k.ok) << r->body;
    r = c.roundtrip(k.request);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, k.gone) << r->body;
    EXPECT_NE(r->body.find(k.gone_fragment), std::string::npos) << r->body;
  }
  // Every adapter kept its own token state: T1 revoked once at each.
  const json s = stats(fake.port())["providers"];
  for (const Case& k : cases) EXPECT_EQ(s[k.name]["revoked"], 1) << k.name;
}

TEST(FakeProviderProcess, RecordFileOnSigtermListsHashesNeverTokens) {
  if (access(binary().c_str(), X_OK) != 0) GTEST_SKIP() << binary() << " is not built";
  FakeProcess fake("{}");
  ASSERT_NE(fake.port(), 0);
  {
    Conn c(fake.port());
    for (const char* t : {"rec-token-a", "rec-token-b", "rec-token-a"}) {
      ASSERT_TRUE(c.roundtrip(form_request("/google/revoke", std::string("token=") + t)));
    }
    ASSERT_TRUE(c.roundtrip(http_request("POST", "/dropbox/2/auth/token/revoke", "",
                                         {"Authorization: Bearer rec-token-c"})));
    // GET /_fake/record serves the same lines the file will hold.
    auto r = c.roundtrip(http_request("GET", "/_fake/record"));
    ASSERT_TRUE(r);
    EXPECT_EQ(std::count(r->body.begin(), r->body.end(), '\n'), 3);
  }
  ASSERT_EQ(fake.terminate(), 0) << fake.err();
  std::ifstream in(fake.record_path());
  ASSERT_TRUE(in) << fake.record_path();
  std::map<std::string, json> by_hash;
  std::string text, line;
  while (std::getline(in, line)) {
    text += line + "\n";
    const json j = json::parse(line);
    by_hash[j["token_sha256"].get<std::string>()] = j;
  }
  ASSERT_EQ(by_hash.size(), 3u) << text;
  EXPECT_EQ(text.find("rec-token"), std::string::npos) << "plaintext token in the record";
  const json& a = by_hash[sha256_hex("rec-token-a")];
  EXPECT_EQ(a["provider"], "google");
  EXPECT_EQ(a["attempts"], 2);
  EXPECT_EQ(a["revoked"], true);
  EXPECT_EQ(a["limited"], 0);
  EXPECT_GT(a["first_revoked_ms"].get<int64_t>(), 1700000000000);
  EXPECT_EQ(by_hash[sha256_hex("rec-token-b")]["attempts"], 1);
  EXPECT_EQ(by_hash[sha256_hex("rec-token-c")]["provider"], "dropbox");
}

TEST(FakeProviderProcess, FlushWritesTheRecordWhileRunning) {
  if (access(binary().c_str(), X_OK) != 0) GTEST_SKIP() << binary() << " is not built";
  FakeProcess fake("");
  ASSERT_NE(fake.port(), 0);
  Conn c(fake.port());
  ASSERT_TRUE(c.roundtrip(form_request("/box/oauth2/revoke", "token=flush-1")));
  auto r = c.roundtrip(http_request("POST", "/_fake/flush"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["written"], 1);
  std::ifstream in(fake.record_path());
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(json::parse(line)["token_sha256"], sha256_hex("flush-1"));
}

TEST(FakeProviderProcess, SameSeedSameFaults) {
  if (access(binary().c_str(), X_OK) != 0) GTEST_SKIP() << binary() << " is not built";
  const std::string cfg = R"({"providers":{"google":{"error_5xx_ratio":0.5}}})";
  auto run = [&](const char* seed) {
    FakeProcess fake(cfg, {"--seed", seed});
    std::string statuses;
    Conn c(fake.port());
    for (int i = 0; i < 40; ++i) {
      auto r = c.roundtrip(form_request("/google/revoke", "token=seeded-" + std::to_string(i)));
      statuses += r ? std::to_string(r->status) + " " : "none ";
    }
    return statuses;
  };
  const std::string a = run("11");
  EXPECT_EQ(a, run("11"));
  EXPECT_NE(a, run("12"));
  EXPECT_NE(a.find("200"), std::string::npos);
  EXPECT_NE(a.find("50"), std::string::npos);
}

TEST(FakeProviderProcess, TwoLoopsShareOneTokenState) {
  if (access(binary().c_str(), X_OK) != 0) GTEST_SKIP() << binary() << " is not built";
  FakeProcess fake("", {"--threads", "2"});
  ASSERT_NE(fake.port(), 0);
  // Four connections revoke the same 200 tokens concurrently: each token is revoked exactly
  // once, whichever loop served the request.
  std::vector<std::thread> clients;
  std::atomic<int> ok{0}, gone{0};
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      Conn c(fake.port());
      for (int i = 0; i < 200; ++i) {
        auto r = c.roundtrip(form_request("/google/revoke", "token=mt-" + std::to_string(i)));
        if (r && r->status == 200) ++ok;
        if (r && r->status == 400) ++gone;
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(gone.load(), 600);
  EXPECT_EQ(stats(fake.port())["providers"]["google"]["revoked"], 200);
}

TEST(FakeProviderProcess, MaxSecondsStopsIt) {
  if (access(binary().c_str(), X_OK) != 0) GTEST_SKIP() << binary() << " is not built";
  const auto start = Clock::now();
  FakeProcess fake("", {"--max-seconds", "0.5"});
  ASSERT_NE(fake.port(), 0);
  EXPECT_EQ(fake.wait_exit(std::chrono::seconds(5)), 0);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
}

TEST(FakeProviderProcess, RefusesNonLoopbackAndBadConfig) {
  if (access(binary().c_str(), X_OK) != 0) GTEST_SKIP() << binary() << " is not built";
  for (const char* addr : {"0.0.0.0:0", "10.1.2.3:0", "[::]:0", "example.com:80"}) {
    FakeProcess fake("", {}, addr);
    EXPECT_EQ(fake.port(), 0);
    EXPECT_EQ(fake.wait_exit(std::chrono::seconds(5)), 2) << addr;
    EXPECT_NE(fake.err().find("loopback"), std::string::npos) << fake.err();
  }
  const std::pair<const char*, const char*> bad[] = {
      {R"({"providers":{"google":{"burst":-1}}})", "providers.google.burst"},
      {R"({"providers":{"google":{"limit_style":"smoke-signals"}}})", "providers.google.limit_style"},
      {R"({"providers":{"nosuch":{}}})", "providers.nosuch"},
      {R"({"providers":{"google":{"reset_ratio":0.7,"timeout_ratio":0.7}}})", "providers.google"},
      {R"({"providers":{"*":{"latency_msec":1}}})", "providers.*.latency_msec"},
      {R"({"seed":"x"})", "seed"},
      {"not json", "JSON"},
  };
  for (const auto& [cfg, field] : bad) {
    FakeProcess fake(cfg);
    EXPECT_EQ(fake.wait_exit(std::chrono::seconds(5)), 2) << cfg;
    EXPECT_NE(fake.err().find(field), std::string::npos) << fake.err();
  }
}

}  // namespace

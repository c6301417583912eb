// Integration-test support (header-only): `sever-fake-provider` as a child process, a child
// process left running in the background, and the providers file that points sever's adapters
// at the fake.
//
//   FakeProvider fake(dir, config);       // --listen 127.0.0.1:0 --config dir/fake-N.json
//   fake.port(); fake.stats(); fake.get_record();   // GET /_fake/stats, GET /_fake/record
//   write_providers_file(path, fake, {{"gmail", {}}, {"github", {{"max_attempts", 3}}}});
//
//   Background child(argv, options, dir);  // stdout and stderr go to files in dir
//   child.wait_for(timeout) / child.kill(SIGKILL) / child.out() / child.err()
//
// The fake exits by itself after --max-seconds 120, so a crashed test leaves nothing running.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>

#include "integration/harness.h"

namespace sever::itest {

/// Returns the lowercase hex SHA-256 of `data` (how the fake provider records tokens).
inline std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) return "";
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

/// A child process left running: stdout and stderr go to files; waited for, or killed, later.
/// The destructor kills (SIGKILL) and reaps a child still running.
class Background {
 public:
  Background(const std::vector<std::string>& argv, const RunOptions& o, const std::string& dir,
             const std::string& name) {
    static int serial = 0;
    const std::string base = dir + "/" + name + "-" + std::to_string(++serial);
    out_path_ = base + ".out";
    err_path_ = base + ".err";
    for (const auto& a : argv) command_ += (command_.empty() ? "" : " ") + a;
    detail::ExecVectors exec(argv, o);
    int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || err < 0 || in < 0) return;
    ::signal(SIGPIPE, SIG_IGN);
    pid_t pid = ::fork();
    if (pid == 0) {  // child: async-signal-safe calls only
      ::dup2(in, 0);
      ::dup2(out, 1);
      ::dup2(err, 2);
      ::signal(SIGPIPE, SIG_DFL);
      ::execve(exec.args()[0], exec.args(), exec.envp());
      ::_exit(127);
    }
    ::close(out);
    ::close(err);
    ::close(in);
    if (pid > 0) pid_ = pid;
  }
  ~Background() {
    if (pid_ > 0 && !code_) {
      ::kill(pid_, SIGKILL);
      reap(true);
    }
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  /// Returns the exit code (128 + signal when killed) once it ended; nullopt while it runs.
  std::optional<int> poll() {
    if (!code_ && pid_ > 0) reap(false);
    return code_;
  }
  /// Waits up to `timeout` for the end; kills it (SIGKILL) after that. Returns the result.
  RunResult wait_for(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool timed_out = false;
    while (!poll()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        timed_out = true;
        ::kill(pid_, SIGKILL);
        reap(true);
        break;
      }
      ::usleep(10000);
    }
    RunResult r;
    r.code = code_.value_or(-1);
    r.out = out();
    r.err = err();
    r.timed_out = timed_out;
    r.command = command_;
    return r;
  }
  /// Sends a signal (only to this child, by its pid).
  void kill(int sig) {
    if (pid_ > 0 && !code_) ::kill(pid_, sig);
  }
  std::string out() const { return read_file(out_path_).value_or(""); }
  std::string err() const { return read_file(err_path_).value_or(""); }
  const std::string& command() const { return command_; }

 private:
  void reap(bool block) {
    int st = 0;
    pid_t r;
    do {
      r = ::waitpid(pid_, &st, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r != pid_) return;
    if (WIFEXITED(st)) code_ = WEXITSTATUS(st);
    else if (WIFSIGNALED(st)) code_ = 128 + WTERMSIG(st);
    else code_ = -1;
  }

  pid_t pid_ = -1;
  std::optional<int> code_;
  std::string out_path_, err_path_, command_;
};

/// A minimal HTTP/1.1 exchange with 127.0.0.1:port (Connection: close). Returns {status, body};
/// status 0 when the exchange failed (the body then says why).
inline std::pair<int, std::string> http_request(uint16_t port, const std::string& method,
                                                const std::string& path, int timeout_ms = 5000) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {0, std::string("socket: ") + std::strerror(errno)};
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::string why = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return {0, why};
  }
  const std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                          std::to_string(port) +
                          "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  size_t off = 0;
  while (off < req.size()) {
    ssize_t k = ::send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      ::close(fd);
      return {0, "send failed"};
    }
    off += static_cast<size_t>(k);
  }
  std::string resp;
  char buf[65536];
  size_t body_at = std::string::npos, want = std::string::npos;
  for (;;) {
    ssize_t k = ::recv(fd, buf, sizeof buf, 0);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) break;
    resp.append(buf, static_cast<size_t>(k));
    if (body_at == std::string::npos) {
      size_t end = resp.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      body_at = end + 4;
      std::string head = resp.substr(0, end);
      std::transform(head.begin(), head.end(), head.begin(), ::tolower);
      size_t cl = head.find("\r\ncontent-length:");
      if (cl != std::string::npos) want = std::stoull(head.substr(cl + 17));
    }
    if (want != std::string::npos && resp.size() - body_at >= want) break;
  }
  ::close(fd);
  if (body_at == std::string::npos || resp.compare(0, 5, "HTTP/") != 0) {
    return {0, "no HTTP answer: " + resp.substr(0, 200)};
  }
  int status = std::atoi(resp.c_str() + resp.find(' ') + 1);
  std::string body = resp.substr(body_at);
  if (want != std::string::npos && body.size() > want) body.resize(want);
  return {status, body};
}

/// `sever-fake-provider` on a free loopback port, with a config; SIGTERMed when destroyed.
class FakeProvider {
 public:
  /// Starts the fake with `config` (the fake's JSON config) written into `dir`. Check ok().
  FakeProvider(const std::string& dir, const json& config) {
    static int serial = 0;
    const std::string n = std::to_string(++serial);
    config_path_ = dir + "/fake-" + n + ".json";
    record_path_ = dir + "/fake-" + n + ".record.jsonl";
    {
      std::ofstream f(config_path_);
      f << config.dump(2);
    }
    child_ = std::make_unique<Background>(
        std::vector<std::string>{bin_path("sever-fake-provider"), "--listen", "127.0.0.1:0",
                                 "--config", config_path_, "--record", record_path_,
                                 "--max-seconds", "120"},
        RunOptions{}, dir, "fake-provider");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string out = child_->out();
      const size_t nl = out.find('\n');
      if (nl != std::string::npos) {
        const std::string line = out.substr(0, nl);
        const std::string prefix = "listening 127.0.0.1:";
        if (line.compare(0, prefix.size(), prefix) == 0) {
          port_ = static_cast<uint16_t>(std::atoi(line.c_str() + prefix.size()));
        }
        error_ = port_ == 0 ? "unexpected first line: " + line : "";
        return;
      }
      if (child_->poll()) break;
      ::usleep(5000);
    }
    error_ = "the fake provider did not start: exit " +
             std::to_string(child_->poll().value_or(-1)) + "\nstderr:\n" + child_->err();
  }
  ~FakeProvider() {
    if (child_ && !child_->poll()) {
      child_->kill(SIGTERM);
      child_->wait_for(std::chrono::seconds(5));
    }
  }

  /// Returns "" once listening, else why not.
  const std::string& error() const { return error_; }
  bool ok() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  /// Returns http://127.0.0.1:PORT/<adapter>.
  std::string base_url(const std::string& adapter) const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + adapter;
  }

  /// GET /_fake/stats, parsed ({"server":{..},"providers":{"google":{..},..}}); null on failure.
  json stats() const {
    auto [status, body] = http_request(port_, "GET", "/_fake/stats");
    if (status != 200) {
      ADD_FAILURE() << "GET /_fake/stats: " << status << " " << body;
      return json();
    }
    return parse_json(body, "/_fake/stats");
  }
  /// Returns one provider's counter from stats() (0 when the provider saw no request).
  static uint64_t counter(const json& stats, const std::string& provider, const std::string& key) {
    if (!stats.is_object() || !stats.contains("providers")) return 0;
    const json& p = stats["providers"];
    if (!p.contains(provider) || !p[provider].contains(key)) return 0;
    return p[provider][key].get<uint64_t>();
  }
  /// Returns the sum of a counter over every provider.
  static uint64_t total(const json& stats, const std::string& key) {
    uint64_t n = 0;
    if (!stats.is_object() || !stats.contains("providers")) return 0;
    for (const auto& [name, p] : stats["providers"].items()) n += p.value(key, uint64_t{0});
    return n;
  }

  /// GET /_fake/record: token_sha256 → its record {"provider","attempts","revoked","limited",
  /// "already_gone","first_revoked_ms"}.
  std::map<std::string, json> get_record() const {
    std::map<std::string, json> out;
    auto [status, body] = http_request(port_, "GET", "/_fake/record", 15000);
    if (status != 200) {
      ADD_FAILURE() << "GET /_fake/record: " << status << " " << body.substr(0, 500);
      return out;
    }
    std::istringstream in(body);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      json j = parse_json(line, "a /_fake/record line");
      if (!j.is_object()) continue;
      const std::string sha = j.value("token_sha256", std::string());
      if (out.count(sha)) ADD_FAILURE() << "token recorded twice: " << line;
      out[sha] = j;
    }
    return out;
  }

  const std::string& record_path() const { return record_path_; }
  std::string err() const { return child_ ? child_->err() : ""; }

 private:
  std::unique_ptr<Background> child_;
  std::string config_path_, record_path_, error_;
  uint16_t port_ = 0;
};

/// The adapter sever uses for a tool in these tests (the providers file's "adapter").
inline std::string adapter_of_tool(const std::string& tool) {
  static const std::map<std::string, std::string> kAdapters = {
      {"gmail", "google"}, {"github", "github"}, {"slack", "slack"},
      {"dropbox", "dropbox"}, {"hubspot", "hubspot"}};
  auto it = kAdapters.find(tool);
  return it == kAdapters.end() ? tool : it->second;
}

/// The GitHub OAuth client both the fake and the providers file use; its secret is passed to
/// sever in this environment variable (never inline).
inline constexpr const char* kGithubClientId = "Iv1.severitest";
inline constexpr const char* kGithubSecretEnv = "SEVER_ITEST_GH_SECRET";
inline constexpr const char* kGithubSecret = "itest-github-client-secret";

/// Writes a providers file pointing each listed tool at the fake: adapter, base_url, a fast
/// rate (1000/s, 32 at once) and, for github, the client; `extra` fields override per tool.
inline void write_providers_file(const std::string& path, const FakeProvider& fake,
                                 const std::map<std::string, json>& tools) {
  json providers = json::object();
  for (const auto& [tool, extra] : tools) {
    const std::string adapter = adapter_of_tool(tool);
    json e = {{"adapter", adapter}, {"base_url", fake.base_url(adapter)},
              {"rate_limit_per_s", 1000}, {"max_concurrency", 32}};
    if (adapter == "github") {
      e["client_id"] = kGithubClientId;
      e["client_secret_env"] = kGithubSecretEnv;
    }
    if (extra.is_object()) e.update(extra);
    providers[tool] = e;
  }
  write_file(path, json{{"providers", providers}}.dump(2));
}

}  // namespace sever::itest

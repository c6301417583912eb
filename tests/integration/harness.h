// Integration-test harness (header-only): runs the real `sever` binary as a child process in a
// fresh temporary directory per test, and inspects what it leaves on disk.
//
//   sever::itest::CliTest fixture: tmp() is a fresh directory (removed afterwards), store() a
//   Cli bound to tmp()/data with the default key source (tmp()/data.key).
//   Cli::run({"inventory", "--count"}) → RunResult{code, out, err, timed_out}.
//
// The child inherits the test's environment except SEVER_DATA, SEVER_KEY_SOURCE and
// SEVER_OPERATOR, which are removed so that only the flags a test passes decide; RunOptions::env
// adds or removes variables per run.
//
// Also here: DirSnapshot (every file's bytes, size, mode and mtime, to prove nothing was
// written), Cred/jsonl (import lines), RawDb (the store's RocksDB opened directly, with the
// "sever.u64add" merge operator its dek_counters column family needs; only while no sever
// process runs) and index_problems (by_tool/by_user entries compared with the records).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>

extern char** environ;

#ifndef SEVER_BIN_DIR
#error "SEVER_BIN_DIR must name the directory of the built sever binaries"
#endif

#include "support/temp_dir.h"

namespace sever::itest {

namespace fs = std::filesystem;
using nlohmann::json;

// ------------------------------------------------------------------------------------------
// Child processes

/// What a child process did.
struct RunResult {
  int code = -1;           // exit status; 128 + signal when killed by a signal; -1: not run
  std::string out;         // everything it wrote to stdout
  std::string err;         // everything it wrote to stderr
  bool timed_out = false;  // killed by the harness after RunOptions::timeout
  std::string command;     // the argv, joined, for messages

  /// Returns a description for assertion messages.
  std::string describe() const {
    std::string s = "command: " + command + "\nexit: " + std::to_string(code) +
                    (timed_out ? " (TIMED OUT, killed)" : "") + "\n";
    auto clip = [](const std::string& x) {
      return x.size() <= 4000 ? x : x.substr(0, 4000) + "\n…(" + std::to_string(x.size()) +
                                        " bytes)";
    };
    s += "stdout:\n" + clip(out) + "\nstderr:\n" + clip(err) + "\n";
    return s;
  }
};

/// How to run a child process.
struct RunOptions {
  std::optional<std::string> stdin_data;  // nullopt: stdin is /dev/null
  /// Environment changes: name → value, or nullopt to remove the variable.
  std::vector<std::pair<std::string, std::optional<std::string>>> env;
  std::chrono::milliseconds timeout{30000};
  std::string cwd;  // empty: the test's working directory
};

namespace detail {

inline void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

inline std::vector<std::string> child_environment(const RunOptions& o) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const char* name : {"SEVER_DATA", "SEVER_KEY_SOURCE", "SEVER_OPERATOR"}) env.erase(name);
  for (const auto& [k, v] : o.env) {
    if (v) env[k] = *v;
    else env.erase(k);
  }
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

/// The argv and envp arrays of a child, prepared before fork (no allocation after it). Not
/// movable: the char pointers point into its own strings.
class ExecVectors {
 public:
  ExecVectors(const std::vector<std::string>& argv, const RunOptions& o)
      : env_strings_(child_environment(o)), arg_strings_(argv) {
    for (auto& s : env_strings_) envp_.push_back(s.data());
    envp_.push_back(nullptr);
    for (auto& s : arg_strings_) args_.push_back(s.data());
    args_.push_back(nullptr);
  }
  ExecVectors(const ExecVectors&) = delete;
  ExecVectors& operator=(const ExecVectors&) = delete;
  char** args() { return args_.data(); }
  char** envp() { return envp_.data(); }

 private:
  std::vector<std::string> env_strings_, arg_strings_;
  std::vector<char*> envp_, args_;
};

}  // namespace detail

/// Runs argv[0] (a path) with the arguments; captures stdout and stderr separately, feeds
/// stdin_data, kills the child with SIGKILL after the timeout. Never throws.
inline RunResult run_process(const std::vector<std::string>& argv, const RunOptions& o = {}) {
  RunResult r;
  for (const auto& a : argv) r.command += (r.command.empty() ? "" : " ") + a;
  ::signal(SIGPIPE, SIG_IGN);  // a child that exits early must not kill the test with SIGPIPE

  // Everything the child needs is prepared before fork: no allocation after it.
  detail::ExecVectors exec(argv, o);

  int in_pipe[2] = {-1, -1}, out_pipe[2], err_pipe[2], exec_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    r.err = std::string("harness: pipe failed: ") + std::strerror(errno);
    return r;
  }
  int devnull = -1;
  if (o.stdin_data) {
    if (::pipe2(in_pipe, O_CLOEXEC) != 0) {
      r.err = std::string("harness: pipe failed: ") + std::strerror(errno);
      return r;
    }
  } else {
    devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  const char* cwd = o.cwd.empty() ? nullptr : o.cwd.c_str();

  pid_t pid = ::fork();
  if (pid < 0) {
    r.err = std::string("harness: fork failed: ") + std::strerror(errno);
    return r;
  }
  if (pid == 0) {  // child: async-signal-safe calls only
    ::dup2(o.stdin_data ? in_pipe[0] : devnull, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::signal(SIGPIPE, SIG_DFL);
    int err = 0;
    if (cwd != nullptr && ::chdir(cwd) != 0) {
      err = errno;
    } else {
      ::execve(exec.args()[0], exec.args(), exec.envp());
      err = errno;
    }
    ssize_t ignored = ::write(exec_pipe[1], &err, sizeof err);
    (void)ignored;
    ::_exit(127);
  }

  // parent
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ::close(exec_pipe[1]);
  if (o.stdin_data) ::close(in_pipe[0]);
  if (devnull >= 0) ::close(devnull);

  int exec_errno = 0;
  ssize_t n = ::read(exec_pipe[0], &exec_errno, sizeof exec_errno);  // EOF once exec succeeds
  ::close(exec_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    int st;
    ::waitpid(pid, &st, 0);
    if (o.stdin_data) ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    r.err = "harness: cannot execute " + argv[0] + ": " + std::strerror(exec_errno);
    return r;
  }

  int in_fd = o.stdin_data ? in_pipe[1] : -1;
  size_t in_off = 0;
  if (in_fd >= 0) {
    detail::set_nonblocking(in_fd);
    if (o.stdin_data->empty()) {
      ::close(in_fd);
      in_fd = -1;
    }
  }
  int out_fd = out_pipe[0], err_fd = err_pipe[0];
  detail::set_nonblocking(out_fd);
  detail::set_nonblocking(err_fd);
  const auto deadline = std::chrono::steady_clock::now() + o.timeout;
  char buf[65536];
  while (out_fd >= 0 || err_fd >= 0 || in_fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd fds[3];
    int nfds = 0;
    int idx_out = -1, idx_err = -1, idx_in = -1;
    if (out_fd >= 0) { idx_out = nfds; fds[nfds++] = {out_fd, POLLIN, 0}; }
    if (err_fd >= 0) { idx_err = nfds; fds[nfds++] = {err_fd, POLLIN, 0}; }
    if (in_fd >= 0) { idx_in = nfds; fds[nfds++] = {in_fd, POLLOUT, 0}; }
    int pr = ::poll(fds, nfds, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (pr < 0) {
      if (errno == EINTR) continue;
      break;
    }
    auto drain = [&](int& fd, int idx, std::string& sink) {
      if (idx < 0 || fds[idx].revents == 0) return;
      for (;;) {
        ssize_t k = ::read(fd, buf, sizeof buf);
        if (k > 0) { sink.append(buf, static_cast<size_t>(k)); continue; }
        if (k < 0 && (errno == EAGAIN || errno == EINTR)) return;
        ::close(fd);  // EOF or error
        fd = -1;
        return;
      }
    };
    drain(out_fd, idx_out, r.out);
    drain(err_fd, idx_err, r.err);
    if (idx_in >= 0 && fds[idx_in].revents != 0) {
      const std::string& data = *o.stdin_data;
      ssize_t k = ::write(in_fd, data.data() + in_off, data.size() - in_off);
      if (k > 0) in_off += static_cast<size_t>(k);
      if ((k < 0 && errno != EAGAIN && errno != EINTR) || in_off >= data.size()) {
        ::close(in_fd);  // done, or the child closed its stdin (EPIPE)
        in_fd = -1;
      }
    }
  }
  if (in_fd >= 0) ::close(in_fd);
  if (out_fd >= 0) ::close(out_fd);
  if (err_fd >= 0) ::close(err_fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) r.code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) r.code = 128 + WTERMSIG(status);
  return r;
}

// ------------------------------------------------------------------------------------------
// Files

/// Returns SEVER_BIN_DIR/name.
inline std::string bin_path(const std::string& name) { return std::string(SEVER_BIN_DIR) + "/" + name; }

/// Returns a file's bytes, or nullopt if it cannot be read.
inline std::optional<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Writes bytes to a file (truncating), with the given mode.
inline void write_file(const fs::path& p, const std::string& content, mode_t mode = 0644) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  ASSERT_TRUE(out.good()) << "cannot write " << p;
  ::chmod(p.c_str(), mode);
}

/// Returns the permission bits of a path, or -1.
inline int file_mode(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

/// A fresh private temporary directory, removed (recursively) when destroyed.
class TempDir : public sever::testing::TempDir {
 public:
  explicit TempDir(const std::string& prefix = "sever-itest-") : sever::testing::TempDir(prefix) {}
};

/// One file's state in a directory snapshot.
struct FileState {
  bool is_dir = false;
  uintmax_t size = 0;
  int64_t mtime_ns = 0;
  int mode = 0;
  std::string content;  // regular files: every byte
  bool operator==(const FileState&) const = default;
};

/// Every entry under a directory (recursively), by relative path, with its bytes.
using DirSnapshot = std::map<std::string, FileState>;

inline DirSnapshot snapshot_dir(const fs::path& dir) {
  DirSnapshot snap;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    FileState f;
    f.is_dir = S_ISDIR(st.st_mode);
    f.size = static_cast<uintmax_t>(st.st_size);
    f.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    f.mode = static_cast<int>(st.st_mode & 07777);
    if (S_ISREG(st.st_mode)) f.content = read_file(it->path()).value_or("<unreadable>");
    if (f.is_dir) f.size = 0;  // a directory's size says nothing about its entries
    snap[fs::relative(it->path(), dir).string()] = std::move(f);
  }
  return snap;
}

/// Describes how two snapshots differ ("" when equal).
inline std::string diff_snapshots(const DirSnapshot& before, const DirSnapshot& after) {
  std::string d;
  for (const auto& [p, f] : before) {
    auto it = after.find(p);
    if (it == after.end()) {
      d += "removed: " + p + "\n";
      continue;
    }
    const FileState& g = it->second;
    if (f.size != g.size) d += "size changed: " + p + " " + std::to_string(f.size) + " -> " +
                               std::to_string(g.size) + "\n";
    else if (f.content != g.content) d += "content changed: " + p + "\n";
    if (f.mtime_ns != g.mtime_ns) d += "mtime changed: " + p + "\n";
    if (f.mode != g.mode) d += "mode changed: " + p + "\n";
  }
  for (const auto& [p, g] : after) {
    if (!before.count(p)) d += "added: " + p + " (" + std::to_string(g.size) + " bytes)\n";
  }
  return d;
}

/// Lists every regular file under a directory (recursively).
inline std::vector<fs::path> files_under(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file()) out.push_back(it->path());
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// Credentials and JSONL

/// Formats Unix seconds as RFC 3339 UTC ("2026-01-02T03:04:05Z").
inline std::string rfc3339(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  ::gmtime_r(&tt, &tm);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return b;
}

/// Returns the current Unix time.
inline int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// One credential as an import line is built from.
struct Cred {
  std::string tenant, id, tool, kind = "oauth_access", secret;
  std::vector<std::string> scopes;
  std::optional<std::string> user;
  std::string created_at = "2026-01-02T03:04:05Z";
  std::optional<std::string> last_used_at, expires_at;
  std::optional<std::string> client;

  Cred() = default;
  Cred(std::string tenant_, std::string id_, std::string tool_, std::string kind_,
       std::string secret_, std::vector<std::string> scopes_ = {},
       std::optional<std::string> user_ = std::nullopt,
       std::string created_at_ = "2026-01-02T03:04:05Z",
       std::optional<std::string> last_used_at_ = std::nullopt,
       std::optional<std::string> expires_at_ = std::nullopt,
       std::optional<std::string> client_ = std::nullopt)
      : tenant(std::move(tenant_)), id(std::move(id_)), tool(std::move(tool_)),
        kind(std::move(kind_)), secret(std::move(secret_)), scopes(std::move(scopes_)),
        user(std::move(user_)), created_at(std::move(created_at_)),
        last_used_at(std::move(last_used_at_)), expires_at(std::move(expires_at_)),
        client(std::move(client_)) {}

  json to_json() const {
    json j = {{"tenant", tenant}, {"id", id}, {"tool", tool}, {"kind", kind},
              {"secret", secret}, {"scopes", scopes}, {"created_at", created_at}};
    j["user"] = user ? json(*user) : json(nullptr);
    j["last_used_at"] = last_used_at ? json(*last_used_at) : json(nullptr);
    j["expires_at"] = expires_at ? json(*expires_at) : json(nullptr);
    if (client) j["client"] = *client;
    return j;
  }
  /// The import line (no newline).
  std::string line() const { return to_json().dump(); }
};

/// Joins import lines, each followed by '\n'.
inline std::string jsonl(const std::vector<Cred>& creds) {
  std::string s;
  for (const auto& c : creds) s += c.line() + "\n";
  return s;
}

/// Returns a random string of `n` characters from [A-Za-z0-9].
inline std::string random_token(std::mt19937_64& rng, size_t n) {
  static const char kAlpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::uniform_int_distribution<size_t> d(0, sizeof kAlpha - 2);
  std::string s(n, ' ');
  for (auto& ch : s) ch = kAlpha[d(rng)];
  return s;
}

/// Parses JSON, recording a test failure (and returning null) when it does not parse.
inline json parse_json(const std::string& text, const std::string& what = "output") {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) ADD_FAILURE() << what << " is not valid JSON:\n" << text.substr(0, 2000);
  return j;
}

// ------------------------------------------------------------------------------------------
// The store's database, directly

// The DEK counters' merge operator: the store refuses to open a column family that has merge
// operands without one of the same name.
class U64Add : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger*) const override {
    auto le = [](const rocksdb::Slice& s) {
      uint64_t x = 0;
      if (s.size() == 8) std::memcpy(&x, s.data(), 8);
      return x;
    };
    uint64_t sum = (existing ? le(*existing) : 0) + le(value);
    new_value->assign(reinterpret_cast<const char*>(&sum), 8);
    return true;
  }
  const char* Name() const override { return "sever.u64add"; }
};

// The store's RocksDB opened directly with every column family: for tampering, and for
// checking the indexes against the records. Only while no sever process runs.
class RawDb {
 public:
  explicit RawDb(const std::string& dir, bool read_only = false) {
    std::vector<std::string> names;
    status_ = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names);
    if (!status_.ok()) return;
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (const auto& n : names) {
      rocksdb::ColumnFamilyOptions o;
      o.compression = rocksdb::kNoCompression;
      if (n == "dek_counters") o.merge_operator = std::make_shared<U64Add>();
      descs.emplace_back(n, o);
    }
    rocksdb::DB* db = nullptr;
    status_ = read_only
                  ? rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), dir, descs, &handles_, &db)
                  : rocksdb::DB::Open(rocksdb::DBOptions(), dir, descs, &handles_, &db);
    db_.reset(db);
    names_ = names;
  }
  ~RawDb() { Close(); }
  void Close() {
    if (!db_) return;
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    handles_.clear();
    db_->Close();
    db_.reset();
  }
  const rocksdb::Status& status() const { return status_; }
  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf(const std::string& name) {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return handles_[i];
    }
    return nullptr;
  }

 private:
  rocksdb::Status status_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<std::string> names_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

/// Returns every key of a column family, as (part, part, part) split at NULs.
inline std::set<std::vector<std::string>> raw_keys(RawDb& db, const std::string& cf) {
  std::set<std::vector<std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(db.db()->NewIterator(rocksdb::ReadOptions(), db.cf(cf)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::vector<std::string> parts(1);
    for (char ch : it->key().ToStringView()) {
      if (ch == '\0') parts.emplace_back();
      else parts.back().push_back(ch);
    }
    out.insert(parts);
  }
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return out;
}

/// Compares the store's by_tool and by_user index column families, read directly, with the
/// records as `inventory --format json` lists them (a full scan of the records). Returns the
/// differences ("" when every record has exactly its index entries and no entry is stale).
inline std::string index_problems(const std::string& data_dir, const json& records) {
  std::set<std::vector<std::string>> want_tool, want_user;
  for (const auto& r : records) {
    const std::string t = r["tenant"], id = r["id"], tool = r["tool"];
    want_tool.insert({tool, t, id});
    if (r["user"].is_string() && !r["user"].get<std::string>().empty()) {
      want_user.insert({t, r["user"].get<std::string>(), id});
    }
  }
  RawDb db(data_dir, true);
  if (!db.status().ok()) return "cannot open " + data_dir + ": " + db.status().ToString();
  if (!db.cf("by_tool") || !db.cf("by_user")) return "no by_tool or by_user column family";
  std::string problems;
  auto compare = [&](const char* cf, const std::set<std::vector<std::string>>& want) {
    auto have = raw_keys(db, cf);
    auto show = [](const std::vector<std::string>& k) {
      std::string s;
      for (const auto& p : k) s += (s.empty() ? "" : "\\0") + p;
      return s;
    };
    size_t shown = 0;
    for (const auto& k : have) {
      if (!want.count(k) && shown++ < 10) problems += std::string(cf) + " stale: " + show(k) + "\n";
    }
    for (const auto& k : want) {
      if (!have.count(k) && shown++ < 10) problems += std::string(cf) + " missing: " + show(k) + "\n";
    }
    if (have.size() != want.size()) {
      problems += std::string(cf) + ": " + std::to_string(have.size()) + " entries for " +
                  std::to_string(want.size()) + " records\n";
    }
  };
  compare("by_tool", want_tool);
  compare("by_user", want_user);
  return problems;
}

// ------------------------------------------------------------------------------------------
// The sever CLI

/// The `sever` binary bound to a data directory and, optionally, a --key-source spec.
struct Cli {
  std::string data;
  std::optional<std::string> key_source;  // nullopt: the default (file:DATA.key)

  std::string key_file() const { return data + ".key"; }

  std::vector<std::string> argv(const std::vector<std::string>& args) const {
    std::vector<std::string> a = {bin_path("sever"), "--data", data};
    if (key_source) {
      a.push_back("--key-source");
      a.push_back(*key_source);
    }
    a.insert(a.end(), args.begin(), args.end());
    return a;
  }
  RunResult run(const std::vector<std::string>& args, const RunOptions& o = {}) const {
    return run_process(argv(args), o);
  }
  /// Runs with `input` on stdin.
  RunResult run_stdin(const std::vector<std::string>& args, std::string input) const {
    RunOptions o;
    o.stdin_data = std::move(input);
    return run(args, o);
  }
};

/// Asserts (fatal) that a run exited with `code`, printing the run otherwise.
#define SEVER_ASSERT_EXIT(result, expected)                                        \
  do {                                                                             \
    const ::sever::itest::RunResult& _r = (result);                                \
    ASSERT_EQ(_r.code, (expected)) << _r.describe();                               \
  } while (0)
#define SEVER_EXPECT_EXIT(result, expected)                                        \
  do {                                                                             \
    const ::sever::itest::RunResult& _r = (result);                                \
    EXPECT_EQ(_r.code, (expected)) << _r.describe();                               \
  } while (0)

/// Base fixture: a fresh temporary directory per test and a store bound to tmp/data.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty()) << "cannot create a temporary directory";
    ASSERT_TRUE(fs::exists(bin_path("sever"))) << "no sever binary at " << bin_path("sever");
    store_.data = tmp_ / "data";
  }

  const TempDir& tmp() const { return tmp_; }
  Cli& store() { return store_; }
  /// A Cli for another data directory under tmp().
  Cli other(const std::string& name) const { return Cli{tmp_ / name, std::nullopt}; }

  /// Runs `sever init` for the store (fatal on failure).
  static void init(const Cli& c) {
    auto r = c.run({"init"});
    SEVER_ASSERT_EXIT(r, 0);
  }
  /// Writes `content` to tmp()/name and returns its path.
  std::string put_file(const std::string& name, const std::string& content) {
    std::string p = tmp_ / name;
    write_file(p, content);
    return p;
  }
  /// Imports the credentials from a file (fatal on failure).
  void import(const Cli& c, const std::vector<Cred>& creds, bool upsert = false) {
    std::string p = put_file("import-" + std::to_string(++imports_) + ".jsonl", jsonl(creds));
    std::vector<std::string> args = {"import", p};
    if (upsert) args.push_back("--upsert");
    auto r = c.run(args);
    SEVER_ASSERT_EXIT(r, 0);
  }
  /// Returns `inventory --count` (fatal on failure; -1 then).
  static int64_t count(const Cli& c, std::vector<std::string> filters = {}) {
    std::vector<std::string> args = {"inventory", "--count"};
    args.insert(args.end(), filters.begin(), filters.end());
    auto r = c.run(args);
    EXPECT_EQ(r.code, 0) << r.describe();
    if (r.code != 0) return -1;
    return std::stoll(r.out);
  }
  /// Returns `inventory --format json [filters]` parsed (an array).
  static json inventory_json(const Cli& c, std::vector<std::string> filters = {}) {
    std::vector<std::string> args = {"inventory", "--format", "json"};
    args.insert(args.end(), filters.begin(), filters.end());
    auto r = c.run(args);
    EXPECT_EQ(r.code, 0) << r.describe();
    json j = parse_json(r.out, "inventory --format json");
    EXPECT_TRUE(j.is_array()) << r.describe();
    return j;
  }
  /// Returns the whole audit log via `audit tail --format json` (an array, oldest first).
  static json audit_json(const Cli& c) {
    auto r = c.run({"audit", "tail", "-n", "100000000", "--format", "json"});
    EXPECT_EQ(r.code, 0) << r.describe();
    json j = parse_json(r.out, "audit tail --format json");
    EXPECT_TRUE(j.is_array()) << r.describe();
    return j;
  }
  /// Returns `keys list --format json` parsed (an array).
  static json keys_json(const Cli& c) {
    auto r = c.run({"keys", "list", "--format", "json"});
    EXPECT_EQ(r.code, 0) << r.describe();
    json j = parse_json(r.out, "keys list --format json");
    EXPECT_TRUE(j.is_array()) << r.describe();
    return j;
  }
  /// Copies a closed store (data directory and its default key file) to another directory.
  static void copy_store(const Cli& from, const Cli& to) {
    std::error_code ec;
    fs::copy(from.data, to.data, fs::copy_options::recursive, ec);
    ASSERT_FALSE(ec) << "copy " << from.data << ": " << ec.message();
    fs::copy_file(from.key_file(), to.key_file(), ec);
    ASSERT_FALSE(ec) << "copy " << from.key_file() << ": " << ec.message();
    ::chmod(to.key_file().c_str(), 0600);
  }
  /// Checks the store's index column families against its records (read directly).
  static void expect_indexes_agree(const Cli& c) {
    json all = inventory_json(c);
    EXPECT_EQ(index_problems(c.data, all), "") << "indexes disagree with the records of " << c.data;
  }
  /// Returns the ids ("tenant/id") of an inventory JSON array, in order.
  static std::vector<std::string> ids_of(const json& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) {
      out.push_back(r.value("tenant", std::string()) + "/" + r.value("id", std::string()));
    }
    return out;
  }

 private:
  TempDir tmp_;
  Cli store_;
  int imports_ = 0;
};

}  // namespace sever::itest

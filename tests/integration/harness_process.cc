// The integration harness's child processes: run_process and the argv/envp it prepares before
// fork. See harness.h.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "integration/harness.h"

extern char** environ;

namespace sever::itest {

std::string RunResult::describe() const {
  std::string s = "command: " + command + "\nexit: " + std::to_string(code) +
                  (timed_out ? " (TIMED OUT, killed)" : "") + "\n";
  auto clip = [](const std::string& x) {
    return x.size() <= 4000 ? x : x.substr(0, 4000) + "\n…(" + std::to_string(x.size()) +
                                      " bytes)";
  };
  s += "stdout:\n" + clip(out) + "\nstderr:\n" + clip(err) + "\n";
  return s;
}

namespace detail {
namespace {

/// Makes a descriptor non-blocking.
void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

/// Returns the child's environment as NAME=VALUE strings: the test's own without SEVER_DATA,
/// SEVER_KEY_SOURCE and SEVER_OPERATOR, then o.env's additions and removals.
std::vector<std::string> child_environment(const RunOptions& o) {
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

}  // namespace

ExecVectors::ExecVectors(const std::vector<std::string>& argv, const RunOptions& o)
    : env_strings_(child_environment(o)), arg_strings_(argv) {
  for (auto& s : env_strings_) envp_.push_back(s.data());
  envp_.push_back(nullptr);
  for (auto& s : arg_strings_) args_.push_back(s.data());
  args_.push_back(nullptr);
}

}  // namespace detail

RunResult run_process(const std::vector<std::string>& argv, const RunOptions& o) {
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

}  // namespace sever::itest

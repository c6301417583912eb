// Helpers the benchmark commands share: the machine's name, latency percentiles, wall time, and
// running a child process with its peak RSS.
#pragma once

#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace sever::load::cli {

/// Returns the CPU model and the core count, e.g. "AMD EPYC 7B13, 2 cores".
inline std::string machine() {
  const std::string cores = std::to_string(std::thread::hardware_concurrency()) + " cores";
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2) + ", " + cores;
  }
  return cores;
}

/// Latency percentiles, in the unit of the samples.
struct Latency {
  double p50 = 0, p99 = 0, p999 = 0, max = 0;
};

/// Returns the percentiles of the samples (all zero when there are none).
inline Latency percentiles(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))]; };
  return {at(0.50), at(0.99), at(0.999), v.back()};
}

/// Returns the seconds since `t`.
inline double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

/// Returns the peak RSS (VmHWM, KiB) of a live process, or 0 when it cannot be read.
inline long peak_rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

/// Runs a program (argv[0] a path) to its end with its stdout captured into *out and stderr
/// inherited. Returns its exit code (128 when it did not exit normally, -1 when it could not be
/// started) and fills its wall seconds and peak RSS in KiB. The RSS is the child's own VmHWM,
/// sampled every 10 ms: wait4's ru_maxrss would also count the RSS this (large) process had
/// when it spawned the child.
inline int run_child(const std::vector<std::string>& argv, std::string* out, double* secs,
                     long* max_rss_kib) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
  posix_spawn_file_actions_addclose(&fa, pipefd[0]);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  const auto t0 = std::chrono::steady_clock::now();
  const int spawned = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(pipefd[1]);
  if (spawned != 0) {
    close(pipefd[0]);
    return -1;
  }
  long peak = 0;
  char buf[4096];
  for (;;) {
    pollfd p{pipefd[0], POLLIN, 0};
    if (poll(&p, 1, 10) > 0) {
      const ssize_t n = read(pipefd[0], buf, sizeof buf);
      if (n <= 0) break;
      out->append(buf, static_cast<size_t>(n));
    }
    peak = std::max(peak, peak_rss_kib(pid));
  }
  close(pipefd[0]);
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  *secs = since(t0);
  *max_rss_kib = peak > 0 ? peak : ru.ru_maxrss;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

}  // namespace sever::load::cli

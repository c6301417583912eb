// Helpers the benchmark commands share: the machine's name, latency percentiles, wall time, and
// running a child process with its CPU time and peak RSS.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
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

/// Returns the CPU seconds (user + system) of a getrusage or wait4 result.
inline double rusage_cpu_seconds(const struct rusage& u) {
  auto s = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

/// What a child process did.
struct ChildRun {
  int code = 0;             // exit code; 128 when it did not exit normally, -1 not started
  double seconds = 0;       // wall
  double cpu_seconds = 0;   // user + system
  long rss_kib = 0;         // peak RSS
  std::string out, err;     // what it printed
};

/// Runs a program (argv[0] a path) to its end, its stdout and stderr captured through files in
/// `work` (they may be large). The peak RSS is the child's own VmHWM, sampled every 10 ms:
/// wait4's ru_maxrss would also count the RSS this (large) process had when it spawned the
/// child. The CPU seconds are the child's own, from wait4.
inline ChildRun run_child(const std::vector<std::string>& argv, const std::filesystem::path& work) {
  const std::filesystem::path out = work / "child.out", err = work / "child.err";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ChildRun c;
  pid_t pid;
  const auto t0 = std::chrono::steady_clock::now();
  const int spawned = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (spawned != 0) {
    c.code = -1;
    c.err = "cannot run " + argv[0];
    return c;
  }
  int status = 0;
  struct rusage ru {};
  long peak = 0;
  while (wait4(pid, &status, WNOHANG, &ru) == 0) {
    peak = std::max(peak, peak_rss_kib(pid));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  c.seconds = since(t0);
  c.cpu_seconds = rusage_cpu_seconds(ru);
  c.rss_kib = peak > 0 ? peak : ru.ru_maxrss;
  c.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  std::ifstream o(out), e(err);
  c.out.assign(std::istreambuf_iterator<char>(o), {});
  c.err.assign(std::istreambuf_iterator<char>(e), {});
  return c;
}

}  // namespace sever::load::cli

// Helpers the benchmark commands share: the machine's name, latency percentiles, wall time.
#pragma once

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

}  // namespace sever::load::cli

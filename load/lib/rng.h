// A deterministic random source whose output is the same with every standard library.
#pragma once

#include <cstdint>
#include <random>

namespace sever::load {

/// std::mt19937_64 is fully specified by the standard, but the <random> distributions are not:
/// so every draw here is computed by hand from the engine's raw 64-bit output.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  /// Returns 64 uniformly random bits.
  uint64_t bits() { return engine_(); }

  /// Returns a uniform integer in [0, n); 0 when n == 0. Lemire's multiply-shift with
  /// rejection, so unbiased.
  uint64_t below(uint64_t n) {
    if (n == 0) return 0;
    unsigned __int128 m = static_cast<unsigned __int128>(bits()) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(bits()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  /// Returns a uniform integer in [lo, hi]; lo when hi < lo.
  int64_t between(int64_t lo, int64_t hi) {
    if (hi <= lo) return lo;
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
  }

  /// Returns true with probability percent/100.
  bool percent(uint32_t percent) { return below(100) < percent; }

  /// Returns a uniform real in [0, 1) with 53 random bits.
  double real() { return static_cast<double>(bits() >> 11) * 0x1.0p-53; }

 private:
  std::mt19937_64 engine_;
};

/// SplitMix64's finaliser: a fast, well-mixing bijection on 64-bit values. Used to derive
/// stable per-index values (names, words) without consuming the main random stream.
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace sever::load

// Byte buffers that hold key material or plaintext secrets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sever {

/// A move-only byte buffer that is zeroized (OPENSSL_cleanse) when destroyed, cleared or
/// reassigned. Hold every key and every plaintext secret in one.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t n) : b_(n) {}
  SecretBytes(const uint8_t* p, size_t n) : b_(p, p + n) {}
  explicit SecretBytes(std::string_view s)
      : b_(reinterpret_cast<const uint8_t*>(s.data()),
           reinterpret_cast<const uint8_t*>(s.data()) + s.size()) {}
  ~SecretBytes() { clear(); }
  SecretBytes(SecretBytes&& o) noexcept : b_(std::move(o.b_)) { o.b_.clear(); }
  SecretBytes& operator=(SecretBytes&& o) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  /// Returns an independent copy (explicit, so copies of secrets are visible in code).
  SecretBytes clone() const { return SecretBytes(b_.data(), b_.size()); }

  uint8_t* data() { return b_.data(); }
  const uint8_t* data() const { return b_.data(); }
  size_t size() const { return b_.size(); }
  bool empty() const { return b_.empty(); }
  std::string_view view() const {
    return {reinterpret_cast<const char*>(b_.data()), b_.size()};
  }
  /// Zeroizes the bytes, then empties the buffer.
  void clear();
  /// Zeroizes, then resizes to n zero bytes.
  void reset(size_t n);

 private:
  std::vector<uint8_t> b_;
};

/// Zeroizes a std::string's bytes in place, then empties it.
void cleanse(std::string& s);

/// Returns true iff a and b are equal, in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace sever

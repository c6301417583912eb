#include "sever/store/secret.h"

#include <openssl/crypto.h>

namespace sever {

SecretBytes& SecretBytes::operator=(SecretBytes&& o) noexcept {
  if (this != &o) {
    clear();
    b_ = std::move(o.b_);
    o.b_.clear();
  }
  return *this;
}

void SecretBytes::clear() {
  if (!b_.empty()) OPENSSL_cleanse(b_.data(), b_.size());
  b_.clear();
}

void SecretBytes::reset(size_t n) {
  // Cleanse the whole capacity we may have written to, then size to n zero bytes.
  clear();
  b_.assign(n, 0);
}

void cleanse(std::string& s) {
  // The whole capacity: a moved-from or shrunk string keeps old bytes past its size (and a
  // short one keeps them in its inline buffer).
  s.resize(s.capacity());
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace sever

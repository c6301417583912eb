// AES-256-GCM envelope primitives, randomness and hashing (OpenSSL 3).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sever/store/secret.h"
#include "sever/store/status.h"

namespace sever::crypto {

inline constexpr size_t kKeyBytes = 32;    // AES-256
inline constexpr size_t kNonceBytes = 12;  // 96-bit GCM nonce
inline constexpr size_t kTagBytes = 16;
/// Bytes a sealed blob adds to its plaintext: nonce + tag.
inline constexpr size_t kSealOverhead = kNonceBytes + kTagBytes;

/// Fills `out` with `n` bytes from the OpenSSL CSPRNG. Returns crypto_error if it fails.
Status random_bytes(uint8_t* out, size_t n);

/// Returns a new random AES-256 key.
Result<SecretBytes> random_key();

/// Returns SHA-256(data) as 32 raw bytes.
std::string sha256(std::string_view data);

/// Returns HMAC-SHA256(key, data) as 32 raw bytes.
std::string hmac_sha256(const SecretBytes& key, std::string_view data);

/// Returns lowercase hex of the bytes.
std::string to_hex(std::string_view bytes);

/// An AES-256-GCM context bound to one key. Reuses one EVP_CIPHER_CTX per instance with the key
/// schedule set once, so a seal costs well under a microsecond for small records. Not thread-safe:
/// use one per thread.
class Aead {
 public:
  /// Binds a 32-byte key. Returns invalid_argument for any other size.
  static Result<Aead> Create(const SecretBytes& key);
  Aead(Aead&&) noexcept;
  Aead& operator=(Aead&&) noexcept;
  ~Aead();

  /// Seals plaintext with a fresh random 96-bit nonce and the AAD. Appends
  /// nonce || ciphertext || tag to `out`.
  Status Seal(std::string_view plaintext, std::string_view aad, std::string* out);

  /// Opens a blob made by Seal with the same key and AAD into `out`. Returns corruption when the
  /// blob is malformed or fails authentication (wrong key, wrong AAD, or any changed byte).
  Status Open(std::string_view blob, std::string_view aad, SecretBytes* out);

 private:
  Aead() = default;
  struct Ctx;
  Ctx* ctx_ = nullptr;
};

}  // namespace sever::crypto

#include "sever/store/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstring>
#include <utility>

#include <openssl/crypto.h>

namespace sever::crypto {

Status random_bytes(uint8_t* out, size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    return Status::CryptoError("RAND_bytes failed");
  }
  return Status::Ok();
}

Result<SecretBytes> random_key() {
  SecretBytes k(kKeyBytes);
  SEVER_RETURN_IF_ERROR(random_bytes(k.data(), k.size()));
  return k;
}

std::string sha256(std::string_view data) {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const uint8_t*>(data.data()), data.size(),
         reinterpret_cast<uint8_t*>(out.data()));
  return out;
}

std::string hmac_sha256(const SecretBytes& key, std::string_view data) {
  std::string out(32, '\0');
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const uint8_t*>(data.data()), data.size(),
       reinterpret_cast<uint8_t*>(out.data()), &len);
  out.resize(len);
  return out;
}

std::string to_hex(std::string_view bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// AES-256-GCM fetched from the default provider once: passing EVP_aes_256_gcm() to every
// *Init_ex makes OpenSSL 3 fetch it again each time, under its method store's lock.
const EVP_CIPHER* aes_256_gcm() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return cipher;
}

// Two contexts, each keyed on first use (an Aead that only opens never keys the sealing one);
// EVP_*Init with a NULL key afterwards only resets the IV. The key waits in a zeroizing buffer.
// Nonces come from a pool filled by one RAND_bytes call per 340 seals: each call has a fixed
// cost (~0.8 us) that dwarfs a 300-byte seal, and pooled CSPRNG bytes are just as random.
struct Aead::Ctx {
  SecretBytes key;
  EVP_CIPHER_CTX* enc = nullptr;
  EVP_CIPHER_CTX* dec = nullptr;
  uint8_t pool[kNonceBytes * 340];
  size_t pool_pos = sizeof pool;

  Status NextNonce(uint8_t* out) {
    if (pool_pos == sizeof pool) {
      SEVER_RETURN_IF_ERROR(random_bytes(pool, sizeof pool));
      pool_pos = 0;
    }
    std::memcpy(out, pool + pool_pos, kNonceBytes);
    OPENSSL_cleanse(pool + pool_pos, kNonceBytes);  // a nonce is never handed out twice
    pool_pos += kNonceBytes;
    return Status::Ok();
  }
  // Returns the context for one direction, keyed; nullptr when OpenSSL fails.
  EVP_CIPHER_CTX* Keyed(bool encrypt) {
    EVP_CIPHER_CTX*& c = encrypt ? enc : dec;
    if (c != nullptr) return c;
    EVP_CIPHER_CTX* fresh = EVP_CIPHER_CTX_new();
    if (fresh == nullptr || aes_256_gcm() == nullptr ||
        EVP_CipherInit_ex(fresh, aes_256_gcm(), nullptr, key.data(), nullptr, encrypt ? 1 : 0) != 1) {
      EVP_CIPHER_CTX_free(fresh);
      return nullptr;
    }
    return c = fresh;
  }
  ~Ctx() {
    EVP_CIPHER_CTX_free(enc);
    EVP_CIPHER_CTX_free(dec);
  }
};

Result<Aead> Aead::Create(const SecretBytes& key) {
  if (key.size() != kKeyBytes) {
    return Status::InvalidArgument("AES-256-GCM needs a 32-byte key, got " +
                                   std::to_string(key.size()));
  }
  if (aes_256_gcm() == nullptr) return Status::CryptoError("cannot initialise AES-256-GCM");
  Aead a;
  a.ctx_ = new Ctx;
  a.ctx_->key = key.clone();
  return a;
}

Aead::Aead(Aead&& o) noexcept : ctx_(std::exchange(o.ctx_, nullptr)) {}
Aead& Aead::operator=(Aead&& o) noexcept {
  if (this != &o) {
    delete ctx_;
    ctx_ = std::exchange(o.ctx_, nullptr);
  }
  return *this;
}
Aead::~Aead() { delete ctx_; }

Status Aead::Seal(std::string_view plaintext, std::string_view aad, std::string* out) {
  const size_t base = out->size();
  out->resize(base + kNonceBytes + plaintext.size() + kTagBytes);
  auto* nonce = reinterpret_cast<uint8_t*>(out->data() + base);
  auto* ct = nonce + kNonceBytes;
  SEVER_RETURN_IF_ERROR(ctx_->NextNonce(nonce));
  EVP_CIPHER_CTX* c = ctx_->Keyed(true);
  int len = 0;
  if (c == nullptr || EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, nonce) != 1 ||
      EVP_EncryptUpdate(c, nullptr, &len, reinterpret_cast<const uint8_t*>(aad.data()),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(c, ct, &len, reinterpret_cast<const uint8_t*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(c, ct + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, kTagBytes, ct + plaintext.size()) != 1) {
    out->resize(base);
    return Status::CryptoError("AES-256-GCM seal failed");
  }
  return Status::Ok();
}

Status Aead::Open(std::string_view blob, std::string_view aad, SecretBytes* out) {
  if (blob.size() < kSealOverhead) {
    return Status::Corruption("sealed blob is " + std::to_string(blob.size()) +
                              " bytes, shorter than nonce and tag");
  }
  const auto* nonce = reinterpret_cast<const uint8_t*>(blob.data());
  const size_t n = blob.size() - kSealOverhead;
  const uint8_t* ct = nonce + kNonceBytes;
  uint8_t tag[kTagBytes];
  std::copy(ct + n, ct + n + kTagBytes, tag);
  out->reset(n);
  EVP_CIPHER_CTX* c = ctx_->Keyed(false);
  int len = 0;
  bool ok = c != nullptr && EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, nonce) == 1 &&
            EVP_DecryptUpdate(c, nullptr, &len, reinterpret_cast<const uint8_t*>(aad.data()),
                              static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(c, out->data(), &len, ct, static_cast<int>(n)) == 1 &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, kTagBytes, tag) == 1 &&
            EVP_DecryptFinal_ex(c, out->data() + len, &len) == 1;
  if (!ok) {
    out->clear();
    return Status::Corruption("authentication failed: the sealed secret was altered or does "
                              "not belong to this row, tenant or key version");
  }
  return Status::Ok();
}

}  // namespace sever::crypto

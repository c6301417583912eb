// The PKCS#11 master-key source: an AES-256 key that never leaves the token wraps data keys with
// AES-256-GCM computed inside the token. See pkcs11_key_source.h for the module-lifetime policy.
#include "pkcs11_key_source.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <p11-kit/pkcs11.h>

#include <cstdint>
#include <mutex>
#include <utility>

#include "pkcs11_token.h"

namespace sever::detail {
namespace {

using pkcs11::check_gcm;
using pkcs11::ckr_error;
using pkcs11::ckr_text;
using pkcs11::find_key;
using pkcs11::find_slot;
using pkcs11::kCkrAeadDecryptFailed;
using pkcs11::key_where;
using pkcs11::login;
using pkcs11::Module;
using pkcs11::open_session;
using pkcs11::Session;

constexpr uint8_t kBlobVersion = 0x01;
constexpr size_t kIvBytes = 12;                                 // 96-bit GCM IV
constexpr size_t kTagBytes = 16;                                // 128-bit GCM tag
constexpr size_t kKeyBytes = 32;                                // AES-256
constexpr size_t kMinBlobBytes = 1 + kIvBytes + 1 + kTagBytes;  // Wrap refuses empty keys

/// Checks that the key is AES-256 and allowed to encrypt and decrypt.
Status check_key(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key,
                 const Pkcs11Spec& s) {
  CK_KEY_TYPE type = 0;
  CK_ULONG len = 0;
  CK_BBOOL enc = CK_FALSE, dec = CK_FALSE;
  CK_ATTRIBUTE tmpl[] = {{CKA_KEY_TYPE, &type, sizeof type},
                         {CKA_VALUE_LEN, &len, sizeof len},
                         {CKA_ENCRYPT, &enc, sizeof enc},
                         {CKA_DECRYPT, &dec, sizeof dec}};
  CK_RV rv = f->C_GetAttributeValue(h, key, tmpl, 4);
  if (rv != CKR_OK) return ckr_error(key_where(s), "C_GetAttributeValue", rv);
  if (type != CKK_AES || len != kKeyBytes) {
    return Status::InvalidArgument(key_where(s) + ": not an AES-256 key");
  }
  if (enc != CK_TRUE || dec != CK_TRUE) {
    return Status::InvalidArgument(key_where(s) + ": key may not encrypt and decrypt");
  }
  return Status::Ok();
}

/// Generates a token-resident, private, sensitive, non-extractable, non-modifiable AES-256 key
/// that may only encrypt and decrypt.
Result<CK_OBJECT_HANDLE> generate_key(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE h,
                                      const Pkcs11Spec& s) {
  CK_MECHANISM mech{CKM_AES_KEY_GEN, nullptr, 0};
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_AES;
  CK_ULONG len = kKeyBytes;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  std::string label = s.key_label;
  CK_ATTRIBUTE tmpl[] = {
      {CKA_CLASS, &cls, sizeof cls},     {CKA_KEY_TYPE, &type, sizeof type},
      {CKA_VALUE_LEN, &len, sizeof len}, {CKA_TOKEN, &yes, sizeof yes},
      {CKA_PRIVATE, &yes, sizeof yes},   {CKA_SENSITIVE, &yes, sizeof yes},
      {CKA_EXTRACTABLE, &no, sizeof no}, {CKA_MODIFIABLE, &no, sizeof no},
      {CKA_ENCRYPT, &yes, sizeof yes},   {CKA_DECRYPT, &yes, sizeof yes},
      {CKA_WRAP, &no, sizeof no},        {CKA_UNWRAP, &no, sizeof no},
      {CKA_SIGN, &no, sizeof no},        {CKA_VERIFY, &no, sizeof no},
      {CKA_DERIVE, &no, sizeof no},      {CKA_LABEL, label.data(), label.size()},
  };
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
  CK_RV rv = f->C_GenerateKey(h, &mech, tmpl, sizeof tmpl / sizeof tmpl[0], &key);
  if (rv != CKR_OK) return ckr_error(key_where(s), "C_GenerateKey(CKM_AES_KEY_GEN)", rv);
  return key;
}

/// Returns true iff a C_Decrypt failure means the GCM tag did not verify: wrong key, wrong
/// context or altered bytes. SoftHSM2 2.6 reports a bad tag as CKR_GENERAL_ERROR (its
/// decryptFinal fails); other tokens use CKR_ENCRYPTED_DATA_INVALID or, since PKCS#11 3.0,
/// CKR_AEAD_DECRYPT_FAILED.
bool is_auth_failure(CK_RV rv) {
  return rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE ||
         rv == kCkrAeadDecryptFailed || rv == CKR_GENERAL_ERROR;
}

/// GCM parameters over caller-owned IV and AAD bytes. PKCS#11 does not write through the
/// pointers; the casts only satisfy its non-const C signatures.
CK_GCM_PARAMS gcm_params(const uint8_t* iv, std::string_view aad) {
  CK_GCM_PARAMS p{};
  p.pIv = const_cast<CK_BYTE_PTR>(iv);
  p.ulIvLen = kIvBytes;  // read by SoftHSM2 2.6 and most tokens
  p.ulIvBits = kIvBytes * 8;
  p.pAAD = reinterpret_cast<CK_BYTE_PTR>(const_cast<char*>(aad.data()));
  p.ulAADLen = aad.size();
  p.ulTagBits = kTagBytes * 8;
  return p;
}

/// The KeySource over one token key, with one session guarded by a mutex.
class Pkcs11KeySource final : public KeySource {
 public:
  /// Takes over the module reference, the logged-in session and the key handle.
  Pkcs11KeySource(Pkcs11Spec spec, std::unique_ptr<Module> module, Session session,
                  CK_OBJECT_HANDLE key)
      : spec_(std::move(spec)),
        module_(std::move(module)),
        session_(std::move(session)),
        key_(key) {}

  /// Returns the spec as given.
  std::string spec() const override { return spec_.spec; }
  /// Seals `key` with AES-256-GCM in the token: version || random IV || ciphertext || tag.
  /// Refuses an empty key (invalid_argument).
  Result<std::string> Wrap(const SecretBytes& key, std::string_view context) override;
  /// Opens a Wrap blob: corruption if malformed, key_mismatch if the tag does not verify.
  Result<SecretBytes> Unwrap(std::string_view wrapped, std::string_view context) override;

 private:
  /// Returns the module's function table.
  CK_FUNCTION_LIST_PTR fns() const { return module_->fns(); }

  const Pkcs11Spec spec_;
  std::unique_ptr<Module> module_;  // declared before session_: outlives it
  Session session_;
  const CK_OBJECT_HANDLE key_;
  std::mutex mu_;  // one operation at a time on session_
};

Result<std::string> Pkcs11KeySource::Wrap(const SecretBytes& key, std::string_view context) {
  if (key.empty())
    return Status::InvalidArgument(key_where(spec_) + ": refusing to wrap an empty key");
  std::string blob(1 + kIvBytes + key.size() + kTagBytes, '\0');
  blob[0] = static_cast<char>(kBlobVersion);
  auto* iv = reinterpret_cast<uint8_t*>(blob.data() + 1);
  if (RAND_bytes(iv, kIvBytes) != 1) {
    return Status::CryptoError(key_where(spec_) + ": RAND_bytes failed for the GCM IV");
  }
  CK_GCM_PARAMS params = gcm_params(iv, context);
  CK_MECHANISM mech{CKM_AES_GCM, &params, sizeof params};
  auto* out = reinterpret_cast<CK_BYTE_PTR>(blob.data() + 1 + kIvBytes);
  CK_ULONG out_len = key.size() + kTagBytes;
  std::lock_guard<std::mutex> lock(mu_);
  CK_RV rv = fns()->C_EncryptInit(session_.handle(), &mech, key_);
  if (rv != CKR_OK) return ckr_error(key_where(spec_), "C_EncryptInit(CKM_AES_GCM)", rv);
  rv = fns()->C_Encrypt(session_.handle(), const_cast<CK_BYTE_PTR>(key.data()), key.size(), out,
                        &out_len);
  if (rv != CKR_OK) return ckr_error(key_where(spec_), "C_Encrypt(CKM_AES_GCM)", rv);
  if (out_len != key.size() + kTagBytes) {
    return Status::CryptoError(key_where(spec_) + ": C_Encrypt returned " +
                               std::to_string(out_len) + " bytes, expected " +
                               std::to_string(key.size() + kTagBytes));
  }
  return blob;
}

Result<SecretBytes> Pkcs11KeySource::Unwrap(std::string_view wrapped, std::string_view context) {
  if (wrapped.size() < kMinBlobBytes) {
    return Status::Corruption(key_where(spec_) + ": wrapped key is " +
                              std::to_string(wrapped.size()) + " bytes, shorter than the " +
                              std::to_string(kMinBlobBytes) + "-byte minimum");
  }
  if (static_cast<uint8_t>(wrapped[0]) != kBlobVersion) {
    return Status::Corruption(key_where(spec_) + ": unknown wrapped-key version " +
                              std::to_string(static_cast<uint8_t>(wrapped[0])));
  }
  CK_GCM_PARAMS params = gcm_params(reinterpret_cast<const uint8_t*>(wrapped.data() + 1), context);
  CK_MECHANISM mech{CKM_AES_GCM, &params, sizeof params};
  std::string_view sealed = wrapped.substr(1 + kIvBytes);  // ciphertext || tag
  auto* in = reinterpret_cast<CK_BYTE_PTR>(const_cast<char*>(sealed.data()));
  // The plaintext is never longer than the sealed bytes: one call, no size query, so the
  // operation always ends inside this function.
  SecretBytes out(sealed.size());
  CK_ULONG out_len = out.size();
  std::lock_guard<std::mutex> lock(mu_);
  CK_RV rv = fns()->C_DecryptInit(session_.handle(), &mech, key_);
  if (rv != CKR_OK) return ckr_error(key_where(spec_), "C_DecryptInit(CKM_AES_GCM)", rv);
  rv = fns()->C_Decrypt(session_.handle(), in, sealed.size(), out.data(), &out_len);
  if (is_auth_failure(rv)) {
    return Status::KeyMismatch(
        key_where(spec_) +
        ": master key does not match (PKCS#11 GCM authentication failed: " + ckr_text(rv) + ")");
  }
  if (rv != CKR_OK) return ckr_error(key_where(spec_), "C_Decrypt(CKM_AES_GCM)", rv);
  if (out_len != sealed.size() - kTagBytes) {
    return Status::CryptoError(key_where(spec_) + ": C_Decrypt returned " +
                               std::to_string(out_len) + " bytes, expected " +
                               std::to_string(sealed.size() - kTagBytes));
  }
  return SecretBytes(out.data(), out_len);  // `out` (with its slack) is zeroized on return
}

}  // namespace

Result<std::unique_ptr<KeySource>> open_pkcs11_key_source(const Pkcs11Spec& spec, bool create) {
  SEVER_ASSIGN_OR_RETURN(std::unique_ptr<Module> module, Module::acquire(spec.module_path));
  CK_FUNCTION_LIST_PTR f = module->fns();
  SEVER_ASSIGN_OR_RETURN(CK_SLOT_ID slot, find_slot(f, spec));
  SEVER_RETURN_IF_ERROR(check_gcm(f, slot, spec));
  SEVER_ASSIGN_OR_RETURN(Session session, open_session(f, slot, spec));
  SEVER_RETURN_IF_ERROR(login(f, session.handle(), spec));
  SEVER_ASSIGN_OR_RETURN(CK_OBJECT_HANDLE key, find_key(f, session.handle(), spec));
  if (create) {
    if (key != CK_INVALID_HANDLE) {
      return Status::AlreadyExists(key_where(spec) + ": a secret key with this label exists");
    }
    SEVER_ASSIGN_OR_RETURN(key, generate_key(f, session.handle(), spec));
  } else if (key == CK_INVALID_HANDLE) {
    return Status::NotFound(key_where(spec) + ": no secret key with this label in the token");
  }
  SEVER_RETURN_IF_ERROR(check_key(f, session.handle(), key, spec));
  return std::unique_ptr<KeySource>(
      new Pkcs11KeySource(spec, std::move(module), std::move(session), key));
}

}  // namespace sever::detail

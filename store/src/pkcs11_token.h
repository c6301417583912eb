// Internal: the PKCS#11 plumbing under the `pkcs11:` key source: loading and initializing the
// module (a process-wide registry of counted references, see pkcs11_key_source.h for the
// lifetime policy), sessions, finding the token, logging in, finding the key, and the messages
// that name PKCS#11 return values. The key-source operations live in pkcs11_key_source.cc.
#pragma once

#include <p11-kit/pkcs11.h>

#include <memory>
#include <string>
#include <utility>

#include "pkcs11_key_source.h"

namespace sever::detail::pkcs11 {

// PKCS#11 3.0 return value for a failed AEAD tag check; absent from p11-kit 0.24's header.
inline constexpr CK_RV kCkrAeadDecryptFailed = 0x35UL;

// ---------------------------------------------------------------------------------------------
// Messages (pkcs11_messages.cc)

/// Returns "CKR_NAME (0xHEX)", or "CKR 0xHEX" for a value without a known name.
std::string ckr_text(CK_RV rv);

/// Returns "pkcs11 token 'T'", the prefix of messages about the token.
std::string token_where(const Pkcs11Spec& s);

/// Returns "pkcs11 token 'T' key 'K'", the prefix of messages about the key.
std::string key_where(const Pkcs11Spec& s);

/// Returns a crypto_error "WHERE: CALL failed: CKR_X (0xN)".
Status ckr_error(const std::string& where, const char* call, CK_RV rv);

// ---------------------------------------------------------------------------------------------
// Module registry (pkcs11_module.cc)

/// A counted reference to a loaded, initialized PKCS#11 module.
class Module {
 public:
  /// dlopens `path` and initializes the module unless another reference already did.
  static Result<std::unique_ptr<Module>> acquire(const std::string& path);

  /// Drops the reference: the last one calls C_Finalize (if sever initialized the module).
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// Returns the module's function table, valid while this reference lives.
  CK_FUNCTION_LIST_PTR fns() const { return fns_; }

 private:
  Module(void* dl, CK_FUNCTION_LIST_PTR fns) : dl_(dl), fns_(fns) {}

  void* dl_;
  CK_FUNCTION_LIST_PTR fns_;
};

// ---------------------------------------------------------------------------------------------
// Token, session, key (pkcs11_token.cc)

/// An open session, closed on destruction unless moved from.
class Session {
 public:
  /// Takes ownership of the open session `h`.
  Session(CK_FUNCTION_LIST_PTR fns, CK_SESSION_HANDLE h) : fns_(fns), h_(h) {}
  /// Takes the session over from `o`, which then closes nothing.
  Session(Session&& o) noexcept : fns_(o.fns_), h_(std::exchange(o.h_, CK_INVALID_HANDLE)) {}
  Session& operator=(Session&&) = delete;
  Session(const Session&) = delete;
  /// Closes the session (the token logs the process out when its last session closes).
  ~Session() {
    if (h_ != CK_INVALID_HANDLE) fns_->C_CloseSession(h_);
  }
  /// Returns the session handle, CK_INVALID_HANDLE once moved from.
  CK_SESSION_HANDLE handle() const { return h_; }

 private:
  CK_FUNCTION_LIST_PTR fns_;
  CK_SESSION_HANDLE h_;
};

/// Returns the slot of the one initialized token labelled s.token_label.
Result<CK_SLOT_ID> find_slot(CK_FUNCTION_LIST_PTR f, const Pkcs11Spec& s);

/// Checks that the token offers AES-GCM encryption and decryption.
Status check_gcm(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID slot, const Pkcs11Spec& s);

/// Opens a read-write session on the slot.
Result<Session> open_session(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID slot, const Pkcs11Spec& s);

/// Logs the user in with the PIN from the environment variable s.pin_env (never copied, never
/// printed).
Status login(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE h, const Pkcs11Spec& s);

/// Returns the secret key labelled s.key_label, or CK_INVALID_HANDLE when there is none.
Result<CK_OBJECT_HANDLE> find_key(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE h,
                                  const Pkcs11Spec& s);

}  // namespace sever::detail::pkcs11

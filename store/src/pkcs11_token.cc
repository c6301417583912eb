// The PKCS#11 token plumbing: find the token by label, check it offers AES-GCM, open a
// session, log in with the PIN from the environment, and find the key by label.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "pkcs11_token.h"

namespace sever::detail::pkcs11 {
namespace {

/// Returns a token label with its blank padding removed.
std::string trimmed_label(const CK_TOKEN_INFO& info) {
  std::string label(reinterpret_cast<const char*>(info.label), sizeof info.label);
  size_t end = label.find_last_not_of(' ');
  return end == std::string::npos ? std::string() : label.substr(0, end + 1);
}

/// Returns the ids of the slots that hold a token.
Result<std::vector<CK_SLOT_ID>> slots_with_token(CK_FUNCTION_LIST_PTR f, const Pkcs11Spec& s) {
  std::vector<CK_SLOT_ID> slots;
  CK_RV rv;
  do {  // the list can grow between the size query and the fetch
    CK_ULONG n = 0;
    rv = f->C_GetSlotList(CK_TRUE, nullptr, &n);
    if (rv != CKR_OK) break;
    slots.resize(n);
    rv = f->C_GetSlotList(CK_TRUE, slots.data(), &n);
    slots.resize(n);
  } while (rv == CKR_BUFFER_TOO_SMALL);
  if (rv != CKR_OK) return ckr_error("pkcs11 module '" + s.module_path + "'", "C_GetSlotList", rv);
  return slots;
}

}  // namespace

/// Returns the slot of the one initialized token labelled s.token_label.
Result<CK_SLOT_ID> find_slot(CK_FUNCTION_LIST_PTR f, const Pkcs11Spec& s) {
  SEVER_ASSIGN_OR_RETURN(std::vector<CK_SLOT_ID> slots, slots_with_token(f, s));
  std::vector<CK_SLOT_ID> matches;
  for (CK_SLOT_ID slot : slots) {
    CK_TOKEN_INFO info{};
    if (f->C_GetTokenInfo(slot, &info) != CKR_OK) continue;  // removed meanwhile
    if ((info.flags & CKF_TOKEN_INITIALIZED) == 0) continue;
    if (trimmed_label(info) == s.token_label) matches.push_back(slot);
  }
  if (matches.empty()) {
    return Status::NotFound("pkcs11: no token labelled '" + s.token_label + "' in module '" +
                            s.module_path + "' (wanted for key '" + s.key_label + "')");
  }
  if (matches.size() > 1) {
    return Status::InvalidArgument(token_where(s) + ": several tokens carry this label");
  }
  return matches.front();
}

/// Checks that the token offers AES-GCM encryption and decryption.
Status check_gcm(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID slot, const Pkcs11Spec& s) {
  CK_MECHANISM_INFO info{};
  CK_RV rv = f->C_GetMechanismInfo(slot, CKM_AES_GCM, &info);
  if (rv == CKR_MECHANISM_INVALID ||
      (rv == CKR_OK && (info.flags & (CKF_ENCRYPT | CKF_DECRYPT)) != (CKF_ENCRYPT | CKF_DECRYPT))) {
    return Status::CryptoError(token_where(s) + ": token does not offer CKM_AES_GCM");
  }
  if (rv != CKR_OK) return ckr_error(token_where(s), "C_GetMechanismInfo(CKM_AES_GCM)", rv);
  return Status::Ok();
}

/// Opens a read-write session on the slot.
Result<Session> open_session(CK_FUNCTION_LIST_PTR f, CK_SLOT_ID slot, const Pkcs11Spec& s) {
  CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
  CK_RV rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &h);
  if (rv != CKR_OK) return ckr_error(token_where(s), "C_OpenSession", rv);
  return Session(f, h);
}

/// Logs the user in with the PIN from the environment variable s.pin_env (never copied, never
/// printed).
Status login(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE h, const Pkcs11Spec& s) {
  const char* pin = std::getenv(s.pin_env.c_str());
  if (pin == nullptr) {
    return Status::InvalidArgument(token_where(s) + ": the user PIN variable " + s.pin_env +
                                   " is not set");
  }
  if (*pin == '\0') {
    return Status::InvalidArgument(token_where(s) + ": the user PIN variable " + s.pin_env +
                                   " is empty");
  }
  auto* pin_bytes = reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(pin));
  CK_RV rv = f->C_Login(h, CKU_USER, pin_bytes, std::strlen(pin));
  if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) return Status::Ok();
  if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE ||
      rv == CKR_PIN_EXPIRED || rv == CKR_PIN_LOCKED) {
    return Status::Refused(token_where(s) + ": login with the PIN from " + s.pin_env +
                           " refused: " + ckr_text(rv));
  }
  return ckr_error(token_where(s), "C_Login", rv);
}

/// Returns the secret key labelled s.key_label, or CK_INVALID_HANDLE when there is none.
Result<CK_OBJECT_HANDLE> find_key(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE h,
                                  const Pkcs11Spec& s) {
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  std::string label = s.key_label;
  CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, label.data(), label.size()}};
  CK_RV rv = f->C_FindObjectsInit(h, tmpl, 2);
  if (rv != CKR_OK) return ckr_error(key_where(s), "C_FindObjectsInit", rv);
  CK_OBJECT_HANDLE found[2] = {CK_INVALID_HANDLE, CK_INVALID_HANDLE};
  CK_ULONG n = 0;
  rv = f->C_FindObjects(h, found, 2, &n);
  f->C_FindObjectsFinal(h);
  if (rv != CKR_OK) return ckr_error(key_where(s), "C_FindObjects", rv);
  if (n > 1)
    return Status::InvalidArgument(key_where(s) + ": several secret keys carry this label");
  return n == 1 ? found[0] : CK_INVALID_HANDLE;
}

}  // namespace sever::detail::pkcs11

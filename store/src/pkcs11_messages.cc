// Messages of the PKCS#11 plumbing: the names of PKCS#11 return values and the prefixes that
// say which token or key a message is about.
#include <cstdio>
#include <map>

#include "pkcs11_token.h"

namespace sever::detail::pkcs11 {
namespace {

/// Returns the PKCS#11 name of a return value, or nullptr when it is not in the table.
const char* ckr_name(CK_RV rv) {
#define SEVER_CKR(x) \
  { x, #x }
  static const std::map<CK_RV, const char*> names = {
      SEVER_CKR(CKR_OK),
      SEVER_CKR(CKR_CANCEL),
      SEVER_CKR(CKR_HOST_MEMORY),
      SEVER_CKR(CKR_SLOT_ID_INVALID),
      SEVER_CKR(CKR_GENERAL_ERROR),
      SEVER_CKR(CKR_FUNCTION_FAILED),
      SEVER_CKR(CKR_ARGUMENTS_BAD),
      SEVER_CKR(CKR_CANT_LOCK),
      SEVER_CKR(CKR_ATTRIBUTE_READ_ONLY),
      SEVER_CKR(CKR_ATTRIBUTE_SENSITIVE),
      SEVER_CKR(CKR_ATTRIBUTE_TYPE_INVALID),
      SEVER_CKR(CKR_ATTRIBUTE_VALUE_INVALID),
      SEVER_CKR(CKR_ACTION_PROHIBITED),
      SEVER_CKR(CKR_DATA_INVALID),
      SEVER_CKR(CKR_DATA_LEN_RANGE),
      SEVER_CKR(CKR_DEVICE_ERROR),
      SEVER_CKR(CKR_DEVICE_MEMORY),
      SEVER_CKR(CKR_DEVICE_REMOVED),
      SEVER_CKR(CKR_ENCRYPTED_DATA_INVALID),
      SEVER_CKR(CKR_ENCRYPTED_DATA_LEN_RANGE),
      {kCkrAeadDecryptFailed, "CKR_AEAD_DECRYPT_FAILED"},
      SEVER_CKR(CKR_FUNCTION_CANCELED),
      SEVER_CKR(CKR_FUNCTION_NOT_SUPPORTED),
      SEVER_CKR(CKR_KEY_HANDLE_INVALID),
      SEVER_CKR(CKR_KEY_SIZE_RANGE),
      SEVER_CKR(CKR_KEY_TYPE_INCONSISTENT),
      SEVER_CKR(CKR_KEY_FUNCTION_NOT_PERMITTED),
      SEVER_CKR(CKR_MECHANISM_INVALID),
      SEVER_CKR(CKR_MECHANISM_PARAM_INVALID),
      SEVER_CKR(CKR_OBJECT_HANDLE_INVALID),
      SEVER_CKR(CKR_OPERATION_ACTIVE),
      SEVER_CKR(CKR_OPERATION_NOT_INITIALIZED),
      SEVER_CKR(CKR_PIN_INCORRECT),
      SEVER_CKR(CKR_PIN_INVALID),
      SEVER_CKR(CKR_PIN_LEN_RANGE),
      SEVER_CKR(CKR_PIN_EXPIRED),
      SEVER_CKR(CKR_PIN_LOCKED),
      SEVER_CKR(CKR_SESSION_CLOSED),
      SEVER_CKR(CKR_SESSION_COUNT),
      SEVER_CKR(CKR_SESSION_HANDLE_INVALID),
      SEVER_CKR(CKR_SESSION_READ_ONLY),
      SEVER_CKR(CKR_TEMPLATE_INCOMPLETE),
      SEVER_CKR(CKR_TEMPLATE_INCONSISTENT),
      SEVER_CKR(CKR_TOKEN_NOT_PRESENT),
      SEVER_CKR(CKR_TOKEN_NOT_RECOGNIZED),
      SEVER_CKR(CKR_TOKEN_WRITE_PROTECTED),
      SEVER_CKR(CKR_USER_ALREADY_LOGGED_IN),
      SEVER_CKR(CKR_USER_NOT_LOGGED_IN),
      SEVER_CKR(CKR_USER_PIN_NOT_INITIALIZED),
      SEVER_CKR(CKR_USER_TYPE_INVALID),
      SEVER_CKR(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
      SEVER_CKR(CKR_BUFFER_TOO_SMALL),
      SEVER_CKR(CKR_CRYPTOKI_NOT_INITIALIZED),
      SEVER_CKR(CKR_CRYPTOKI_ALREADY_INITIALIZED),
      SEVER_CKR(CKR_LIBRARY_LOAD_FAILED),
      SEVER_CKR(CKR_FUNCTION_REJECTED),
  };
#undef SEVER_CKR
  auto it = names.find(rv);
  return it == names.end() ? nullptr : it->second;
}

}  // namespace

/// Returns "CKR_NAME (0xHEX)", or "CKR 0xHEX" for a value without a known name.
std::string ckr_text(CK_RV rv) {
  char hex[32];
  std::snprintf(hex, sizeof hex, "0x%lx", static_cast<unsigned long>(rv));
  const char* name = ckr_name(rv);
  return name ? std::string(name) + " (" + hex + ")" : std::string("CKR ") + hex;
}

/// Returns "pkcs11 token 'T'", the prefix of messages about the token.
std::string token_where(const Pkcs11Spec& s) { return "pkcs11 token '" + s.token_label + "'"; }

/// Returns "pkcs11 token 'T' key 'K'", the prefix of messages about the key.
std::string key_where(const Pkcs11Spec& s) { return token_where(s) + " key '" + s.key_label + "'"; }

/// Returns a crypto_error "WHERE: CALL failed: CKR_X (0xN)".
Status ckr_error(const std::string& where, const char* call, CK_RV rv) {
  return Status::CryptoError(where + ": " + call + " failed: " + ckr_text(rv));
}

}  // namespace sever::detail::pkcs11

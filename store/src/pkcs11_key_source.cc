// The PKCS#11 master-key source: an AES-256 key that never leaves the token wraps data keys with
// AES-256-GCM computed inside the token. See pkcs11_key_source.h for the module-lifetime policy.
#include "pkcs11_key_source.h"

#include <dlfcn.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <p11-kit/pkcs11.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

namespace sever::detail {
namespace {

constexpr std::string_view kScheme = "pkcs11:";
constexpr const char* kDefaultModule = "/usr/lib/softhsm/libsofthsm2.so";
constexpr const char* kModuleEnv = "SEVER_PKCS11_MODULE";
constexpr const char* kDefaultPinEnv = "SEVER_PKCS11_PIN";
constexpr size_t kTokenLabelBytes = 32;  // CK_TOKEN_INFO.label: blank padded, not terminated

constexpr uint8_t kBlobVersion = 0x01;
constexpr size_t kIvBytes = 12;                                 // 96-bit GCM IV
constexpr size_t kTagBytes = 16;                                // 128-bit GCM tag
constexpr size_t kKeyBytes = 32;                                // AES-256
constexpr size_t kMinBlobBytes = 1 + kIvBytes + 1 + kTagBytes;  // Wrap refuses empty keys

// PKCS#11 3.0 return value for a failed AEAD tag check; absent from p11-kit 0.24's header.
constexpr CK_RV kCkrAeadDecryptFailed = 0x35UL;

// ---------------------------------------------------------------------------------------------
// Messages

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

// ---------------------------------------------------------------------------------------------
// Spec parsing

/// Returns an invalid_argument "pkcs11 spec: WHAT".
Status spec_error(const std::string& what) {
  return Status::InvalidArgument("pkcs11 spec: " + what);
}

/// Returns the value of a hex digit, or -1.
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Decodes %XX escapes in the value of attribute `name`.
Result<std::string> percent_decode(std::string_view raw, const std::string& name) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      out += raw[i];
      continue;
    }
    int hi = i + 2 < raw.size() ? hex_digit(raw[i + 1]) : -1;
    int lo = i + 2 < raw.size() ? hex_digit(raw[i + 2]) : -1;
    if (hi < 0 || lo < 0) return spec_error("bad percent escape in " + name + "=");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

/// Splits `s` at every `sep`.
std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t pos; (pos = s.find(sep, start)) != std::string_view::npos; start = pos + 1) {
    parts.push_back(s.substr(start, pos - start));
  }
  parts.push_back(s.substr(start));
  return parts;
}

/// Which part of the spec an attribute sits in: the path (before '?') or the query (after).
enum class Part { path, query };

/// Returns the field of `out` that attribute `name` of `part` sets, or nullptr when `name` is
/// not an attribute of that part.
std::string* attribute_field(const std::string& name, Part part, Pkcs11Spec& out) {
  if (part == Part::path) {
    if (name == "token") return &out.token_label;
    if (name == "object") return &out.key_label;
  } else {
    if (name == "module-path") return &out.module_path;
    if (name == "pin-env") return &out.pin_env;
  }
  return nullptr;
}

/// Stores one `name=value` attribute of `part` into `out`; `seen` catches duplicates.
Status apply_attribute(std::string_view attr, Part part, Pkcs11Spec& out,
                       std::set<std::string>& seen) {
  size_t eq = attr.find('=');
  if (eq == std::string_view::npos) {
    return spec_error("attribute '" + std::string(attr) + "' has no '='");
  }
  std::string name(attr.substr(0, eq));
  if (name == "pin-value" || name == "pin-source") {
    return spec_error(name +
                      " is not accepted: put the PIN in the environment variable that "
                      "pin-env names");
  }
  std::string* field = attribute_field(name, part, out);
  if (field == nullptr) {
    Part other = part == Part::path ? Part::query : Part::path;
    if (attribute_field(name, other, out) != nullptr) {
      return spec_error("attribute '" + name + "' belongs " +
                        (other == Part::path ? "before" : "after") + " '?'");
    }
    return spec_error("unknown attribute '" + name + "'");
  }
  if (!seen.insert(name).second) return spec_error("duplicate attribute '" + name + "'");
  SEVER_ASSIGN_OR_RETURN(std::string value, percent_decode(attr.substr(eq + 1), name));
  if (value.empty()) return spec_error("empty " + name + "=");
  *field = std::move(value);
  return Status::Ok();
}

/// Applies every attribute of one part of the spec; empty segments (a stray separator) are
/// skipped.
Status apply_part(std::string_view text, char sep, Part part, Pkcs11Spec& out,
                  std::set<std::string>& seen) {
  for (std::string_view attr : split(text, sep)) {
    if (attr.empty()) continue;
    SEVER_RETURN_IF_ERROR(apply_attribute(attr, part, out, seen));
  }
  return Status::Ok();
}

/// Returns true iff `name` is a plausible environment variable name ([A-Za-z_][A-Za-z0-9_]*).
bool is_env_name(const std::string& name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

/// Checks the required attributes and fills in the defaults.
Status finish_spec(Pkcs11Spec& out) {
  if (out.token_label.empty()) return spec_error("missing token=");
  if (out.key_label.empty()) return spec_error("missing object=");
  if (out.token_label.size() > kTokenLabelBytes) {
    return spec_error("token label '" + out.token_label + "' is longer than 32 bytes");
  }
  if (out.module_path.empty()) {
    const char* env = std::getenv(kModuleEnv);
    out.module_path = env != nullptr && *env != '\0' ? env : kDefaultModule;
  }
  if (out.pin_env.empty()) out.pin_env = kDefaultPinEnv;
  if (!is_env_name(out.pin_env)) {
    return spec_error("pin-env '" + out.pin_env + "' is not an environment variable name");
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Module registry

/// One loaded module's count of open references, and whether sever initialized it.
struct ModuleEntry {
  size_t refs = 0;
  bool finalize = false;
};

/// The process-wide registry, keyed by the module's function list (unique per loaded library,
/// whatever path or symlink loaded it).
struct ModuleRegistry {
  std::mutex mu;
  std::map<CK_FUNCTION_LIST_PTR, ModuleEntry> modules;
};

/// Returns the registry. Never destroyed, so sources closed during exit still find it.
ModuleRegistry& registry() {
  static auto* r = new ModuleRegistry;
  return *r;
}

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

/// Returns the module's function list; `dl` stays open either way.
Result<CK_FUNCTION_LIST_PTR> function_list(void* dl, const std::string& path) {
  void* sym = dlsym(dl, "C_GetFunctionList");
  if (sym == nullptr) {
    return Status::CryptoError("pkcs11 module '" + path + "': no C_GetFunctionList symbol");
  }
  CK_FUNCTION_LIST_PTR fns = nullptr;
  CK_RV rv = reinterpret_cast<CK_C_GetFunctionList>(sym)(&fns);
  if (rv != CKR_OK || fns == nullptr)
    return ckr_error("pkcs11 module '" + path + "'", "C_GetFunctionList", rv);
  return fns;
}

Result<std::unique_ptr<Module>> Module::acquire(const std::string& path) {
  ModuleRegistry& reg = registry();
  std::lock_guard<std::mutex> lock(reg.mu);
  void* dl = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (dl == nullptr) {
    const char* err = dlerror();
    return Status::CryptoError("pkcs11 module '" + path + "': cannot load: " +
                               (err != nullptr ? err : "unknown dlopen error"));
  }
  Result<CK_FUNCTION_LIST_PTR> fns = function_list(dl, path);
  if (!fns.ok()) {
    dlclose(dl);
    return fns.status();
  }
  auto [it, inserted] = reg.modules.try_emplace(*fns);
  if (inserted) {
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    CK_RV rv = (*fns)->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      reg.modules.erase(it);
      dlclose(dl);
      return ckr_error("pkcs11 module '" + path + "'", "C_Initialize", rv);
    }
    it->second.finalize = rv == CKR_OK;
  }
  ++it->second.refs;
  return std::unique_ptr<Module>(new Module(dl, *fns));
}

Module::~Module() {
  ModuleRegistry& reg = registry();
  std::lock_guard<std::mutex> lock(reg.mu);
  auto it = reg.modules.find(fns_);
  if (it != reg.modules.end() && --it->second.refs == 0) {
    if (it->second.finalize) fns_->C_Finalize(nullptr);
    reg.modules.erase(it);
  }
  dlclose(dl_);
}

// ---------------------------------------------------------------------------------------------
// Token, session, key

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

Result<Pkcs11Spec> parse_pkcs11_spec(std::string_view spec) {
  if (spec.substr(0, kScheme.size()) != kScheme) return spec_error("must start with 'pkcs11:'");
  Pkcs11Spec out;
  out.spec = std::string(spec);
  std::string_view body = spec.substr(kScheme.size());
  size_t q = body.find('?');
  std::set<std::string> seen;
  SEVER_RETURN_IF_ERROR(apply_part(body.substr(0, q), ';', Part::path, out, seen));
  if (q != std::string_view::npos) {
    SEVER_RETURN_IF_ERROR(apply_part(body.substr(q + 1), '&', Part::query, out, seen));
  }
  SEVER_RETURN_IF_ERROR(finish_spec(out));
  return out;
}

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

// Internal: the PKCS#11 master-key source (SoftHSM2 in tests). See key_source.h for the contract.
//
// Module lifetime: every open source holds a reference to its module, counted per loaded module
// in a process-wide registry. The first reference calls C_Initialize (CKF_OS_LOCKING_OK); the last
// calls C_Finalize only if this process's sever code initialized it (CKR_CRYPTOKI_ALREADY_
// INITIALIZED means someone else owns it), then dlclose. So several sources against one module
// (two keys, or an old and a new master during rotation) coexist, and a module is re-read
// (e.g. a new SOFTHSM2_CONF) once every source on it is closed.
//
// PKCS#11 login state is shared by all sessions of a process on one token: while one source is
// logged in, opening a second source on the same token gets CKR_USER_ALREADY_LOGGED_IN and its
// PIN is not checked again. That is the standard's semantics, not a sever choice.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sever/store/key_source.h"

namespace sever::detail {

/// The parts of a `pkcs11:` key-source spec.
struct Pkcs11Spec {
  std::string spec;         // the spec as given (printable: holds no PIN)
  std::string module_path;  // the PKCS#11 module (.so) to dlopen
  std::string token_label;  // the token, found by label (slots move after init)
  std::string key_label;    // CKA_LABEL of the AES-256 master key
  std::string pin_env;      // the environment variable that holds the user PIN
};

/// Parses `pkcs11:token=LABEL;object=KEYLABEL[?module-path=SO&pin-env=VAR]`. Path attributes are
/// separated by ';', query attributes by '&'; values are percent-decoded (%XX). module-path
/// defaults to $SEVER_PKCS11_MODULE, else /usr/lib/softhsm/libsofthsm2.so; pin-env defaults to
/// SEVER_PKCS11_PIN. `pin-value` is refused (a spec is printable; the PIN comes from pin-env).
/// Returns invalid_argument ("pkcs11 spec: ...") naming the missing, duplicate, empty or unknown
/// attribute.
Result<Pkcs11Spec> parse_pkcs11_spec(std::string_view spec);

/// Opens the token and finds the key (create=false: not_found if absent), or generates a new
/// non-extractable, sensitive AES-256 key under the label (create=true: already_exists if
/// present). Wrap/Unwrap run AES-256-GCM inside the token (C_Encrypt/C_Decrypt) with a random
/// 96-bit IV and the context as AAD; the blob is version byte (0x01) || IV || ciphertext || tag.
/// Errors: not_found (no token with the label, or no key), invalid_argument (PIN variable unset
/// or empty, ambiguous token or key label, key is not AES), refused (wrong or locked PIN),
/// crypto_error (the module or token failed; the message carries the CKR name and hex value).
Result<std::unique_ptr<KeySource>> open_pkcs11_key_source(const Pkcs11Spec& spec, bool create);

}  // namespace sever::detail

// Master-key (KEK) sources. The KEK never enters the database: it lives in a key file beside the
// data directory or, non-extractable, inside a PKCS#11 token.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sever/store/secret.h"
#include "sever/store/status.h"

namespace sever {

/// Wraps and unwraps data keys with a master key. Implementations are thread-safe.
class KeySource {
 public:
  virtual ~KeySource() = default;

  /// Returns the spec this source was opened from, safe to print (holds no secret).
  virtual std::string spec() const = 0;

  /// Encrypts `key` under the master key, authenticating `context` (AAD): the wrapped bytes only
  /// unwrap with the same context. Returns the wrapped blob.
  virtual Result<std::string> Wrap(const SecretBytes& key, std::string_view context) = 0;

  /// Reverses Wrap. Returns key_mismatch when the blob was not made by this master key with this
  /// context, corruption when it is malformed.
  virtual Result<SecretBytes> Unwrap(std::string_view wrapped, std::string_view context) = 0;
};

/// Parses a key-source spec and opens that source:
///   file:PATH   a 32-byte key file; refused if it is readable or writable by group or others.
///   pkcs11:token=LABEL;object=KEYLABEL[?module-path=SO&pin-env=VAR]
///               an AES-256 key in a PKCS#11 token. module-path defaults to $SEVER_PKCS11_MODULE,
///               else /usr/lib/softhsm/libsofthsm2.so; the user PIN is read from the environment
///               variable pin-env names (default SEVER_PKCS11_PIN).
/// Returns invalid_argument for an unknown scheme or malformed spec, not_found when the key does
/// not exist.
Result<std::unique_ptr<KeySource>> open_key_source(const std::string& spec);

/// Creates a new master key for the spec, then opens it. file: writes 32 random bytes with mode
/// 0600 (exclusive create: refuses an existing file); pkcs11: generates a non-extractable,
/// sensitive AES-256 token key with the label (refuses an existing label).
Result<std::unique_ptr<KeySource>> create_key_source(const std::string& spec);

}  // namespace sever

// Test support: a fresh SoftHSM2 token in a temporary directory.
//
//   sever::testing::SoftHsmToken token;           // label "sever-test", PIN "1234"
//   ASSERT_TRUE(token.ok()) << token.error();
//   std::string spec = token.spec("master");      // pkcs11:token=sever-test;object=master?...
//
// The constructor makes TMP=$TMPDIR/sever-softhsm-XXXXXX (default /tmp), writes TMP/softhsm2.conf
// (directories.tokendir = TMP/tokens, objectstore.backend = file, log.level = ERROR), sets
// SOFTHSM2_CONF to it, runs `softhsm2-util --init-token --free --label L --pin P --so-pin S`
// (output captured in TMP/softhsm2-util.log and quoted on failure) and sets the PIN variable
// (default SEVER_PKCS11_PIN) to the PIN. Child processes (e.g. the `sever` CLI under test)
// inherit both variables, so `token.spec(key)` works as a --key spec there too.
//
// softhsm2 is a declared test dependency: if softhsm2-util is missing or fails, the constructor
// records a GoogleTest failure (ADD_FAILURE) and ok() is false; it never skips.
//
// SoftHSM2 reads SOFTHSM2_CONF in C_Initialize. sever finalizes the module when its last key
// source closes, so close every key source of a token before the next token is made. The
// variables are process-wide: keep one SoftHsmToken alive at a time. The destructor restores
// both variables to their previous values and removes the directory.
#pragma once

#include <optional>
#include <string>

namespace sever::testing {

/// A freshly initialized SoftHSM2 token in its own temporary directory (see the file comment).
class SoftHsmToken {
 public:
  /// The module that SoftHsmToken::spec() names.
  static constexpr const char* kModulePath = "/usr/lib/softhsm/libsofthsm2.so";

  /// Creates the directory, config and token, and sets SOFTHSM2_CONF and `pin_env`. On failure
  /// records a test failure; ok() is false and error() says why.
  explicit SoftHsmToken(std::string label = "sever-test", std::string pin = "1234",
                        std::string so_pin = "5678", std::string pin_env = "SEVER_PKCS11_PIN");
  /// Restores SOFTHSM2_CONF and the PIN variable, then removes the directory.
  ~SoftHsmToken();
  SoftHsmToken(const SoftHsmToken&) = delete;
  SoftHsmToken& operator=(const SoftHsmToken&) = delete;

  /// Returns true iff the token was created and the variables are set.
  bool ok() const { return error_.empty(); }
  /// Returns why setup failed, or "" when ok().
  const std::string& error() const { return error_; }

  /// Returns `pkcs11:token=LABEL;object=KEY_LABEL?module-path=kModulePath&pin-env=PIN_ENV`, the
  /// labels percent-encoded (so any label is safe).
  std::string spec(const std::string& key_label) const;

  const std::string& label() const { return label_; }
  const std::string& pin() const { return pin_; }
  const std::string& pin_env() const { return pin_env_; }
  /// Returns the temporary directory (empty if it could not be made).
  const std::string& dir() const { return dir_; }
  /// Returns the path SOFTHSM2_CONF is set to.
  std::string conf_path() const { return dir_ + "/softhsm2.conf"; }

 private:
  /// Runs every setup step; returns "" or the first failure.
  std::string set_up(const std::string& so_pin);
  /// Runs softhsm2-util --init-token; returns "" or the failure with the tool's output.
  std::string init_token(const std::string& so_pin) const;

  std::string label_;
  std::string pin_;
  std::string pin_env_;
  std::string dir_;
  std::string error_;
  std::optional<std::string> old_conf_;  // SOFTHSM2_CONF before; nullopt if it was unset
  std::optional<std::string> old_pin_;   // the PIN variable before; nullopt if it was unset
};

}  // namespace sever::testing

// Tests of parsing a pkcs11: master-key spec (no token needed).
#include "pkcs11_key_source.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "support/scoped_env.h"

namespace {

using sever::Code;
using sever::Result;
using sever::detail::parse_pkcs11_spec;
using sever::detail::Pkcs11Spec;
using sever::testing::ScopedEnv;

}  // namespace

// ------------------------------------------------------------------------------------------
// Spec parsing (no token needed)

TEST(Pkcs11SpecTest, ParsesEveryAttribute) {
  const std::string spec =
      "pkcs11:token=my%20token;object=master%3Bkey?module-path=/opt/hsm/lib.so&pin-env=HSM_PIN";
  Result<Pkcs11Spec> p = parse_pkcs11_spec(spec);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->spec, spec);
  EXPECT_EQ(p->token_label, "my token");
  EXPECT_EQ(p->key_label, "master;key");
  EXPECT_EQ(p->module_path, "/opt/hsm/lib.so");
  EXPECT_EQ(p->pin_env, "HSM_PIN");
}

TEST(Pkcs11SpecTest, AttributesInAnyOrder) {
  Result<Pkcs11Spec> p = parse_pkcs11_spec("pkcs11:object=k;token=t?pin-env=P&module-path=/m.so");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->token_label, "t");
  EXPECT_EQ(p->key_label, "k");
  EXPECT_EQ(p->module_path, "/m.so");
  EXPECT_EQ(p->pin_env, "P");
}

TEST(Pkcs11SpecTest, DefaultsWithoutModuleVariable) {
  ScopedEnv module("SEVER_PKCS11_MODULE", std::nullopt);
  Result<Pkcs11Spec> p = parse_pkcs11_spec("pkcs11:token=t;object=k");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->module_path, "/usr/lib/softhsm/libsofthsm2.so");
  EXPECT_EQ(p->pin_env, "SEVER_PKCS11_PIN");
  EXPECT_EQ(p->spec, "pkcs11:token=t;object=k");
}

TEST(Pkcs11SpecTest, ModuleDefaultsToEnvironmentVariable) {
  ScopedEnv module("SEVER_PKCS11_MODULE", "/opt/other/pkcs11.so");
  Result<Pkcs11Spec> p = parse_pkcs11_spec("pkcs11:token=t;object=k");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->module_path, "/opt/other/pkcs11.so");

  Result<Pkcs11Spec> explicit_path =
      parse_pkcs11_spec("pkcs11:token=t;object=k?module-path=/given.so");
  ASSERT_TRUE(explicit_path.ok()) << explicit_path.status().ToString();
  EXPECT_EQ(explicit_path->module_path, "/given.so");
}

TEST(Pkcs11SpecTest, ErrorsNameTheProblem) {
  struct Case {
    std::string spec;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"file:/tmp/key", "must start with 'pkcs11:'"},
      {"pkcs11:", "missing token="},
      {"pkcs11:object=k", "missing token="},
      {"pkcs11:token=t", "missing object="},
      {"pkcs11:token=t;object=k;foo=1", "unknown attribute 'foo'"},
      {"pkcs11:token=t;object=k?foo=1", "unknown attribute 'foo'"},
      {"pkcs11:token=t;token=u;object=k", "duplicate attribute 'token'"},
      {"pkcs11:token=t;object=k?pin-env=A&pin-env=B", "duplicate attribute 'pin-env'"},
      {"pkcs11:token=;object=k", "empty token="},
      {"pkcs11:token=t;object=k?module-path=", "empty module-path="},
      {"pkcs11:token=t;object", "attribute 'object' has no '='"},
      {"pkcs11:token=t?object=k", "attribute 'object' belongs before '?'"},
      {"pkcs11:token=t;object=k;pin-env=P", "attribute 'pin-env' belongs after '?'"},
      {"pkcs11:token=t;object=k?pin-value=secret", "pin-value is not accepted"},
      {"pkcs11:token=a%2;object=k", "bad percent escape in token="},
      {"pkcs11:token=a%zz;object=k", "bad percent escape in token="},
      {"pkcs11:token=" + std::string(33, 'x') + ";object=k", "longer than 32 bytes"},
      {"pkcs11:token=t;object=k?pin-env=1PIN", "not an environment variable name"},
  };
  for (const Case& c : cases) {
    Result<Pkcs11Spec> p = parse_pkcs11_spec(c.spec);
    ASSERT_FALSE(p.ok()) << c.spec;
    EXPECT_EQ(p.status().code(), Code::invalid_argument) << c.spec;
    EXPECT_NE(p.status().message().find("pkcs11 spec: "), std::string::npos) << c.spec;
    EXPECT_NE(p.status().message().find(c.message), std::string::npos)
        << c.spec << " -> " << p.status().message();
    EXPECT_EQ(p.status().message().find("secret"), std::string::npos) << "PIN echoed";
  }
}


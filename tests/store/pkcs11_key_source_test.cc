// Tests of the PKCS#11 master-key source against a fresh SoftHSM2 token per test.
#include "pkcs11_key_source.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sever/store/key_source.h"
#include "sever/store/secret.h"
#include "sever/store/status.h"
#include "support/scoped_env.h"
#include "support/softhsm.h"

// The store test target may not carry p11-kit's include directory (it is a private dependency
// of sever::store); fall back to the path under /usr/include.
#if __has_include(<p11-kit/pkcs11.h>)
#include <p11-kit/pkcs11.h>
#else
#include <p11-kit-1/p11-kit/pkcs11.h>
#endif

namespace {

using sever::Code;
using sever::KeySource;
using sever::Result;
using sever::SecretBytes;
using sever::testing::ScopedEnv;
using sever::detail::open_pkcs11_key_source;
using sever::detail::parse_pkcs11_spec;
using sever::detail::Pkcs11Spec;

constexpr size_t kBlobOverhead = 1 + 12 + 16;  // version || IV || ... || tag


/// Returns 32 distinct, recognizable key bytes.
SecretBytes test_key(uint8_t seed = 0x40) {
  SecretBytes k(32);
  for (size_t i = 0; i < k.size(); ++i) k.data()[i] = static_cast<uint8_t>(seed + 7 * i);
  return k;
}

/// Parses `spec` and opens (or creates) the source.
Result<std::unique_ptr<KeySource>> open_spec(const std::string& spec, bool create) {
  Result<Pkcs11Spec> parsed = parse_pkcs11_spec(spec);
  if (!parsed.ok()) return parsed.status();
  return open_pkcs11_key_source(*parsed, create);
}

}  // namespace

// ------------------------------------------------------------------------------------------
// Against a SoftHSM2 token

class Pkcs11KeySourceTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(token_.ok()) << token_.error(); }

  /// Opens (create=false) or creates the key `label` in the test token.
  Result<std::unique_ptr<KeySource>> open(const std::string& label, bool create) {
    return open_spec(token_.spec(label), create);
  }

  sever::testing::SoftHsmToken token_{"sever-test", "1234", "5678", "SEVER_PKCS11_PIN"};
};

TEST_F(Pkcs11KeySourceTest, CreateThenOpenFindsTheSameKey) {
  std::string blob;
  {
    auto created = open("master", /*create=*/true);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    EXPECT_EQ((*created)->spec(), token_.spec("master"));
    auto wrapped = (*created)->Wrap(test_key(), "store-1/dek-1");
    ASSERT_TRUE(wrapped.ok()) << wrapped.status().ToString();
    blob = *wrapped;
  }  // closes the source: the module is finalized and re-initialized below
  auto reopened = open("master", /*create=*/false);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto key = (*reopened)->Unwrap(blob, "store-1/dek-1");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->view(), test_key().view());
}

TEST_F(Pkcs11KeySourceTest, RoundTripReturnsExactlyTheBytes) {
  auto source = open("master", true);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  SecretBytes key = test_key(0x11);
  auto blob = (*source)->Wrap(key, "ctx");
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  ASSERT_EQ(blob->size(), kBlobOverhead + key.size());
  EXPECT_EQ(static_cast<uint8_t>((*blob)[0]), 0x01);
  EXPECT_EQ(blob->find(key.view()), std::string::npos) << "key bytes appear in the blob";

  auto back = (*source)->Unwrap(*blob, "ctx");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 32u);
  EXPECT_EQ(back->view(), key.view());

  auto again = (*source)->Wrap(key, "ctx");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_NE(*again, *blob) << "two wraps share an IV";
  EXPECT_NE(again->substr(1, 12), blob->substr(1, 12));
}

TEST_F(Pkcs11KeySourceTest, RoundTripOfOtherLengthsAndEmptyContext) {
  auto source = open("master", true);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  for (size_t n : {1u, 16u, 17u, 64u, 1000u}) {
    SecretBytes key(n);
    for (size_t i = 0; i < n; ++i) key.data()[i] = static_cast<uint8_t>(i * 13 + n);
    auto blob = (*source)->Wrap(key, "");
    ASSERT_TRUE(blob.ok()) << n << ": " << blob.status().ToString();
    EXPECT_EQ(blob->size(), kBlobOverhead + n);
    auto back = (*source)->Unwrap(*blob, "");
    ASSERT_TRUE(back.ok()) << n << ": " << back.status().ToString();
    EXPECT_EQ(back->view(), key.view()) << n;
  }
}

TEST_F(Pkcs11KeySourceTest, WrapRefusesAnEmptyKey) {
  auto source = open("master", true);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  auto blob = (*source)->Wrap(SecretBytes(), "ctx");
  ASSERT_FALSE(blob.ok());
  EXPECT_EQ(blob.status().code(), Code::invalid_argument);
}

TEST_F(Pkcs11KeySourceTest, DifferentContextIsKeyMismatch) {
  auto source = open("master", true);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  auto blob = (*source)->Wrap(test_key(), "store-1/dek-1");
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  for (const char* context : {"store-1/dek-2", "store-1/dek-1 ", "", "store-2/dek-1"}) {
    auto key = (*source)->Unwrap(*blob, context);
    ASSERT_FALSE(key.ok()) << context;
    EXPECT_EQ(key.status().code(), Code::key_mismatch) << key.status().ToString();
    EXPECT_NE(key.status().message().find("master key does not match"), std::string::npos)
        << key.status().message();
    EXPECT_NE(key.status().message().find("'sever-test'"), std::string::npos);
    EXPECT_NE(key.status().message().find("'master'"), std::string::npos);
  }
  // The failures leave the session usable.
  auto key = (*source)->Unwrap(*blob, "store-1/dek-1");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->view(), test_key().view());
}

TEST_F(Pkcs11KeySourceTest, DifferentTokenKeyIsKeyMismatch) {
  auto a = open("master-a", true);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = open("master-b", true);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  auto blob = (*a)->Wrap(test_key(), "ctx");
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  auto key = (*b)->Unwrap(*blob, "ctx");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), Code::key_mismatch) << key.status().ToString();
  EXPECT_NE(key.status().message().find("'master-b'"), std::string::npos);
  auto own = (*a)->Unwrap(*blob, "ctx");
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  EXPECT_EQ(own->view(), test_key().view());
}

TEST_F(Pkcs11KeySourceTest, EveryFlippedByteFails) {
  auto source = open("master", true);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  auto blob = (*source)->Wrap(test_key(), "ctx");
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  for (size_t i = 0; i < blob->size(); ++i) {
    std::string bad = *blob;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto key = (*source)->Unwrap(bad, "ctx");
    ASSERT_FALSE(key.ok()) << "byte " << i;
    // Byte 0 is the version: a different one is corruption; the rest fail GCM authentication.
    EXPECT_EQ(key.status().code(), i == 0 ? Code::corruption : Code::key_mismatch)
        << "byte " << i << ": " << key.status().ToString();
  }
}

TEST_F(Pkcs11KeySourceTest, MalformedBlobIsCorruption) {
  auto source = open("master", true);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  auto blob = (*source)->Wrap(test_key(), "ctx");
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  for (size_t n : {size_t{0}, size_t{1}, size_t{13}, kBlobOverhead}) {
    auto key = (*source)->Unwrap(blob->substr(0, n), "ctx");
    ASSERT_FALSE(key.ok()) << n;
    EXPECT_EQ(key.status().code(), Code::corruption) << n << ": " << key.status().ToString();
  }
  // Truncated but still long enough to parse: the tag no longer matches.
  auto truncated = (*source)->Unwrap(blob->substr(0, blob->size() - 1), "ctx");
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), Code::key_mismatch) << truncated.status().ToString();
}

TEST_F(Pkcs11KeySourceTest, CreateOnAnExistingLabelIsAlreadyExists) {
  {
    auto first = open("master", true);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    auto while_open = open("master", true);
    ASSERT_FALSE(while_open.ok());
    EXPECT_EQ(while_open.status().code(), Code::already_exists);
  }
  auto again = open("master", true);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::already_exists) << again.status().ToString();
  EXPECT_NE(again.status().message().find("'master'"), std::string::npos);
  EXPECT_NE(again.status().message().find("'sever-test'"), std::string::npos);
}

TEST_F(Pkcs11KeySourceTest, OpenOfAMissingLabelIsNotFound) {
  auto other = open("other", true);  // the token holds a key, just not this one
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  auto missing = open("master", false);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::not_found) << missing.status().ToString();
  EXPECT_NE(missing.status().message().find("'master'"), std::string::npos);
  EXPECT_NE(missing.status().message().find("'sever-test'"), std::string::npos);
}

TEST_F(Pkcs11KeySourceTest, MissingTokenIsNotFound) {
  auto source = open_spec("pkcs11:token=no-such-token;object=master?module-path=" +
                              std::string(sever::testing::SoftHsmToken::kModulePath),
                          false);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), Code::not_found) << source.status().ToString();
  EXPECT_NE(source.status().message().find("'no-such-token'"), std::string::npos);
}

TEST_F(Pkcs11KeySourceTest, MissingModuleFails) {
  auto source =
      open_spec("pkcs11:token=sever-test;object=master?module-path=/no/such/p11.so", false);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), Code::crypto_error);
  EXPECT_NE(source.status().message().find("/no/such/p11.so"), std::string::npos);
}

TEST_F(Pkcs11KeySourceTest, MissingPinVariableIsNamed) {
  ScopedEnv unset("SEVER_TEST_UNSET_PIN", std::nullopt);
  auto source = open_spec(
      "pkcs11:token=sever-test;object=master?pin-env=SEVER_TEST_UNSET_PIN&"
      "module-path=" +
          std::string(sever::testing::SoftHsmToken::kModulePath),
      true);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), Code::invalid_argument) << source.status().ToString();
  EXPECT_NE(source.status().message().find("SEVER_TEST_UNSET_PIN"), std::string::npos)
      << source.status().message();
  EXPECT_NE(source.status().message().find("not set"), std::string::npos);
}

TEST_F(Pkcs11KeySourceTest, DefaultPinVariableIsUsed) {
  ScopedEnv module("SEVER_PKCS11_MODULE", sever::testing::SoftHsmToken::kModulePath);
  auto source = open_spec("pkcs11:token=sever-test;object=master", true);
  ASSERT_TRUE(source.ok()) << source.status().ToString();

  ScopedEnv pin("SEVER_PKCS11_PIN", std::nullopt);
  auto without = open_spec("pkcs11:token=sever-test;object=master2", true);
  ASSERT_FALSE(without.ok());
  EXPECT_NE(without.status().message().find("SEVER_PKCS11_PIN"), std::string::npos);
}

TEST_F(Pkcs11KeySourceTest, WrongPinIsRefused) {
  ScopedEnv wrong("SEVER_TEST_WRONG_PIN", "999999");
  auto source = open_spec(
      "pkcs11:token=sever-test;object=master?pin-env=SEVER_TEST_WRONG_PIN&"
      "module-path=" +
          std::string(sever::testing::SoftHsmToken::kModulePath),
      true);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), Code::refused) << source.status().ToString();
  EXPECT_NE(source.status().message().find("CKR_PIN_INCORRECT"), std::string::npos)
      << source.status().message();
  EXPECT_NE(source.status().message().find("SEVER_TEST_WRONG_PIN"), std::string::npos);
  EXPECT_EQ(source.status().message().find("999999"), std::string::npos) << "PIN echoed";

  // Nothing was created: the right PIN finds no key.
  auto right = open("master", false);
  ASSERT_FALSE(right.ok());
  EXPECT_EQ(right.status().code(), Code::not_found);
}

TEST_F(Pkcs11KeySourceTest, TwoSourcesOnOneKeyCoexist) {
  auto created = open("master", true);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto second = open("master", false);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  auto blob = (*created)->Wrap(test_key(), "ctx");
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  created.value().reset();  // closing one source must not finalize the module under the other
  auto key = (*second)->Unwrap(*blob, "ctx");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->view(), test_key().view());
}

TEST_F(Pkcs11KeySourceTest, ConcurrentWrapAndUnwrap) {
  auto source = open("master", true);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  KeySource* ks = source->get();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([ks, t, &failures] {
      for (int i = 0; i < 40; ++i) {
        SecretBytes key = test_key(static_cast<uint8_t>(t * 40 + i));
        std::string context = "t" + std::to_string(t) + "/" + std::to_string(i);
        auto blob = ks->Wrap(key, context);
        if (!blob.ok()) {
          ++failures;
          continue;
        }
        auto back = ks->Unwrap(*blob, context);
        if (!back.ok() || back->view() != key.view()) ++failures;
        auto wrong = ks->Unwrap(*blob, context + "x");
        if (wrong.ok() || wrong.status().code() != Code::key_mismatch) ++failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

// ------------------------------------------------------------------------------------------
// The key's attributes, read through our own PKCS#11 session (not through the code under test)

namespace {

/// What the test reads of the token key.
struct KeyFacts {
  CK_BBOOL extractable = CK_TRUE, never_extractable = CK_FALSE;
  CK_BBOOL sensitive = CK_FALSE, always_sensitive = CK_FALSE;
  CK_BBOOL token = CK_FALSE, is_private = CK_FALSE;
  CK_KEY_TYPE key_type = 0;
  CK_ULONG value_len = 0;
  CK_RV value_rv = CKR_OK;  // C_GetAttributeValue(CKA_VALUE)
};

/// Logs into the token labelled `label` with `pin` and reads the attributes of secret key
/// `key_label`.
void read_key_facts(const std::string& label, const std::string& pin, const std::string& key_label,
                    KeyFacts* facts) {
  void* dl = dlopen(sever::testing::SoftHsmToken::kModulePath, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(dl, nullptr) << dlerror();
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(dl, "C_GetFunctionList"));
  ASSERT_NE(get_list, nullptr);
  CK_FUNCTION_LIST_PTR f = nullptr;
  ASSERT_EQ(get_list(&f), CKR_OK);
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  CK_RV init_rv = f->C_Initialize(&args);
  ASSERT_TRUE(init_rv == CKR_OK || init_rv == CKR_CRYPTOKI_ALREADY_INITIALIZED);

  CK_ULONG n = 0;
  ASSERT_EQ(f->C_GetSlotList(CK_TRUE, nullptr, &n), CKR_OK);
  std::vector<CK_SLOT_ID> slots(n);
  ASSERT_EQ(f->C_GetSlotList(CK_TRUE, slots.data(), &n), CKR_OK);
  std::optional<CK_SLOT_ID> slot;
  for (CK_ULONG i = 0; i < n; ++i) {
    CK_TOKEN_INFO info{};
    ASSERT_EQ(f->C_GetTokenInfo(slots[i], &info), CKR_OK);
    std::string padded = label + std::string(sizeof info.label - label.size(), ' ');
    if (std::memcmp(info.label, padded.data(), sizeof info.label) == 0) slot = slots[i];
  }
  ASSERT_TRUE(slot.has_value()) << "token " << label;

  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  ASSERT_EQ(f->C_OpenSession(*slot, CKF_SERIAL_SESSION, nullptr, nullptr, &session), CKR_OK);
  std::string pin_copy = pin;
  CK_RV login_rv = f->C_Login(session, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(pin_copy.data()),
                              pin_copy.size());
  ASSERT_TRUE(login_rv == CKR_OK || login_rv == CKR_USER_ALREADY_LOGGED_IN) << login_rv;

  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  std::string key_label_copy = key_label;
  CK_ATTRIBUTE find[] = {{CKA_CLASS, &cls, sizeof cls},
                         {CKA_LABEL, key_label_copy.data(), key_label_copy.size()}};
  ASSERT_EQ(f->C_FindObjectsInit(session, find, 2), CKR_OK);
  CK_OBJECT_HANDLE keys[2];
  CK_ULONG found = 0;
  ASSERT_EQ(f->C_FindObjects(session, keys, 2, &found), CKR_OK);
  ASSERT_EQ(f->C_FindObjectsFinal(session), CKR_OK);
  ASSERT_EQ(found, 1u);

  CK_ATTRIBUTE attrs[] = {
      {CKA_EXTRACTABLE, &facts->extractable, sizeof(CK_BBOOL)},
      {CKA_NEVER_EXTRACTABLE, &facts->never_extractable, sizeof(CK_BBOOL)},
      {CKA_SENSITIVE, &facts->sensitive, sizeof(CK_BBOOL)},
      {CKA_ALWAYS_SENSITIVE, &facts->always_sensitive, sizeof(CK_BBOOL)},
      {CKA_TOKEN, &facts->token, sizeof(CK_BBOOL)},
      {CKA_PRIVATE, &facts->is_private, sizeof(CK_BBOOL)},
      {CKA_KEY_TYPE, &facts->key_type, sizeof(CK_KEY_TYPE)},
      {CKA_VALUE_LEN, &facts->value_len, sizeof(CK_ULONG)},
  };
  ASSERT_EQ(f->C_GetAttributeValue(session, keys[0], attrs, sizeof attrs / sizeof attrs[0]),
            CKR_OK);
  unsigned char value[64];
  CK_ATTRIBUTE value_attr = {CKA_VALUE, value, sizeof value};
  facts->value_rv = f->C_GetAttributeValue(session, keys[0], &value_attr, 1);

  EXPECT_EQ(f->C_CloseSession(session), CKR_OK);
  if (init_rv == CKR_OK) {
    EXPECT_EQ(f->C_Finalize(nullptr), CKR_OK);
  }
  dlclose(dl);
}

}  // namespace

TEST_F(Pkcs11KeySourceTest, KeyIsSensitiveAndNonExtractable) {
  {
    auto source = open("master", true);
    ASSERT_TRUE(source.ok()) << source.status().ToString();
  }
  KeyFacts facts;
  ASSERT_NO_FATAL_FAILURE(read_key_facts(token_.label(), token_.pin(), "master", &facts));
  EXPECT_EQ(facts.extractable, CK_FALSE);
  EXPECT_EQ(facts.never_extractable, CK_TRUE);
  EXPECT_EQ(facts.sensitive, CK_TRUE);
  EXPECT_EQ(facts.always_sensitive, CK_TRUE);
  EXPECT_EQ(facts.token, CK_TRUE);
  EXPECT_EQ(facts.is_private, CK_TRUE);
  EXPECT_EQ(facts.key_type, static_cast<CK_KEY_TYPE>(CKK_AES));
  EXPECT_EQ(facts.value_len, 32u);
  EXPECT_EQ(facts.value_rv, static_cast<CK_RV>(CKR_ATTRIBUTE_SENSITIVE));
}

TEST_F(Pkcs11KeySourceTest, KeyAttributesReadableWhileASourceIsOpen) {
  // The module is already initialized by the open source: the reader must cope, and the
  // source must keep working after the reader's session closes.
  auto source = open("master", true);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  KeyFacts facts;
  ASSERT_NO_FATAL_FAILURE(read_key_facts(token_.label(), token_.pin(), "master", &facts));
  EXPECT_EQ(facts.value_rv, static_cast<CK_RV>(CKR_ATTRIBUTE_SENSITIVE));
  auto blob = (*source)->Wrap(test_key(), "ctx");
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  auto key = (*source)->Unwrap(*blob, "ctx");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
}

// ------------------------------------------------------------------------------------------
// Through the public entry points of key_source.h

TEST_F(Pkcs11KeySourceTest, PublicCreateAndOpenDispatchToPkcs11) {
  const std::string spec = token_.spec("master");
  std::string blob;
  {
    auto created = sever::create_key_source(spec);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    EXPECT_EQ((*created)->spec(), spec);
    auto wrapped = (*created)->Wrap(test_key(), "ctx");
    ASSERT_TRUE(wrapped.ok()) << wrapped.status().ToString();
    blob = *wrapped;
  }
  auto again = sever::create_key_source(spec);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), Code::already_exists);

  auto opened = sever::open_key_source(spec);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto key = (*opened)->Unwrap(blob, "ctx");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->view(), test_key().view());

  auto missing = sever::open_key_source(token_.spec("absent"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::not_found);
  auto bad = sever::open_key_source("pkcs11:object=master");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::invalid_argument);
}

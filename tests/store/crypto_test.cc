#include "sever/store/crypto.h"

#include <gtest/gtest.h>

#include <memory>
#include <unordered_set>

#include "sever/store/record.h"

namespace sever {
namespace {

SecretBytes key_of(char c) { return SecretBytes(std::string(32, c)); }

TEST(Aead, SealOpenRoundTrip) {
  auto aead = crypto::Aead::Create(key_of('k'));
  ASSERT_TRUE(aead.ok());
  std::string blob;
  ASSERT_TRUE(aead->Seal("gho_secret", "aad", &blob).ok());
  EXPECT_EQ(blob.size(), 10 + crypto::kSealOverhead);
  EXPECT_EQ(blob.find("gho_secret"), std::string::npos);
  SecretBytes out;
  ASSERT_TRUE(aead->Open(blob, "aad", &out).ok());
  EXPECT_EQ(out.view(), "gho_secret");
}

// Each direction is keyed on first use, from the Aead's own copy of the key.
TEST(Aead, OpensFirstThenSealsAfterItsKeyBufferIsGone) {
  std::string sealed_elsewhere;
  {
    auto other = crypto::Aead::Create(key_of('k'));
    ASSERT_TRUE(other->Seal("first", "aad", &sealed_elsewhere).ok());
  }
  auto key = std::make_unique<SecretBytes>(key_of('k'));
  auto aead = crypto::Aead::Create(*key);
  ASSERT_TRUE(aead.ok());
  key.reset();  // zeroized and freed: the Aead must not depend on it
  SecretBytes out;
  ASSERT_TRUE(aead->Open(sealed_elsewhere, "aad", &out).ok());
  EXPECT_EQ(out.view(), "first");
  std::string blob;
  ASSERT_TRUE(aead->Seal("second", "aad", &blob).ok());
  auto check = crypto::Aead::Create(key_of('k'));
  ASSERT_TRUE(check->Open(blob, "aad", &out).ok());
  EXPECT_EQ(out.view(), "second");
  auto wrong = crypto::Aead::Create(key_of('w'));
  EXPECT_EQ(wrong->Open(blob, "aad", &out).code(), Code::corruption);
}

TEST(Aead, RejectsWrongKeySize) {
  auto r = crypto::Aead::Create(SecretBytes(std::string(16, 'x')));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::invalid_argument);
}

TEST(Aead, EveryFlippedByteIsRefused) {
  auto aead = crypto::Aead::Create(key_of('k'));
  std::string blob;
  ASSERT_TRUE(aead->Seal("secret-value", "aad", &blob).ok());
  for (size_t i = 0; i < blob.size(); ++i) {
    std::string bad = blob;
    bad[i] ^= 0x01;
    SecretBytes out;
    Status s = aead->Open(bad, "aad", &out);
    EXPECT_EQ(s.code(), Code::corruption) << "byte " << i;
    EXPECT_TRUE(out.empty());
  }
}

TEST(Aead, TruncatedBlobIsCorruption) {
  auto aead = crypto::Aead::Create(key_of('k'));
  SecretBytes out;
  EXPECT_EQ(aead->Open(std::string(27, 'x'), "aad", &out).code(), Code::corruption);
}

TEST(Aead, WrongKeyIsRefused) {
  auto a = crypto::Aead::Create(key_of('a'));
  auto b = crypto::Aead::Create(key_of('b'));
  std::string blob;
  ASSERT_TRUE(a->Seal("s", "aad", &blob).ok());
  SecretBytes out;
  EXPECT_EQ(b->Open(blob, "aad", &out).code(), Code::corruption);
}

TEST(Aead, BlobMovedToAnotherRowOrTenantOrVersionIsRefused) {
  auto aead = crypto::Aead::Create(key_of('k'));
  std::string blob;
  ASSERT_TRUE(aead->Seal("xoxb-1", secret_aad("acme", "c1", 1), &blob).ok());
  SecretBytes out;
  EXPECT_TRUE(aead->Open(blob, secret_aad("acme", "c1", 1), &out).ok());
  EXPECT_EQ(aead->Open(blob, secret_aad("acme", "c2", 1), &out).code(), Code::corruption);
  EXPECT_EQ(aead->Open(blob, secret_aad("beta", "c1", 1), &out).code(), Code::corruption);
  EXPECT_EQ(aead->Open(blob, secret_aad("acme", "c1", 2), &out).code(), Code::corruption);
}

TEST(Aead, AadIsUnambiguous) {
  // Length prefixes keep ("ab","c") and ("a","bc") apart.
  EXPECT_NE(secret_aad("ab", "c", 1), secret_aad("a", "bc", 1));
}

TEST(Aead, NoNonceRepeatsAcrossAMillionSeals) {
  auto aead = crypto::Aead::Create(key_of('k'));
  std::unordered_set<std::string> nonces;
  nonces.reserve(1'000'000);
  std::string blob;
  for (int i = 0; i < 1'000'000; ++i) {
    blob.clear();
    ASSERT_TRUE(aead->Seal("x", "", &blob).ok());
    ASSERT_TRUE(nonces.insert(blob.substr(0, crypto::kNonceBytes)).second) << "seal " << i;
  }
}

TEST(Crypto, HmacAndHashAreDeterministic) {
  auto k = key_of('h');
  EXPECT_EQ(crypto::hmac_sha256(k, "m"), crypto::hmac_sha256(k, "m"));
  EXPECT_NE(crypto::hmac_sha256(k, "m"), crypto::hmac_sha256(key_of('i'), "m"));
  EXPECT_EQ(crypto::to_hex(crypto::sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Secret, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(Secret, CleanseWipesBytesPastTheSize) {
  std::string s = "short-secret";  // fits the inline buffer
  char* p = s.data();
  s.resize(3);                      // size shrinks; the bytes stay in the buffer
  cleanse(s);
  EXPECT_TRUE(s.empty());
  for (int i = 0; i < 12; ++i) EXPECT_EQ(p[i], '\0') << i;
}

TEST(Secret, MoveLeavesSourceEmptyAndCloneIsIndependent) {
  SecretBytes a(std::string_view("key"));
  SecretBytes b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT: checking the moved-from state on purpose
  SecretBytes c = b.clone();
  c.data()[0] = 'X';
  EXPECT_EQ(b.view(), "key");
  b.clear();
  EXPECT_TRUE(b.empty());
}

}  // namespace
}  // namespace sever

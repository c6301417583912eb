// Tests of the request helpers of http.h: the URL policy and the encodings adapters rely on.
#include "sever/providers/http.h"

#include <gtest/gtest.h>

namespace sever::providers {
namespace {

TEST(IsAllowedUrl, HttpsAnywhere) {
  EXPECT_TRUE(is_allowed_url("https://api.github.com"));
  EXPECT_TRUE(is_allowed_url("https://10.0.0.1/revoke"));
  EXPECT_FALSE(is_allowed_url("https://"));
}

TEST(IsAllowedUrl, PlainHttpOnlyToLoopback) {
  EXPECT_TRUE(is_allowed_url("http://127.0.0.1:18080/github"));
  EXPECT_TRUE(is_allowed_url("http://127.1.2.3/x"));
  EXPECT_TRUE(is_allowed_url("http://localhost:8080/x"));
  EXPECT_TRUE(is_allowed_url("http://[::1]:8080/x"));
  EXPECT_FALSE(is_allowed_url("http://10.0.0.1/revoke"));
  EXPECT_FALSE(is_allowed_url("http://127.0.0.1.evil.example/x"));
  EXPECT_FALSE(is_allowed_url("http://localhost.evil.example/x"));
  EXPECT_FALSE(is_allowed_url("http://[::2]/x"));
  EXPECT_FALSE(is_allowed_url("http://128.0.0.1/x"));
}

TEST(IsAllowedUrl, OtherSchemesRefused) {
  EXPECT_FALSE(is_allowed_url("ftp://127.0.0.1/x"));
  EXPECT_FALSE(is_allowed_url("HTTPS://api.github.com"));
  EXPECT_FALSE(is_allowed_url("api.github.com"));
  EXPECT_FALSE(is_allowed_url(""));
}

TEST(PercentEncode, KeepsUnreservedEscapesTheRest) {
  EXPECT_EQ(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(percent_encode("a b+c/d=e&f"), "a%20b%2Bc%2Fd%3De%26f");
  EXPECT_EQ(percent_encode("\xc3\xa9"), "%C3%A9");
  EXPECT_EQ(percent_encode(std::string_view("\0", 1)), "%00");
  EXPECT_EQ(percent_encode(""), "");
}

TEST(FormEncode, JoinsEncodedPairsInOrder) {
  EXPECT_EQ(form_encode({{"token", "a+b"}, {"token_type_hint", "refresh_token"}}),
            "token=a%2Bb&token_type_hint=refresh_token");
  EXPECT_EQ(form_encode({}), "");
  EXPECT_EQ(form_encode({{"k", ""}}), "k=");
}

TEST(BasicAuth, Base64OfUserColonPassword) {
  EXPECT_EQ(basic_auth("cid", "s3cret"), "Basic Y2lkOnMzY3JldA==");
  EXPECT_EQ(basic_auth("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(basic_auth("", ""), "Basic Og==");
}

}  // namespace
}  // namespace sever::providers

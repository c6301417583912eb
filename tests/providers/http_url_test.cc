#include <gtest/gtest.h>

#include "sever/providers/http.h"

namespace sever::providers {
namespace {

TEST(AllowedUrl, UserInfoCannotHideARemoteHost) {
  EXPECT_FALSE(is_allowed_url("http://127.0.0.1:80@10.1.2.3/revoke"));
  EXPECT_FALSE(is_allowed_url("http://localhost:1@evil.example/"));
  EXPECT_FALSE(is_allowed_url("http://user@127.0.0.1/"));
  EXPECT_TRUE(is_allowed_url("http://127.0.0.1:8080/path?x=a@b"));  // '@' past the authority
}

}  // namespace
}  // namespace sever::providers

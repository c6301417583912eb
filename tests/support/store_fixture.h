// A fresh store in a temporary directory, with helpers to write credentials into it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "sever/store/store.h"
#include "support/temp_dir.h"

namespace sever::testing {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.data_dir = dir_ / "data";
    options_.key_source = "file:" + (dir_ / "data.key");
    auto r = Store::Create(options_, "test");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    store_ = std::move(r).value();
  }

  /// Closes and reopens the store.
  void Reopen() {
    store_.reset();
    auto r = Store::Open(options_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    store_ = std::move(r).value();
  }

  /// Returns a credential to Put.
  static NewCredential Cred(const std::string& tenant, const std::string& id,
                            const std::string& secret, const std::string& tool = "github",
                            const std::string& user = "alice@example.com") {
    NewCredential c;
    c.meta.tenant = tenant;
    c.meta.id = id;
    c.meta.tool = tool;
    c.meta.kind = Kind::oauth_access;
    c.meta.user = user;
    c.meta.scopes = {"repo"};
    c.meta.created_at = 1'700'000'000;
    c.secret = SecretBytes(secret);
    return c;
  }

  TempDir dir_;
  StoreOptions options_;
  std::unique_ptr<Store> store_;
};

}  // namespace sever::testing

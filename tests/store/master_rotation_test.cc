// Master-key rotation (file to file, file to PKCS#11, PKCS#11 to PKCS#11), on a real store on disk.
#include <filesystem>

#include "import_keys.h"
#include "rotation_fixture.h"
#include "sever/store/time.h"
#include "support/softhsm.h"

namespace sever {
namespace {

using testing::RotationTest;
using testing::count;

TEST_F(RotationTest, MasterRotationFileToFileNeedsOnlyTheNewKey) {
  Fill("acme", 3);
  Rotate(RotationScope::tenant, "acme");  // v1 destroyed, v2 primary
  Fill("beta", 2);
  const std::string old_key = options_.key_source.substr(5);
  const std::string next = "file:" + (dir_ / "next.key");
  auto m = rotate_master(*store_, next, "test");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->deks, 2u);  // acme v2 and beta v1; the destroyed v1 has nothing to re-wrap
  EXPECT_EQ(m->from, options_.key_source);
  EXPECT_EQ(store_->key_source().spec(), next);
  EXPECT_EQ(Deks("acme")[2].kek_version, 2u);
  // The live store goes on: new tenants and reads work under the new key.
  ASSERT_TRUE(store_->Put(Cred("gamma", "c1", "g"), false, "t").ok());
  EXPECT_EQ(Secret("acme", "c0002"), "acme-c0002");
  store_.reset();
  std::filesystem::remove(old_key);
  auto reopened = Store::Open(options_);  // the old spec: its file is gone
  ASSERT_FALSE(reopened.ok());
  EXPECT_NE(reopened.status().message().find("--key-source " + next), std::string::npos)
      << reopened.status().ToString();
  options_.key_source = next;
  Reopen();
  EXPECT_EQ(Secret("acme", "c0000"), "acme-c0000");
  EXPECT_EQ(Secret("beta", "c0001"), "beta-c0001");
  EXPECT_EQ(Secret("gamma", "c1"), "g");
  auto verdict = store_->audit().Verify();
  ASSERT_TRUE(verdict.ok());
  EXPECT_FALSE(verdict->first_bad.has_value()) << verdict->problem;
  EXPECT_EQ(count(Actions(), "master.rotate"), 1u);
}

TEST_F(RotationTest, MasterRotationToTheSameKeyIsRefused) {
  EXPECT_EQ(rotate_master(*store_, options_.key_source, "t").status().code(), Code::invalid_argument);
}

TEST_F(RotationTest, AnImportThatWrappedADekUnderTheOldMasterKeyDoesNotCommit) {
  detail::ImportKeys keys(*store_, "import", now_unix());
  ASSERT_TRUE(keys.Get("newcomer", 1).ok());  // a new DEK wrapped under the current master key
  ASSERT_TRUE(rotate_master(*store_, "file:" + (dir_ / "next.key"), "t").ok());
  EXPECT_EQ(keys.StillCurrent().code(), Code::refused);
}

TEST(MasterRotationPkcs11, FileToPkcs11ToAnotherPkcs11Key) {
  testing::SoftHsmToken token;
  ASSERT_TRUE(token.ok()) << token.error();
  testing::TempDir dir;
  StoreOptions o;
  o.data_dir = dir / "data";
  o.key_source = "file:" + (dir / "data.key");
  {
    auto store = Store::Create(o, "t");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (const char* t : {"acme", "beta"}) {
      NewCredential c;
      c.meta.tenant = t;
      c.meta.id = "c1";
      c.meta.tool = "github";
      c.meta.kind = Kind::pat;
      c.meta.created_at = 1'700'000'000;
      c.secret = SecretBytes(std::string("secret-") + t);
      ASSERT_TRUE((*store)->Put(std::move(c), false, "t").ok());
    }
    auto m = rotate_master(**store, token.spec("master-1"), "t");
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(m->deks, 2u);
    m = rotate_master(**store, token.spec("master-2"), "t");
    ASSERT_TRUE(m.ok()) << m.status().ToString();
  }
  std::filesystem::remove(dir / "data.key");
  o.key_source = token.spec("master-1");
  auto wrong = Store::Open(o);
  EXPECT_EQ(wrong.status().code(), Code::key_mismatch);
  EXPECT_NE(wrong.status().message().find(token.spec("master-2")), std::string::npos);
  wrong = Result<std::unique_ptr<Store>>(Status::Internal("closed"));  // close its key source
  o.key_source = token.spec("master-2");
  auto store = Store::Open(o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (const char* t : {"acme", "beta"}) {
    auto s = (*store)->GetSecret(t, "c1", "t");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(s->view(), std::string("secret-") + t);
  }
}

}  // namespace
}  // namespace sever

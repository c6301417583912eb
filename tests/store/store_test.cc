#include "sever/store/store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "schema.h"
#include "support/store_fixture.h"

namespace sever {
namespace {

using testing::StoreTest;
using testing::TempDir;

TEST_F(StoreTest, PutThenGetSecretRoundTripsAcrossReopen) {
  ASSERT_TRUE(store_->Put(Cred("acme", "c1", "gho_one"), false, "t").ok());
  Reopen();
  auto s = store_->GetSecret("acme", "c1", "t");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->view(), "gho_one");
}

TEST_F(StoreTest, UnknownIdIsNotFound) {
  auto s = store_->GetSecret("acme", "nope", "t");
  EXPECT_EQ(s.status().code(), Code::not_found);
  EXPECT_EQ(exit_code(s.status()), 2);
}

TEST_F(StoreTest, GetRecordsReadsManyInOrderWithNotFoundInPlace) {
  ASSERT_TRUE(store_->Put(Cred("acme", "c1", "one", "github"), false, "t").ok());
  ASSERT_TRUE(store_->Put(Cred("beta", "c2", "two", "slack"), false, "t").ok());
  auto got = store_->GetRecords({{"beta", "c2"}, {"acme", "nope"}, {"acme", "c1"}});
  ASSERT_EQ(got.size(), 3u);
  ASSERT_TRUE(got[0].ok()) << got[0].status().ToString();
  EXPECT_EQ(got[0]->tenant, "beta");
  EXPECT_EQ(got[0]->tool, "slack");
  EXPECT_EQ(got[1].status().code(), Code::not_found);
  ASSERT_TRUE(got[2].ok());
  EXPECT_EQ(got[2]->id, "c1");
  EXPECT_EQ(got[2]->tool, "github");
  // The same record bytes GetRecord returns: the sealed secret opens.
  EXPECT_EQ(got[2]->sealed, store_->GetRecord("acme", "c1")->sealed);
  EXPECT_EQ(store_->OpenSealed(*got[2])->view(), "one");
  EXPECT_TRUE(store_->GetRecords({}).empty());
}

TEST_F(StoreTest, ExistingIdNeedsUpsertAndUpsertMovesIndexes) {
  ASSERT_TRUE(store_->Put(Cred("acme", "c1", "one", "github", "alice"), false, "t").ok());
  EXPECT_EQ(store_->Put(Cred("acme", "c1", "two"), false, "t").code(), Code::already_exists);
  ASSERT_TRUE(store_->Put(Cred("acme", "c1", "two", "slack", "bob"), true, "t").ok());
  EXPECT_EQ(store_->GetSecret("acme", "c1", "t")->view(), "two");
  std::string v;
  auto* db = store_->db();
  EXPECT_TRUE(db->Get({}, store_->cf(schema::kByTool), schema::tool_key("github", "acme", "c1"), &v)
                  .IsNotFound());
  EXPECT_TRUE(db->Get({}, store_->cf(schema::kByTool), schema::tool_key("slack", "acme", "c1"), &v).ok());
  EXPECT_TRUE(db->Get({}, store_->cf(schema::kByUser), schema::user_key("acme", "alice", "c1"), &v)
                  .IsNotFound());
  EXPECT_TRUE(db->Get({}, store_->cf(schema::kByUser), schema::user_key("acme", "bob", "c1"), &v).ok());
}

TEST_F(StoreTest, InvalidCredentialIsRefusedAndNothingWritten) {
  auto c = Cred("acme", "c1", "");
  Status s = store_->Put(std::move(c), false, "t");
  EXPECT_EQ(s.code(), Code::invalid_argument);
  EXPECT_NE(s.message().find("secret"), std::string::npos);
  EXPECT_EQ(store_->GetRecord("acme", "c1").status().code(), Code::not_found);
}

TEST_F(StoreTest, RevokedOrErasedSecretIsRefusedAndAudited) {
  auto c = Cred("acme", "r1", "gone");
  c.meta.state = State::revoked;
  ASSERT_TRUE(store_->Put(std::move(c), false, "t").ok());
  auto s = store_->GetSecret("acme", "r1", "t");
  EXPECT_EQ(s.status().code(), Code::refused);
  EXPECT_EQ(exit_code(s.status()), 3);
  std::vector<std::string> actions;
  ASSERT_TRUE(store_->audit().Tail(1, [&](const AuditEntry& e) { actions.push_back(e.event.action); }).ok());
  EXPECT_EQ(actions, std::vector<std::string>{"secret.read.refused"});

  ASSERT_TRUE(store_->Put(Cred("acme", "e1", "x"), false, "t").ok());
  auto rec = store_->GetRecord("acme", "e1");
  rec->sealed.clear();
  ASSERT_TRUE(store_->db()->Put({}, store_->cf(schema::kCreds), schema::cred_key("acme", "e1"),
                                encode_record(*rec)).ok());
  EXPECT_EQ(store_->GetSecret("acme", "e1", "t").status().code(), Code::refused);
}

TEST_F(StoreTest, SealedBlobMovedToAnotherRowFailsToOpen) {
  ASSERT_TRUE(store_->Put(Cred("acme", "c1", "one"), false, "t").ok());
  ASSERT_TRUE(store_->Put(Cred("acme", "c2", "two"), false, "t").ok());
  auto one = store_->GetRecord("acme", "c1");
  auto two = store_->GetRecord("acme", "c2");
  two->sealed = one->sealed;  // copy c1's ciphertext into c2's row
  ASSERT_TRUE(store_->db()->Put({}, store_->cf(schema::kCreds), schema::cred_key("acme", "c2"),
                                encode_record(*two)).ok());
  auto s = store_->GetSecret("acme", "c2", "t");
  EXPECT_EQ(s.status().code(), Code::corruption);
  EXPECT_NE(s.status().message().find("acme/c2"), std::string::npos);
}

TEST_F(StoreTest, EveryReadIsAuditedWithActorAndTarget) {
  ASSERT_TRUE(store_->Put(Cred("acme", "c1", "one"), false, "t").ok());
  const uint64_t before = store_->audit().head().seq;
  ASSERT_TRUE(store_->GetSecret("acme", "c1", "cli:alice").ok());
  ASSERT_TRUE(store_->GetSecret("acme", "c1", "cli:bob").ok());
  EXPECT_EQ(store_->audit().head().seq, before + 2);
  std::vector<AuditEntry> last;
  ASSERT_TRUE(store_->audit().Tail(2, [&](const AuditEntry& e) { last.push_back(e); }).ok());
  ASSERT_EQ(last.size(), 2u);
  EXPECT_EQ(last[0].event.actor, "cli:alice");
  EXPECT_EQ(last[1].event.actor, "cli:bob");
  EXPECT_EQ(last[1].event.action, "secret.read");
  EXPECT_EQ(last[1].event.target, "acme/c1");
}

TEST_F(StoreTest, ConcurrentWritersOfANewTenantShareOneDek) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto id = "c" + std::to_string(t) + "-" + std::to_string(i);
        ASSERT_TRUE(store_->Put(Cred("newco", id, "s" + id), false, "t").ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  auto keys = store_->keyring().List("newco");
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].version, 1u);
  EXPECT_EQ((*keys)[0].encryptions, 100u);
}

TEST_F(StoreTest, DekNearItsEncryptionLimitIsReplacedAndOldRecordsStillOpen) {
  ASSERT_TRUE(store_->Put(Cred("acme", "old", "old-secret"), false, "t").ok());
  // Push the counter of v1 to the limit.
  ASSERT_TRUE(store_->db()->Merge({}, store_->cf(schema::kDekCounters), schema::dek_key("acme", 1),
                                  Keyring::CounterDelta(kMaxEncryptionsPerDek)).ok());
  ASSERT_TRUE(store_->Put(Cred("acme", "new", "new-secret"), false, "t").ok());
  auto keys = store_->keyring().List("acme");
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].state, DekState::decrypt_only);
  EXPECT_EQ((*keys)[1].state, DekState::primary);
  EXPECT_EQ(store_->GetRecord("acme", "new")->dek_version, 2u);
  EXPECT_EQ(store_->GetSecret("acme", "old", "t")->view(), "old-secret");
  EXPECT_EQ(store_->GetSecret("acme", "new", "t")->view(), "new-secret");
}

TEST_F(StoreTest, TinyDekCacheStillOpensEverything) {
  store_.reset();
  options_.dek_cache_capacity = 1;
  Reopen();
  for (int t = 0; t < 5; ++t) {
    auto tenant = "t" + std::to_string(t);
    ASSERT_TRUE(store_->Put(Cred(tenant, "c", "secret-" + tenant), false, "t").ok());
  }
  for (int round = 0; round < 2; ++round) {
    for (int t = 0; t < 5; ++t) {
      auto tenant = "t" + std::to_string(t);
      EXPECT_EQ(store_->GetSecret(tenant, "c", "t")->view(), "secret-" + tenant);
    }
  }
}

TEST(StoreOpen, WrongMasterKeyIsKeyMismatch) {
  TempDir dir;
  StoreOptions a{dir / "a", "file:" + (dir / "a.key")};
  StoreOptions b{dir / "b", "file:" + (dir / "b.key")};
  ASSERT_TRUE(Store::Create(a, "t").ok());
  ASSERT_TRUE(Store::Create(b, "t").ok());
  StoreOptions wrong{a.data_dir, b.key_source};
  auto r = Store::Open(wrong);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::key_mismatch);
  EXPECT_NE(r.status().message().find("master key does not match this store"), std::string::npos);
  EXPECT_EQ(exit_code(r.status()), 3);
  EXPECT_TRUE(Store::Open(a).ok());
}

TEST(StoreOpen, MissingStoreIsNotFound) {
  TempDir dir;
  auto r = Store::Open({dir / "none", "file:" + (dir / "none.key")});
  EXPECT_EQ(r.status().code(), Code::not_found);
  EXPECT_NE(r.status().message().find("sever init"), std::string::npos);
}

TEST(StoreCreate, RefusesNonEmptyDirAndLeavesNoKey) {
  TempDir dir;
  std::filesystem::create_directories(dir / "d");
  std::ofstream(dir / "d/file") << "x";
  auto r = Store::Create({dir / "d", "file:" + (dir / "d.key")}, "t");
  EXPECT_EQ(r.status().code(), Code::already_exists);
  EXPECT_FALSE(std::filesystem::exists(dir / "d.key"));
}

TEST(StoreCreate, RefusesExistingKeyFileAndLeavesNoStore) {
  TempDir dir;
  std::ofstream(dir / "d.key") << std::string(32, 'k');
  auto r = Store::Create({dir / "d", "file:" + (dir / "d.key")}, "t");
  EXPECT_EQ(r.status().code(), Code::already_exists);
  EXPECT_FALSE(std::filesystem::exists(dir / "d"));
}

TEST(StoreCreate, KeyFileIsMode0600AndGroupReadableKeyIsRefused) {
  TempDir dir;
  StoreOptions o{dir / "d", "file:" + (dir / "d.key")};
  ASSERT_TRUE(Store::Create(o, "t").ok());
  auto perms = std::filesystem::status(dir / "d.key").permissions();
  EXPECT_EQ(perms, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::permissions(dir / "d.key", std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  auto r = Store::Open(o);
  EXPECT_EQ(r.status().code(), Code::refused);
  EXPECT_NE(r.status().message().find("d.key"), std::string::npos);
}

TEST(DefaultKeySource, SitsBesideTheDataDirectory) {
  EXPECT_EQ(default_key_source("./sever-data"), "file:./sever-data.key");
  EXPECT_EQ(default_key_source("/var/lib/sever/"), "file:/var/lib/sever.key");
}

}  // namespace
}  // namespace sever

#include "sever/store/audit.h"

#include <gtest/gtest.h>

#include "schema.h"
#include "support/store_fixture.h"

namespace sever {
namespace {

class AuditTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    for (int i = 0; i < 5; ++i) {
      rocksdb::WriteBatch b;
      ASSERT_TRUE(store_->Commit(&b, {{"t", "test.event", "x" + std::to_string(i), "{}"}}).ok());
    }
    ASSERT_EQ(store_->audit().head().seq, 6u);  // store.init + 5
  }
  rocksdb::ColumnFamilyHandle* cf() { return store_->cf(schema::kAudit); }
  std::string Raw(uint64_t seq) {
    std::string v;
    EXPECT_TRUE(store_->db()->Get({}, cf(), schema::audit_key(seq), &v).ok());
    return v;
  }
};

TEST_F(AuditTest, IntactChainVerifies) {
  auto v = store_->audit().Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->first_bad.has_value()) << v->problem;
  EXPECT_EQ(v->entries, 6u);
}

TEST_F(AuditTest, EditedEntryIsNamed) {
  std::string v = Raw(3);
  AuditEntry e;
  ASSERT_TRUE(decode_audit_entry(v, &e).ok());
  e.event.target = "forged";
  ASSERT_TRUE(store_->db()->Put({}, cf(), schema::audit_key(3), encode_audit_entry(e, true)).ok());
  auto r = store_->audit().Verify();
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->first_bad.has_value());
  EXPECT_EQ(*r->first_bad, 3u);
  EXPECT_NE(r->problem.find("modified"), std::string::npos);
}

TEST_F(AuditTest, FlippedByteIsNamed) {
  std::string v = Raw(4);
  v[12] ^= 1;
  ASSERT_TRUE(store_->db()->Put({}, cf(), schema::audit_key(4), v).ok());
  auto r = store_->audit().Verify();
  ASSERT_TRUE(r->first_bad.has_value());
  EXPECT_EQ(*r->first_bad, 4u);
}

TEST_F(AuditTest, DeletedEntryIsNamed) {
  ASSERT_TRUE(store_->db()->Delete({}, cf(), schema::audit_key(2)).ok());
  auto r = store_->audit().Verify();
  ASSERT_TRUE(r->first_bad.has_value());
  EXPECT_EQ(*r->first_bad, 2u);
  EXPECT_NE(r->problem.find("missing"), std::string::npos);
}

TEST_F(AuditTest, DeletedAndRenumberedEntriesBreakTheChain) {
  // Remove entry 3 and shift 4..6 down by one, rewriting their sequence numbers: the MACs,
  // keyed by a key the attacker lacks, no longer match.
  for (uint64_t s = 3; s < 6; ++s) {
    AuditEntry e;
    ASSERT_TRUE(decode_audit_entry(Raw(s + 1), &e).ok());
    e.seq = s;
    ASSERT_TRUE(store_->db()->Put({}, cf(), schema::audit_key(s), encode_audit_entry(e, true)).ok());
  }
  ASSERT_TRUE(store_->db()->Delete({}, cf(), schema::audit_key(6)).ok());
  auto r = store_->audit().Verify();
  ASSERT_TRUE(r->first_bad.has_value());
  EXPECT_EQ(*r->first_bad, 3u);
}

TEST_F(AuditTest, TruncatedTailIsDetected) {
  ASSERT_TRUE(store_->db()->Delete({}, cf(), schema::audit_key(6)).ok());
  auto r = store_->audit().Verify();
  ASSERT_TRUE(r->first_bad.has_value());
  EXPECT_EQ(*r->first_bad, 6u);
  EXPECT_NE(r->problem.find("removed"), std::string::npos);
}

TEST_F(AuditTest, ChainSurvivesReopen) {
  Reopen();
  rocksdb::WriteBatch b;
  ASSERT_TRUE(store_->Commit(&b, {{"t", "after.reopen", "", ""}}).ok());
  auto r = store_->audit().Verify();
  EXPECT_FALSE(r->first_bad.has_value()) << r->problem;
  EXPECT_EQ(r->entries, 7u);
}

TEST_F(AuditTest, TailReturnsLastEntriesOldestFirst) {
  std::vector<std::string> targets;
  ASSERT_TRUE(store_->audit().Tail(2, [&](const AuditEntry& e) { targets.push_back(e.event.target); }).ok());
  EXPECT_EQ(targets, (std::vector<std::string>{"x3", "x4"}));
}

}  // namespace
}  // namespace sever

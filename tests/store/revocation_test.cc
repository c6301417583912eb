#include "sever/store/revocation.h"

#include <gtest/gtest.h>

#include <fstream>

#include "coding.h"
#include "job_items.h"
#include "sever/store/time.h"
#include "support/store_fixture.h"

namespace sever {
namespace {

class RevocationTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    Add("acme", "gh1", "github", "alice", {"repo:status"});
    Add("acme", "gh2", "github", "bob", {"admin:org"});
    Add("acme", "sl1", "slack", "alice", {"channels:read"});
    Add("beta", "gh1", "github", "carol", {"read:user"});
    Add("beta", "nt1", "notion", "carol", {});
  }
  void Add(const std::string& t, const std::string& id, const std::string& tool,
           const std::string& user, std::vector<std::string> scopes) {
    auto c = Cred(t, id, "secret-" + t + "-" + id, tool, user);
    c.meta.scopes = std::move(scopes);
    c.meta.last_used_at = now_unix() - 3600;
    ASSERT_TRUE(store_->Put(std::move(c), false, "t").ok());
  }
  Code Get(const std::string& t, const std::string& id) {
    return store_->GetSecret(t, id, "t").status().code();
  }
  std::vector<JobItem> Items(const std::string& job) {
    std::vector<JobItem> out;
    EXPECT_TRUE(scan_items(*store_, job, [&](const JobItem& it) {
                  out.push_back(it);
                  return true;
                }).ok());
    return out;
  }
};

TEST_F(RevocationTest, FreezeRefusesReadsInScopeOnly) {
  RevokeScope scope;
  scope.kind = RevokeScope::Kind::tool;
  scope.tool = "github";
  auto job = start_revocation(*store_, scope, "breach", "cli:sec", "");
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(Get("acme", "gh1"), Code::refused);
  EXPECT_EQ(Get("beta", "gh1"), Code::refused);
  EXPECT_EQ(Get("acme", "sl1"), Code::ok);
  auto s = store_->GetSecret("acme", "gh2", "t");
  EXPECT_NE(s.status().message().find("frozen by revocation job " + job->id), std::string::npos);
}

TEST_F(RevocationTest, EachScopeKindFreezesItsCredentials) {
  RevokeScope user{RevokeScope::Kind::user, "acme", "", "alice", {}};
  ASSERT_TRUE(start_revocation(*store_, user, "r", "a", "").ok());
  EXPECT_EQ(Get("acme", "gh1"), Code::refused);
  EXPECT_EQ(Get("acme", "sl1"), Code::refused);
  EXPECT_EQ(Get("acme", "gh2"), Code::ok);
  RevokeScope ids{RevokeScope::Kind::ids, "", "", "", {{"beta", "nt1"}}};
  ASSERT_TRUE(start_revocation(*store_, ids, "r", "a", "").ok());
  EXPECT_EQ(Get("beta", "nt1"), Code::refused);
  EXPECT_EQ(Get("beta", "gh1"), Code::ok);
  RevokeScope tenant{RevokeScope::Kind::tenant, "beta", "", "", {}};
  ASSERT_TRUE(start_revocation(*store_, tenant, "r", "a", "").ok());
  EXPECT_EQ(Get("beta", "gh1"), Code::refused);
  EXPECT_EQ(Get("acme", "gh2"), Code::ok);
  ASSERT_TRUE(start_revocation(*store_, RevokeScope{}, "r", "a", "").ok());
  EXPECT_EQ(Get("acme", "gh2"), Code::refused);
}

TEST_F(RevocationTest, ItemsStreamPerToolInChunksAndCountPerTool) {
  for (int i = 0; i < 7; ++i) Add("gamma", "g" + std::to_string(i), "github", "dan", {"repo"});
  auto job = start_revocation(*store_, RevokeScope{}, "r", "a", "");
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(materialize_job(*store_, *job, now_unix()).ok());
  EXPECT_EQ(job->tool_items, (std::map<std::string, uint64_t>{{"github", 10}, {"notion", 1},
                                                              {"slack", 1}}));
  auto tools = job_tools(*store_, job->id);
  ASSERT_TRUE(tools.ok());
  EXPECT_EQ(*tools, (std::vector<std::string>{"github", "notion", "slack"}));
  // Chunks of 3 through one reader: every github item once, riskiest first, then the end.
  ToolItemReader reader(*store_, job->id, "github");
  std::vector<JobItem> got;
  int chunks = 0;
  for (bool done = false; !done; ++chunks) {
    auto r = reader.Next(3, &got);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    done = *r;
    if (chunks == 1) reader.Release();  // a released reader seeks back to its cursor
  }
  EXPECT_EQ(chunks, 4);
  ASSERT_EQ(got.size(), 10u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].tool, "github");
    if (i > 0) {
      EXPECT_LE(got[i - 1].rank, got[i].rank);
    }
  }
  EXPECT_EQ(got[0].id, "gh2");  // admin:org
  // A reader bounded by another's cursor: exactly the items up to that one, across chunks.
  ToolItemReader all(*store_, job->id, "github", reader.cursor());
  std::vector<JobItem> first;
  ASSERT_FALSE(*all.Next(2, &first));
  std::vector<JobItem> rest;
  auto r = all.Next(100, &rest);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  EXPECT_EQ(first.size() + rest.size(), 10u);
  ToolItemReader half_way(*store_, job->id, "github");
  std::vector<JobItem> five;
  ASSERT_FALSE(*half_way.Next(5, &five));
  ToolItemReader bounded(*store_, job->id, "github", half_way.cursor());
  std::vector<JobItem> upto;
  ASSERT_TRUE(*bounded.Next(100, &upto));
  ASSERT_EQ(upto.size(), 5u);
  EXPECT_EQ(upto.back().id, five.back().id);
  EXPECT_EQ(rest.back().id, got.back().id);
}

TEST_F(RevocationTest, MaterializeWritesRankedItemsOnce) {
  RevokeScope scope{RevokeScope::Kind::tenant, "acme", "", "", {}};
  auto job = start_revocation(*store_, scope, "r", "a", "");
  ASSERT_TRUE(job.ok());
  auto n = materialize_job(*store_, *job, job->created_at);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 3u);
  auto items = Items(job->id);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].id, "gh2");  // admin:org on a source-code tool comes first
  for (size_t i = 1; i < items.size(); ++i) {  // tool by tool, each riskiest first
    if (items[i - 1].tool == items[i].tool) {
      EXPECT_LE(items[i - 1].rank, items[i].rank);
    }
    EXPECT_LE(items[i - 1].tool, items[i].tool);
  }
  for (const auto& it : items) {
    EXPECT_EQ(it.state, ItemState::pending);
    auto rec = store_->GetRecord(it.tenant, it.id);
    EXPECT_EQ(it.kind, rec->kind) << it.id;
    // The sealed secret as the freeze found it, never the plaintext.
    EXPECT_EQ(it.sealed, rec->sealed) << it.id;
    EXPECT_EQ(it.dek_version, rec->dek_version) << it.id;
    EXPECT_EQ(it.sealed.find("secret-"), std::string::npos) << it.id;
  }
  auto loaded = load_job(*store_, job->id);
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->materialized);
  EXPECT_EQ(loaded->items, 3u);
  std::map<std::string, uint64_t> per_tool;
  for (const auto& it : items) ++per_tool[it.tool];
  EXPECT_EQ(loaded->tool_items, per_tool);
  // Once materialized, a job's items are its progress: materializing again changes nothing.
  items[0].state = ItemState::revoked;
  ASSERT_TRUE(commit_items(*store_, {items[0]}, "a").ok());
  EXPECT_EQ(*materialize_job(*store_, *job, job->created_at), 3u);
  auto again = Items(job->id);
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[0].id, "gh2");
  EXPECT_EQ(again[0].state, ItemState::revoked);
  EXPECT_TRUE(again[0].sealed.empty()) << "a final item keeps no copy of the secret";
  EXPECT_FALSE(again[1].sealed.empty());
}

TEST_F(RevocationTest, MaterializeRepeatedAfterACrashWritesTheSameItems) {
  RevokeScope scope{RevokeScope::Kind::all, "", "", "", {}};
  auto job = start_revocation(*store_, scope, "r", "a", "");
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(materialize_job(*store_, *job, job->created_at).ok());
  auto first = Items(job->id);
  ASSERT_FALSE(first.empty());
  // The process died after the items were ingested and before the job was saved: the run that
  // follows materializes again, at the job's own time, so the same keys are written again.
  auto reloaded = load_job(*store_, job->id);
  ASSERT_TRUE(reloaded.ok());
  reloaded->materialized = false;
  auto n = materialize_job(*store_, *reloaded, reloaded->created_at);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, first.size());
  auto again = Items(job->id);
  ASSERT_EQ(again.size(), first.size());
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(again[i].tenant + "/" + again[i].id, first[i].tenant + "/" + first[i].id);
    EXPECT_EQ(again[i].rank, first[i].rank);
    EXPECT_EQ(again[i].state, ItemState::pending);
  }
}

TEST_F(RevocationTest, ItemsOfEarlierFormatsStillDecode) {
  // Format 2: format, state, attempts, next_at_ms, updated_ms, client, detail (no kind).
  std::string v;
  v.push_back(2);
  v.push_back(static_cast<char>(ItemState::retry_wait));
  coding::put_varint(&v, 3);
  coding::put_varint_signed(&v, 1234);
  coding::put_varint_signed(&v, 5678);
  coding::put_bytes(&v, "app-1");
  coding::put_bytes(&v, "HTTP 503");
  JobItem probe;
  probe.job = "r-1";
  probe.tool = "slack";
  probe.rank = 7;
  probe.tenant = "acme";
  probe.id = "sl1";
  JobItem got;
  ASSERT_TRUE(detail::decode_item("r-1", detail::item_key(probe), v, &got).ok());
  EXPECT_FALSE(got.kind.has_value());  // unknown: the run reads its record
  EXPECT_EQ(got.state, ItemState::retry_wait);
  EXPECT_EQ(got.attempts, 3u);
  EXPECT_EQ(got.client, "app-1");
  EXPECT_EQ(got.detail, "HTTP 503");
  // Format 3: the kind after the state, no copy of the secret (the run reads the record).
  std::string v3;
  v3.push_back(3);
  v3.push_back(static_cast<char>(ItemState::pending));
  v3.push_back(static_cast<char>(Kind::oauth_refresh));
  v3.append(v.substr(2));
  ASSERT_TRUE(detail::decode_item("r-1", detail::item_key(probe), v3, &got).ok());
  EXPECT_EQ(got.kind, Kind::oauth_refresh);
  EXPECT_EQ(got.detail, "HTTP 503");
  EXPECT_TRUE(got.sealed.empty());
  // The current format round-trips the kind and the copy of the sealed secret.
  probe.kind = Kind::pat;
  probe.dek_version = 4;
  probe.sealed = std::string("\x01sealed\0bytes", 14);
  ASSERT_TRUE(detail::decode_item("r-1", detail::item_key(probe), detail::encode_item(probe), &got).ok());
  EXPECT_EQ(got.kind, Kind::pat);
  EXPECT_EQ(got.dek_version, 4u);
  EXPECT_EQ(got.sealed, probe.sealed);
  probe.state = ItemState::dead_letter;  // final: the copy is not stored
  ASSERT_TRUE(detail::decode_item("r-1", detail::item_key(probe), detail::encode_item(probe), &got).ok());
  EXPECT_TRUE(got.sealed.empty());
  v[0] = 9;
  EXPECT_EQ(detail::decode_item("r-1", detail::item_key(probe), v, &got).code(), Code::corruption);
}

TEST_F(RevocationTest, ConfirmedItemErasesTheSecretAndRevokesTheRecord) {
  RevokeScope scope{RevokeScope::Kind::ids, "", "", "", {{"acme", "sl1"}, {"beta", "nt1"}, {"x", "y"}}};
  auto job = start_revocation(*store_, scope, "r", "a", "");
  ASSERT_TRUE(materialize_job(*store_, *job, now_unix()).ok());
  EXPECT_EQ(job->unknown_ids, 1u);
  auto items = Items(job->id);
  ASSERT_EQ(items.size(), 2u);
  for (auto& it : items) it.state = it.id == "sl1" ? ItemState::revoked : ItemState::manual;
  ASSERT_TRUE(commit_items(*store_, items, "revoker").ok());
  auto sl1 = store_->GetRecord("acme", "sl1");
  EXPECT_EQ(sl1->state, State::revoked);
  EXPECT_TRUE(sl1->sealed.empty());
  auto nt1 = store_->GetRecord("beta", "nt1");
  EXPECT_NE(nt1->state, State::revoked);
  EXPECT_FALSE(nt1->sealed.empty());  // manual: the secret stays until resolved
  auto counts = count_items(*store_, job->id);
  EXPECT_EQ(counts->all[static_cast<int>(ItemState::revoked) - 1], 1u);
  EXPECT_EQ(counts->all[static_cast<int>(ItemState::manual) - 1], 1u);
  EXPECT_EQ(counts->by_tool["slack"][static_cast<int>(ItemState::revoked) - 1], 1u);
  std::vector<AuditEntry> last;
  ASSERT_TRUE(store_->audit().Tail(1, [&](const AuditEntry& e) { last.push_back(e); }).ok());
  EXPECT_EQ(last[0].event.action, "revoke.items");
  EXPECT_NE(last[0].event.detail.find("acme/sl1"), std::string::npos);
  EXPECT_FALSE(store_->audit().Verify()->first_bad.has_value());
}

TEST_F(RevocationTest, RetryReturnsDeadLettersAndOnRequestManualItems) {
  auto job = start_revocation(*store_, RevokeScope{}, "r", "a", "");
  ASSERT_TRUE(materialize_job(*store_, *job, now_unix()).ok());
  auto items = Items(job->id);
  items[0].state = ItemState::revoked;
  items[2].state = ItemState::dead_letter;
  items[2].attempts = 8;
  items[3].state = ItemState::manual;
  ASSERT_TRUE(commit_items(*store_, items, "a").ok());
  EXPECT_EQ(*retry_items(*store_, job->id, false), 1u);
  auto after = Items(job->id);
  EXPECT_EQ(after[0].state, ItemState::revoked);
  EXPECT_EQ(after[2].state, ItemState::pending);
  EXPECT_EQ(after[2].attempts, 0u);
  EXPECT_TRUE(after[2].sealed.empty());  // its dead letter dropped the copy: the run reads the record
  EXPECT_EQ(after[3].state, ItemState::manual);
  EXPECT_EQ(*retry_items(*store_, job->id, true), 1u);
}

TEST_F(RevocationTest, JobsAreListedNewestFirstAndReloaded) {
  auto a = start_revocation(*store_, RevokeScope{RevokeScope::Kind::tool, "", "slack", "", {}},
                            "first", "a", "p.json");
  ASSERT_TRUE(a.ok());
  auto loaded = load_job(*store_, a->id);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->scope.kind, RevokeScope::Kind::tool);
  EXPECT_EQ(loaded->scope.tool, "slack");
  EXPECT_EQ(loaded->reason, "first");
  EXPECT_EQ(loaded->providers_file, "p.json");
  EXPECT_EQ(load_job(*store_, "nope").status().code(), Code::not_found);
  EXPECT_EQ(list_jobs(*store_)->size(), 1u);
}

TEST(IdList, ParsesEachFormAndNamesBadLines) {
  testing::TempDir dir;
  std::ofstream(dir / "ids") << "# comment\nacme/c1\nbeta\tc2\n{\"tenant\":\"t\",\"id\":\"c/3\"}\n\n";
  auto ids = read_id_list(dir / "ids");
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  ASSERT_EQ(ids->size(), 3u);
  EXPECT_EQ((*ids)[1], std::make_pair(std::string("beta"), std::string("c2")));
  EXPECT_EQ((*ids)[2].second, "c/3");
  std::ofstream(dir / "bad") << "acme/c1\nnoseparator\n";
  auto bad = read_id_list(dir / "bad");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 2"), std::string::npos);
}

}  // namespace
}  // namespace sever

// DEK rotation and the rotation policy, on a real store on disk (master-key rotation:
// master_rotation_test.cc).
#include "sever/store/rotation.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "import_keys.h"
#include "rotation_shards.h"
#include "schema.h"
#include "sever/store/time.h"
#include "rotation_fixture.h"

namespace sever {
namespace {

using testing::RotationTest;
using testing::count;

TEST_F(RotationTest, BeginMakesANewPrimaryInOneBatchAndRecordsTheJob) {
  Fill("acme", 3);
  Fill("beta", 2);
  auto started = Begin(RotationScope::all);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  for (const char* t : {"acme", "beta"}) {
    auto d = Deks(t);
    ASSERT_EQ(d.size(), 2u) << t;
    EXPECT_EQ(d[1].state, DekState::decrypt_only);
    EXPECT_EQ(d[2].state, DekState::primary);
  }
  auto job = load_job(*store_, started->job.id);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->kind, JobKind::rotate_dek);
  EXPECT_EQ(job->state, JobState::running);
  EXPECT_EQ(job->id.substr(0, 2), "k-");
  auto p = rotation_params(*job);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->tenants, 2u);
  EXPECT_EQ(p->new_deks, 2u);
  EXPECT_EQ(p->estimate, 5u);
  auto shards = load_shards(*store_, job->id);
  ASSERT_TRUE(shards.ok());
  std::vector<std::string> tenants;
  for (const auto& s : *shards) tenants.insert(tenants.end(), s.tenants.begin(), s.tenants.end());
  EXPECT_EQ(tenants, (std::vector<std::string>{"acme", "beta"}));
  auto a = Actions();
  EXPECT_EQ(count(a, "rotate.begin"), 1u);
  EXPECT_EQ(count(a, "dek.create"), 4u);  // two at the first Put, two by the rotation
  // Every write from now on seals with the new primary; old records still open.
  ASSERT_TRUE(store_->Put(Cred("acme", "new", "fresh"), false, "t").ok());
  EXPECT_EQ(store_->GetRecord("acme", "new")->dek_version, 2u);
  EXPECT_EQ(store_->GetRecord("acme", "c0000")->dek_version, 1u);
  EXPECT_EQ(Secret("acme", "c0000"), "acme-c0000");
}

TEST_F(RotationTest, FullRotationReSealsEveryRecordThenRetiresAndDestroysTheOldDek) {
  Fill("acme", 30);
  Fill("beta", 7);
  const JobSpec job = Rotate(RotationScope::all, "", 4);
  for (const char* t : {"acme", "beta"}) {
    auto d = Deks(t);
    EXPECT_EQ(d[1].state, DekState::destroyed) << t;
    EXPECT_TRUE(d[1].wrapped.empty()) << t;
    EXPECT_EQ(d[2].state, DekState::primary) << t;
    EXPECT_EQ(store_->keyring().Key(t, 1).status().code(), Code::not_found);
  }
  EXPECT_EQ(Deks("acme")[2].encryptions, 30u);  // the re-seals count on the new DEK
  for (int i = 0; i < 30; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "c%04d", i);
    EXPECT_EQ(store_->GetRecord("acme", id)->dek_version, 2u);
    EXPECT_EQ(Secret("acme", id), std::string("acme-") + id);
  }
  EXPECT_EQ(load_job(*store_, job.id)->state, JobState::done);
  auto a = Actions();
  EXPECT_EQ(count(a, "dek.retire"), 2u);
  EXPECT_EQ(count(a, "dek.destroy"), 2u);
  EXPECT_EQ(count(a, "rotate.done"), 1u);
  auto verdict = store_->audit().Verify();
  ASSERT_TRUE(verdict.ok());
  EXPECT_FALSE(verdict->first_bad.has_value()) << verdict->problem;
  Reopen();
  EXPECT_EQ(Secret("beta", "c0006"), "beta-c0006");
}

TEST_F(RotationTest, AadStillBindsEachBlobToItsRowAfterRotation) {
  Fill("acme", 2);
  Fill("beta", 1);
  Rotate(RotationScope::all);
  auto one = store_->GetRecord("acme", "c0000");
  auto two = store_->GetRecord("acme", "c0001");
  auto other = store_->GetRecord("beta", "c0000");
  ASSERT_TRUE(one.ok() && two.ok() && other.ok());
  two->sealed = one->sealed;  // another row of the tenant
  PutRaw(*two);
  EXPECT_EQ(store_->GetSecret("acme", "c0001", "t").status().code(), Code::corruption);
  other->sealed = one->sealed;  // another tenant's row, same version number
  PutRaw(*other);
  EXPECT_EQ(store_->GetSecret("beta", "c0000", "t").status().code(), Code::corruption);
  one->dek_version = 1;  // the blob claimed for the destroyed version
  PutRaw(*one);
  EXPECT_FALSE(store_->GetSecret("acme", "c0000", "t").ok());
}

TEST_F(RotationTest, ACrashedRotationResumesFromItsCheckpoint) {
  Fill("acme", 25);
  auto started = Begin(RotationScope::tenant, "acme");
  ASSERT_TRUE(started.ok());
  {
    auto shards = load_shards(*store_, started->job.id);
    ASSERT_EQ(shards->size(), 1u);
    auto& s = shards->front();
    ASSERT_EQ(*step_shard(*store_, s, 10), 10u);
    ASSERT_EQ(*step_shard(*store_, s, 10), 10u);
  }
  Reopen();  // as after a crash: only what was committed counts
  auto shards = load_shards(*store_, started->job.id);
  ASSERT_TRUE(shards.ok());
  auto& s = shards->front();
  EXPECT_EQ(s.phase, ShardPhase::reseal);
  EXPECT_EQ(s.resealed, 20u);
  EXPECT_EQ(s.cursor, "c0019");
  EXPECT_EQ(store_->GetRecord("acme", "c0019")->dek_version, 2u);
  EXPECT_EQ(store_->GetRecord("acme", "c0020")->dek_version, 1u);
  auto found = find_running_rotation(*store_, RotationScope::tenant, "acme");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, started->job.id);
  EXPECT_FALSE(find_running_rotation(*store_, RotationScope::all, "")->has_value());
  ASSERT_EQ(*step_shard(*store_, s, 10), 5u);
  EXPECT_EQ(s.phase, ShardPhase::verify);
  JobSpec job = started->job;
  RunToEnd(job);
  EXPECT_EQ(Deks("acme")[2].encryptions, 25u);  // each record re-sealed once
  EXPECT_EQ(Secret("acme", "c0024"), "acme-c0024");
}

TEST_F(RotationTest, VerificationSendsTheShardBackWhileARecordIsOnTheOldDek) {
  Fill("acme", 5);
  auto stale = store_->GetRecord("acme", "c0003");  // sealed under v1, as a slow import would
  auto started = Begin(RotationScope::tenant, "acme");
  ASSERT_TRUE(started.ok());
  auto shards = load_shards(*store_, started->job.id);
  auto& s = shards->front();
  ASSERT_TRUE(step_shard(*store_, s, 100).ok());
  ASSERT_EQ(s.phase, ShardPhase::verify);
  PutRaw(*stale);  // written behind the walk
  ASSERT_TRUE(step_shard(*store_, s, 100).ok());
  EXPECT_EQ(s.phase, ShardPhase::reseal);
  EXPECT_EQ(s.passes, 1u);
  EXPECT_EQ(Deks("acme")[1].state, DekState::decrypt_only);  // not retired: a record needs it
  while (s.phase != ShardPhase::done) ASSERT_TRUE(step_shard(*store_, s, 100).ok());
  EXPECT_EQ(store_->GetRecord("acme", "c0003")->dek_version, 2u);
  EXPECT_EQ(Secret("acme", "c0003"), "acme-c0003");
  EXPECT_EQ(Deks("acme")[1].state, DekState::destroyed);
}

TEST_F(RotationTest, AReadOfARecordWhoseDekWasDestroyedMeanwhileStillOpens) {
  Fill("acme", 3);
  auto before = store_->GetRecord("acme", "c0001");  // read, names v1
  Rotate(RotationScope::tenant, "acme");
  ASSERT_EQ(Deks("acme")[1].state, DekState::destroyed);
  auto s = store_->OpenSealed(*before);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->view(), "acme-c0001");
}

TEST_F(RotationTest, ConcurrentWritesAreNeverLostAndConcurrentReadsNeverFail) {
  const int n = 200, rotations = 5;
  Fill("hot", n);
  Fill("cold", 50);
  std::atomic<bool> done{false};
  std::atomic<uint64_t> writes{0}, reads{0}, read_errors{0};
  // Two writers hammer the tenant being rotated, each on its own half of the ids (so "the last
  // value written" of an id is well defined), until the rotations are over.
  std::map<std::string, std::string> last[2];
  std::vector<std::thread> load;
  for (int w = 0; w < 2; ++w) {
    load.emplace_back([&, w] {
      std::mt19937 rng(7 + w);
      for (uint64_t i = 0; !done.load() || i < 200; ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "c%04d", static_cast<int>(rng() % (n / 2)) * 2 + w);
        const std::string value = "w" + std::to_string(w) + "-" + std::to_string(i);
        ASSERT_TRUE(store_->Put(Cred("hot", id, value), true, "writer").ok());
        last[w][id] = value;
        ++writes;
      }
    });
  }
  for (int r = 0; r < 2; ++r) {
    load.emplace_back([&, r] {
      std::mt19937 rng(100 + r);
      for (uint64_t i = 0; !done.load() || i < 200; ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "c%04d", static_cast<int>(rng() % n));
        if (!store_->GetSecret("hot", id, "reader").ok()) ++read_errors;
        ++reads;
      }
    });
  }
  // Rotations one after another, each stepped by two threads at once in batches of 5, so that
  // re-seals and writes of the same records interleave many times.
  std::atomic<int> failures{0};
  for (int k = 0; k < rotations && failures == 0; ++k) {
    auto started = Begin(RotationScope::all);
    ASSERT_TRUE(started.ok());
    auto shards = load_shards(*store_, started->job.id);
    ASSERT_TRUE(shards.ok());
    std::atomic<size_t> next{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < 2; ++w) {
      workers.emplace_back([&] {
        for (size_t i; (i = next++) < shards->size();) {
          auto& s = (*shards)[i];
          while (s.phase != ShardPhase::done) {
            if (!step_shard(*store_, s, 5).ok()) {
              ++failures;
              return;
            }
          }
        }
      });
    }
    for (auto& w : workers) w.join();
  }
  done = true;
  for (auto& t : load) t.join();
  ASSERT_EQ(failures.load(), 0);
  EXPECT_EQ(read_errors.load(), 0u) << reads.load() << " reads";
  EXPECT_GT(writes.load(), 0u);
  uint64_t lost = 0;
  for (const auto& half : last) {
    for (const auto& [id, value] : half) lost += Secret("hot", id) != value;
  }
  EXPECT_EQ(lost, 0u) << "updates lost of " << writes.load();
  for (int i = 0; i < n; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "c%04d", i);
    EXPECT_EQ(store_->GetRecord("hot", id)->dek_version, 1u + rotations) << id;
  }
  for (uint32_t v = 1; v <= rotations; ++v) EXPECT_EQ(Deks("hot")[v].state, DekState::destroyed);
}

TEST_F(RotationTest, AWriteDuringABatchWaitsForItAndIsNotOverwritten) {
  // The batch has read c0004 (and re-sealed its old value); a write of it starts then. It must
  // wait for the batch's commit rather than be overwritten by it.
  WriteDuringFirstBatch("acme", [&] {
    ASSERT_TRUE(store_->Put(Cred("acme", "c0004", "written-during-batch"), true, "w").ok());
  });
  EXPECT_EQ(Secret("acme", "c0004"), "written-during-batch");
  EXPECT_EQ(Secret("acme", "c0005"), "acme-c0005");
}

TEST_F(RotationTest, ARevocationDuringABatchWaitsForItAndItsErasureStays) {
  WriteDuringFirstBatch("acme", [&] { Revoke("acme", "c0006"); });
  auto rec = store_->GetRecord("acme", "c0006");
  EXPECT_TRUE(rec->sealed.empty()) << "the re-seal brought a revoked secret back";
  EXPECT_EQ(rec->state, State::revoked);
}

TEST_F(RotationTest, ARevokedSecretErasedDuringRotationIsNeverResealedBack) {
  const int n = 400;
  Fill("acme", n);
  auto started = Begin(RotationScope::tenant, "acme");
  ASSERT_TRUE(started.ok());
  std::thread revoker([&] {
    for (int i = 0; i < n; i += 2) {  // every even id confirmed revoked at its provider
      char id[16];
      std::snprintf(id, sizeof id, "c%04d", i);
      Revoke("acme", id);
    }
  });
  JobSpec job = started->job;
  RunToEnd(job, 3);
  revoker.join();
  for (int i = 0; i < n; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "c%04d", i);
    auto rec = store_->GetRecord("acme", id);
    ASSERT_TRUE(rec.ok());
    if (i % 2 == 0) {
      EXPECT_TRUE(rec->sealed.empty()) << id << " holds a secret again after its revocation";
      EXPECT_EQ(rec->state, State::revoked);
    } else {
      EXPECT_EQ(Secret("acme", id), std::string("acme-") + id);
    }
  }
}

TEST_F(RotationTest, PolicySaysWhatIsDueAndDueRotatesOnlyThat) {
  Fill("young", 2);
  Fill("old", 2);
  Fill("busy", 2);
  const int64_t now = now_unix();
  // "old": its primary was created 100 days ago.
  auto old = Deks("old")[1];
  old.created_at = now - 100 * 86400;
  ASSERT_TRUE(store_->db()->Put({}, store_->cf(schema::kKeys), schema::dek_key("old", 1),
                                Keyring::Encode(old)).ok());
  // "busy": its primary sealed a billion and a half secrets.
  ASSERT_TRUE(store_->db()->Merge({}, store_->cf(schema::kDekCounters), schema::dek_key("busy", 1),
                                  Keyring::CounterDelta(1'500'000'000)).ok());
  RotationPolicy policy;  // 90 days, 2^30 encryptions
  auto keys = tenant_keys(*store_, "", policy, now);
  ASSERT_TRUE(keys.ok());
  std::map<std::string, std::optional<DueReason>> due;
  for (const auto& k : *keys) due[k.tenant] = k.due;
  EXPECT_EQ(due["old"], DueReason::age);
  EXPECT_EQ(due["busy"], DueReason::encryptions);
  EXPECT_EQ(due["young"], std::nullopt);

  auto started = Begin(RotationScope::due, "", policy);
  ASSERT_TRUE(started.ok());
  EXPECT_EQ(rotation_params(started->job)->tenants, 2u);
  EXPECT_EQ(Deks("young").size(), 1u);
  EXPECT_EQ(Deks("old")[2].state, DekState::primary);
  // While it runs, its tenants are due for their leftovers, not for a third DEK.
  keys = tenant_keys(*store_, "old", policy, now);
  EXPECT_EQ(keys->front().due, DueReason::leftover);
  RunToEnd(started->job);
  keys = tenant_keys(*store_, "", policy, now);
  for (const auto& k : *keys) EXPECT_EQ(k.due, std::nullopt) << k.tenant;
  EXPECT_EQ(Secret("busy", "c0001"), "busy-c0001");
  EXPECT_EQ(Begin(RotationScope::due, "", policy)->shards.size(), 0u);  // nothing due: no job
}

TEST_F(RotationTest, TheEncryptionCounterForcesANewDekLongBeforeTwoToTheThirtyTwo) {
  Fill("acme", 1);
  ASSERT_TRUE(store_->db()->Merge({}, store_->cf(schema::kDekCounters), schema::dek_key("acme", 1),
                                  Keyring::CounterDelta(kMaxEncryptionsPerDek - 1)).ok());
  ASSERT_TRUE(store_->Put(Cred("acme", "next", "s"), false, "t").ok());
  EXPECT_EQ(store_->GetRecord("acme", "next")->dek_version, 2u);
  EXPECT_EQ(Deks("acme")[1].state, DekState::decrypt_only);
  EXPECT_LT(kMaxEncryptionsPerDek, uint64_t{1} << 32);
  // The replaced DEK still holds a record: --due re-seals it without a third DEK.
  auto started = Begin(RotationScope::due);
  ASSERT_TRUE(started.ok());
  EXPECT_EQ(rotation_params(started->job)->new_deks, 0u);
  RunToEnd(started->job);
  EXPECT_EQ(Deks("acme").size(), 2u);
  EXPECT_EQ(Deks("acme")[1].state, DekState::destroyed);
  EXPECT_EQ(Secret("acme", "c0000"), "acme-c0000");
}

TEST_F(RotationTest, UnknownTenantIsNotFound) {
  EXPECT_EQ(Begin(RotationScope::tenant, "nobody").status().code(), Code::not_found);
}

TEST_F(RotationTest, AnImportThatSealedBeforeARotationBeganDoesNotCommit) {
  Fill("acme", 1);
  detail::ImportKeys keys(*store_, "import", now_unix());
  ASSERT_TRUE(keys.Get("acme", 1).ok());  // it would seal with v1
  ASSERT_TRUE(keys.StillCurrent().ok());
  ASSERT_TRUE(Begin(RotationScope::tenant, "acme").ok());
  EXPECT_EQ(keys.StillCurrent().code(), Code::refused);
}

}  // namespace
}  // namespace sever

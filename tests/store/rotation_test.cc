// DEK rotation, master-key rotation and the rotation policy, on a real store on disk.
#include "sever/store/rotation.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "import_keys.h"
#include "rotation_shards.h"
#include "schema.h"
#include "sever/store/time.h"
#include "support/softhsm.h"
#include "support/store_fixture.h"

namespace sever {
namespace {

using testing::StoreTest;

class RotationTest : public StoreTest {
 protected:
  // Puts `n` credentials "c0000".. into the tenant, each with the secret "<tenant>-<id>".
  void Fill(const std::string& tenant, int n) {
    for (int i = 0; i < n; ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "c%04d", i);
      ASSERT_TRUE(store_->Put(Cred(tenant, id, tenant + "-" + id), false, "t").ok());
    }
  }

  Result<RotationStart> Begin(RotationScope scope, const std::string& tenant = "",
                              RotationPolicy policy = {}) {
    RotationRequest r;
    r.scope = scope;
    r.tenant = tenant;
    r.policy = policy;
    r.actor = "test";
    return begin_rotation(*store_, r);
  }

  // Steps every shard of the job to done, then finishes the job.
  void RunToEnd(JobSpec& job, size_t batch = 1000) {
    auto shards = load_shards(*store_, job.id);
    ASSERT_TRUE(shards.ok()) << shards.status().ToString();
    for (auto& s : *shards) {
      for (int guard = 0; s.phase != ShardPhase::done && guard < 100000; ++guard) {
        auto r = step_shard(*store_, s, batch);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
      }
    }
    ASSERT_TRUE(finish_rotation(*store_, job, *shards).ok());
  }

  // Begins a rotation and runs it to its end; returns the job.
  JobSpec Rotate(RotationScope scope, const std::string& tenant = "", size_t batch = 1000) {
    auto started = Begin(scope, tenant);
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    if (!started.ok()) return {};
    RunToEnd(started->job, batch);
    return started->job;
  }

  // Marks the credential confirmed revoked by a revocation job: its secret is erased.
  void Revoke(const std::string& tenant, const std::string& id) {
    JobItem it;
    it.job = "r-test";
    it.tenant = tenant;
    it.id = id;
    it.tool = "github";
    it.state = ItemState::revoked;
    ASSERT_TRUE(commit_items(*store_, {it}, "revoker").ok());
  }

  // Fills the tenant with 10 credentials and begins its rotation; then, in its first re-seal
  // batch, after it read and re-sealed the records and before it commits them, starts `write`
  // on another thread and gives it up to 50 ms: a write that is not held off lands in between.
  void WriteDuringFirstBatch(const std::string& tenant, const std::function<void()>& write) {
    Fill(tenant, 10);
    auto started = Begin(RotationScope::tenant, tenant);
    ASSERT_TRUE(started.ok());
    auto shards = load_shards(*store_, started->job.id);
    std::thread writer;
    std::atomic<bool> wrote{false};
    detail::g_before_reseal_commit = [&] {
      if (writer.joinable()) return;  // the first batch only
      writer = std::thread([&] {
        write();
        wrote = true;
      });
      for (int i = 0; i < 50 && !wrote; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    };
    auto r = step_shard(*store_, shards->front(), 100);
    detail::g_before_reseal_commit = nullptr;
    writer.join();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  std::map<uint32_t, DekEntry> Deks(const std::string& tenant) {
    std::map<uint32_t, DekEntry> out;
    auto all = store_->keyring().List(tenant);
    EXPECT_TRUE(all.ok());
    for (auto& e : *all) out[e.version] = e;
    return out;
  }

  std::vector<std::string> Actions() {
    std::vector<std::string> out;
    EXPECT_TRUE(store_->audit().Tail(1 << 20, [&](const AuditEntry& e) {
      out.push_back(e.event.action);
    }).ok());
    return out;
  }

  std::string Secret(const std::string& tenant, const std::string& id) {
    auto s = store_->GetSecret(tenant, id, "t");
    EXPECT_TRUE(s.ok()) << tenant << "/" << id << ": " << s.status().ToString();
    return s.ok() ? std::string(s->view()) : "";
  }

  void PutRaw(const Credential& c) {
    ASSERT_TRUE(store_->db()->Put({}, store_->cf(schema::kCreds), schema::cred_key(c.tenant, c.id),
                                  encode_record(c)).ok());
  }
};

size_t count(const std::vector<std::string>& v, const std::string& x) {
  return std::count(v.begin(), v.end(), x);
}

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

// The rotation supervisor and its workers (CAF 0.17) on a real store, and the token bucket.
#include "sever/actors/rotation_run.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "schema.h"
#include "sever/actors/token_bucket.h"
#include "support/store_fixture.h"

namespace sever::actors {
namespace {

class RotationRunTest : public testing::StoreTest {
 protected:
  // Puts `per` credentials in each of `tenants` tenants "t00".., secrets "<tenant>/<id>".
  void Fill(int tenants, int per) {
    for (int t = 0; t < tenants; ++t) {
      for (int i = 0; i < per; ++i) {
        char tenant[16], id[16];
        std::snprintf(tenant, sizeof tenant, "t%02d", t);
        std::snprintf(id, sizeof id, "c%04d", i);
        ASSERT_TRUE(store_->Put(Cred(tenant, id, std::string(tenant) + "/" + id), false, "t").ok());
      }
    }
  }

  RotationStart Begin(size_t workers) {
    RotationRequest r;
    r.scope = RotationScope::all;
    r.actor = "test";
    r.workers = workers;
    auto s = begin_rotation(*store_, r);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : RotationStart{};
  }

  // Every record opens to its secret under the tenant's primary, and no DEK but the primary
  // is left: the others are destroyed.
  void ExpectRotated(int tenants, int per) {
    for (int t = 0; t < tenants; ++t) {
      char tenant[16];
      std::snprintf(tenant, sizeof tenant, "t%02d", t);
      auto deks = store_->keyring().List(tenant);
      ASSERT_TRUE(deks.ok());
      uint32_t primary = 0;
      for (const auto& e : *deks) {
        if (e.state == DekState::primary) primary = e.version;
        else EXPECT_EQ(e.state, DekState::destroyed) << tenant << " v" << e.version;
      }
      EXPECT_EQ(primary, 2u) << tenant;
      for (int i = 0; i < per; ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "c%04d", i);
        EXPECT_EQ(store_->GetRecord(tenant, id)->dek_version, primary);
        auto s = store_->GetSecret(tenant, id, "t");
        ASSERT_TRUE(s.ok()) << s.status().ToString();
        EXPECT_EQ(s->view(), std::string(tenant) + "/" + id);
      }
    }
  }
};

TEST_F(RotationRunTest, TwoWorkersRunEveryShardToTheEndAndTheJobIsDone) {
  Fill(12, 150);
  RotationStart start = Begin(2);
  ASSERT_GE(start.shards.size(), 2u);
  RotationOptions o;
  o.workers = 2;
  o.batch = 40;
  std::mutex mu;
  std::map<std::string, uint64_t> points;  // the highest count seen per point
  o.on_step = [&](std::string_view point, uint64_t n) {
    std::lock_guard lock(mu);
    auto& v = points[std::string(point)];
    v = std::max(v, n);
  };
  uint64_t reports = 0;
  auto r = run_rotation(*store_, start.job, o, [&](const RotationProgress&) { ++reports; });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->cancelled);
  EXPECT_EQ(r->resealed, 1800u);
  EXPECT_EQ(r->resealed_run, 1800u);
  EXPECT_EQ(r->estimate, 1800u);
  EXPECT_EQ(r->shards_done, start.shards.size());
  EXPECT_EQ(r->tenants_done, 12u);
  EXPECT_GE(reports, 1u);  // at least the final one
  EXPECT_GE(points["batch"], 1800u / 40);
  EXPECT_EQ(points["retired"], start.shards.size());
  EXPECT_EQ(points["destroyed"], start.shards.size());
  EXPECT_EQ(load_job(*store_, start.job.id)->state, JobState::done);
  ExpectRotated(12, 150);
}

TEST_F(RotationRunTest, AShardLeftMidWayResumesFromItsCheckpointWithoutSealingTwice) {
  Fill(3, 200);
  RotationStart start = Begin(1);
  auto shards = load_shards(*store_, start.job.id);
  ASSERT_TRUE(shards.ok());
  ASSERT_EQ(*step_shard(*store_, shards->front(), 150), 150u);  // then "the process died"
  RotationOptions o;
  o.workers = 2;
  auto r = run_rotation(*store_, start.job, o, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->resealed, 600u);
  EXPECT_EQ(r->resealed_run, 450u);
  for (const char* t : {"t00", "t01", "t02"}) {
    auto deks = store_->keyring().List(t);
    EXPECT_EQ(deks->back().encryptions, 200u) << t << ": each record sealed once under v2";
  }
  ExpectRotated(3, 200);
}

TEST_F(RotationRunTest, ACancelledJobStopsBetweenBatchesAndKeepsItsOldKeys) {
  Fill(2, 500);
  RotationStart start = Begin(1);
  RotationOptions o;
  o.workers = 1;
  o.max_rate = 100;  // 1,000 records take ten seconds: the cancellation comes first
  o.on_step = [&](std::string_view point, uint64_t n) {
    if (point != "batch" || n != 1) return;
    JobSpec j = start.job;
    j.state = JobState::cancelled;
    ASSERT_TRUE(save_job(*store_, j, "rotate.cancel").ok());
  };
  auto r = run_rotation(*store_, start.job, o, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->cancelled);
  EXPECT_LT(r->resealed, 1000u);
  EXPECT_EQ(load_job(*store_, start.job.id)->state, JobState::cancelled);
  auto deks = store_->keyring().List("t00");
  EXPECT_EQ(deks->front().state, DekState::decrypt_only);  // still needed, still there
  auto s = store_->GetSecret("t01", "c0499", "t");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->view(), "t01/c0499");
}

TEST_F(RotationRunTest, AFailingStepIsReturnedAndTheJobStaysRunningForAResume) {
  Fill(1, 10);
  ASSERT_TRUE(store_->db()->Put({}, store_->cf(schema::kCreds), schema::cred_key("t00", "c0005"),
                                "not a record").ok());
  RotationStart start = Begin(1);
  auto r = run_rotation(*store_, start.job, {}, nullptr);
  EXPECT_EQ(r.status().code(), Code::corruption) << r.status().ToString();
  EXPECT_EQ(load_job(*store_, start.job.id)->state, JobState::running);
}

TEST(TokenBucketTest, UnlimitedNeverWaits) {
  TokenBucket b(0, 10);
  EXPECT_EQ(b.Take(1e9, 0), 0);
}

TEST(TokenBucketTest, DebtIsPaidAtTheRate) {
  TokenBucket b(100, 10);  // 100 a second, 10 banked
  EXPECT_EQ(b.Take(10, 0), 0);              // the burst
  EXPECT_DOUBLE_EQ(b.Take(50, 0), 0.5);     // 50 owed: half a second
  EXPECT_DOUBLE_EQ(b.Take(0, 0.5), 0);      // paid off
  EXPECT_DOUBLE_EQ(b.Take(20, 0.6), 0.1);   // 10 refilled, 20 taken: 10 owed
  EXPECT_DOUBLE_EQ(b.Take(0, 10), 0);       // a long pause refills only up to the burst
  EXPECT_DOUBLE_EQ(b.Take(20, 10), 0.1);
}

TEST(TokenBucketTest, TakesOverTimeStayAtTheRate) {
  TokenBucket b(1000, 100);
  double now = 0;
  for (int i = 0; i < 100; ++i) now += b.Take(100, now);  // a worker doing 100 per step
  EXPECT_NEAR(now, 9.9, 1e-9);  // 10,000 taken: 100 from the burst, the rest at 1,000/s
}

}  // namespace
}  // namespace sever::actors

// The fixture of the rotation tests: a store on disk with helpers to fill tenants, run a
// rotation step by step, and read what the audit log and the records say.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "rotation_shards.h"
#include "schema.h"
#include "sever/store/record.h"
#include "sever/store/rotation.h"
#include "support/store_fixture.h"

namespace sever::testing {

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

inline size_t count(const std::vector<std::string>& v, const std::string& x) {
  return std::count(v.begin(), v.end(), x);
}

}  // namespace sever::testing

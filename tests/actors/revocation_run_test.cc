// run_revocation on a real store on disk against the fake provider over loopback: items
// streamed through small dispatcher queues all end revoked, requests to one host are not held
// to libcurl's per-host connection cap, and a dispatcher that dies is restarted from the durable
// item states without losing or repeating a revocation.
#include "sever/actors/revocation_run.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

#include "integration/fake_provider.h"
#include "schema.h"
#include "sever/providers/registry.h"
#include "sever/store/rotation.h"
#include "sever/store/time.h"
#include "support/store_fixture.h"

namespace sever::actors {
namespace {

using itest::FakeProvider;
using itest::sha256_hex;
using nlohmann::json;

std::atomic<int> g_crashes_left{0};
std::atomic<int> g_crashes{0};

// RFC 7009 with a bug: Build throws for credential "c7" while g_crashes_left > 0.
class CrashyAdapter : public providers::Adapter {
 public:
  std::string_view name() const override { return "crashy"; }
  Result<providers::HttpRequest> Build(const providers::RevokeItem& item,
                                       const providers::ProviderConfig& config) const override {
    if (item.id == "c7" && g_crashes_left.fetch_sub(1) > 0) {
      ++g_crashes;
      throw std::runtime_error("adapter bug");
    }
    return base()->Build(item, config);
  }
  providers::Classification Classify(const providers::HttpResponse& response,
                                     const providers::RevokeItem& item,
                                     double now_unix) const override {
    return base()->Classify(response, item, now_unix);
  }

 private:
  static const providers::Adapter* base() { return providers::find_adapter("rfc7009"); }
};

class RevocationRunTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    providers::register_builtin_providers();
    providers::register_adapter(std::make_unique<CrashyAdapter>());
    g_crashes_left = 0;
    g_crashes = 0;
    fake_ = std::make_unique<FakeProvider>(dir_.path(), json{{"seed", 1}});
    ASSERT_TRUE(fake_->ok()) << fake_->error();
  }

  // Writes n credentials per tool; each tool's items split over three OAuth clients.
  void Fill(const std::vector<std::string>& tools, int n) {
    for (const auto& tool : tools) {
      for (int i = 0; i < n; ++i) {
        auto c = Cred("acme", tool == tools.front() ? "c" + std::to_string(i)
                                                    : tool + "-" + std::to_string(i),
                      "tok-" + tool + "-" + std::to_string(i), tool);
        c.meta.client = "app-" + std::to_string(i % 3);
        ASSERT_TRUE(store_->Put(std::move(c), false, "test").ok());
      }
    }
  }

  // Every tool through `adapter` at the fake's RFC 7009 endpoint; rate key = the client.
  providers::ProviderSet Providers(const std::vector<std::string>& tools,
                                   const std::string& adapter, double rate = 100000,
                                   int concurrency = 4) {
    json p = json::object();
    for (const auto& t : tools) {
      p[t] = {{"adapter", adapter},
              {"endpoint", fake_->base_url("rfc7009") + "/" + t},
              {"rate_limit_per_s", rate},
              {"max_concurrency", concurrency}};
    }
    auto set = providers::parse_providers(json{{"providers", p}}.dump(), "test providers");
    EXPECT_TRUE(set.ok()) << set.status().ToString();
    return std::move(set).value();
  }

  JobSpec Start() {
    auto job = start_revocation(*store_, RevokeScope{}, "test", "test", "");
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    auto n = materialize_job(*store_, *job, sever::now_unix());
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return *job;
  }

  static RunOptions SmallQueues() {
    RunOptions o;
    o.dispatcher_queue = 6;  // many refills: the stream, not one big send, feeds dispatchers
    o.tool_backlog = 10;
    o.max_live = 9;  // and the run-wide bound holds reads back until the writer catches up
    o.writer_batch = 7;
    return o;
  }

  // Asserts every credential of the tools is revoked in the store and was revoked exactly
  // once at the fake (each token recorded once, one revoking request).
  void ExpectAllRevoked(const std::vector<std::string>& tools, int n) {
    auto record = fake_->get_record();
    for (const auto& tool : tools) {
      for (int i = 0; i < n; ++i) {
        const std::string id = tool == tools.front() ? "c" + std::to_string(i)
                                                     : tool + "-" + std::to_string(i);
        auto rec = store_->GetRecord("acme", id);
        ASSERT_TRUE(rec.ok()) << id;
        EXPECT_EQ(rec->state, State::revoked) << id;
        EXPECT_TRUE(rec->sealed.empty()) << id << ": secret not erased";
        auto it = record.find(sha256_hex("tok-" + tool + "-" + std::to_string(i)));
        ASSERT_NE(it, record.end()) << id << " never reached the provider";
        EXPECT_TRUE(it->second.value("revoked", false)) << id;
      }
    }
    EXPECT_EQ(record.size(), tools.size() * static_cast<size_t>(n));
  }

  // Stores a new secret ("later-i") for each of the first tool's n credentials, then runs the
  // job: all n must end revoked. Returns what the fake provider recorded.
  std::map<std::string, json> StoreLaterSecretsThenRun(JobSpec& job, int n) {
    for (int i = 0; i < n; ++i) {
      EXPECT_TRUE(store_->Put(Cred("acme", "c" + std::to_string(i), "later-" + std::to_string(i),
                                   "alpha"), true, "test").ok());
    }
    auto r = run_revocation(*store_, job, Providers({"alpha"}, "rfc7009"), SmallQueues(), nullptr);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) {
      EXPECT_EQ(r->all.revoked, static_cast<uint64_t>(n));
    }
    return fake_->get_record();
  }

  std::unique_ptr<FakeProvider> fake_;
};

TEST_F(RevocationRunTest, StreamsEveryItemThroughSmallQueues) {
  const std::vector<std::string> tools = {"alpha", "beta", "gamma"};
  Fill(tools, 40);
  JobSpec job = Start();
  auto ps = Providers(tools, "rfc7009");
  auto r = run_revocation(*store_, job, ps, SmallQueues(), nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->all.total, 120u);
  EXPECT_EQ(r->all.revoked, 120u);
  EXPECT_EQ(r->all.requests, 120u);
  EXPECT_EQ(r->by_provider["beta"].revoked, 40u);
  ExpectAllRevoked(tools, 40);
  auto counts = count_items(*store_, job.id);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->all[static_cast<size_t>(ItemState::revoked) - 1], 120u);
  EXPECT_EQ(load_job(*store_, job.id)->state, JobState::done);
}

// Providers may share one host (Google's tools do; so does every tool of the benchmark's fake
// provider): the run keeps as many requests in flight to it as its bound and the providers'
// windows allow, where libcurl's cap of 64 connections per host would hold the rest back.
TEST_F(RevocationRunTest, KeepsMoreThan64RequestsInFlightToOneHost) {
  fake_ = std::make_unique<FakeProvider>(
      dir_.path(), json{{"seed", 1}, {"providers", {{"rfc7009", {{"latency_ms", 300}}}}}});
  ASSERT_TRUE(fake_->ok()) << fake_->error();
  const std::vector<std::string> tools = {"alpha", "beta", "gamma", "delta"};
  Fill(tools, 100);  // 12 dispatchers (4 tools x 3 clients), each starting with a window of 8
  JobSpec job = Start();
  auto r = run_revocation(*store_, job, Providers(tools, "rfc7009", 100000, 64), RunOptions{},
                          nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->all.revoked, 400u);
  ExpectAllRevoked(tools, 100);
  EXPECT_GT(fake_->stats()["server"]["max_connections"].get<int>(), 64);
}

TEST_F(RevocationRunTest, RestartsADispatcherThatDiesAndLosesNothing) {
  const std::vector<std::string> tools = {"alpha", "beta"};
  Fill(tools, 30);
  JobSpec job = Start();
  auto ps = Providers(tools, "crashy");
  g_crashes_left = 2;  // c7's dispatcher dies twice, then c7 goes through
  auto r = run_revocation(*store_, job, ps, SmallQueues(), nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(g_crashes.load(), 2);
  EXPECT_EQ(r->all.revoked, 60u);
  ExpectAllRevoked(tools, 30);
  EXPECT_EQ(load_job(*store_, job.id)->state, JobState::done);
}

TEST_F(RevocationRunTest, ItemsThatNeedNoRequestTakeNoTokenOfTheProvidersRate) {
  // 300 API keys the RFC 7009 adapter cannot revoke (manual) and 3 tokens, at 1 request/s:
  // if the manual items took tokens the run would last ~5 minutes; it takes about no time.
  for (int i = 0; i < 300; ++i) {
    auto c = Cred("acme", "k" + std::to_string(i), "key-" + std::to_string(i), "alpha");
    c.meta.kind = Kind::api_key;
    ASSERT_TRUE(store_->Put(std::move(c), false, "test").ok());
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store_->Put(Cred("acme", "t" + std::to_string(i), "tok-" + std::to_string(i), "alpha"),
                            false, "test").ok());
  }
  JobSpec job = Start();
  auto ps = Providers({"alpha"}, "rfc7009", 1);
  auto r = run_revocation(*store_, job, ps, RunOptions(), nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->all.manual, 300u);
  EXPECT_EQ(r->all.revoked, 3u);
  EXPECT_EQ(r->all.requests, 3u);
  EXPECT_LT(r->elapsed_s, 30.0);
  EXPECT_EQ(fake_->get_record().size(), 3u);
}

TEST_F(RevocationRunTest, AKindTheProviderCannotRevokeIsManualWithoutItsRecordBeingRead) {
  for (int i = 0; i < 5; ++i) {
    auto c = Cred("acme", "k" + std::to_string(i), "key-" + std::to_string(i), "alpha");
    c.meta.kind = Kind::api_key;
    ASSERT_TRUE(store_->Put(std::move(c), false, "test").ok());
  }
  ASSERT_TRUE(store_->Put(Cred("acme", "t0", "tok-0", "alpha"), false, "test").ok());
  JobSpec job = Start();
  // The API keys' records vanish after materialization: reading one would dead-letter its
  // item. The item knows its kind, so the run neither reads nor decrypts those secrets.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_->db()->Delete({}, store_->cf(schema::kCreds),
                                     schema::cred_key("acme", "k" + std::to_string(i))).ok());
  }
  auto r = run_revocation(*store_, job, Providers({"alpha"}, "rfc7009"), RunOptions(), nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->all.manual, 5u);
  EXPECT_EQ(r->all.dead_letter, 0u);
  EXPECT_EQ(r->all.revoked, 1u);
  EXPECT_EQ(r->all.requests, 1u);
  size_t manual = 0;
  ASSERT_TRUE(scan_items(*store_, job.id, [&](const JobItem& it) {
                if (it.state == ItemState::manual) {
                  ++manual;
                  EXPECT_EQ(it.kind, Kind::api_key);
                  EXPECT_NE(it.detail.find("cannot revoke api_key"), std::string::npos) << it.detail;
                }
                return true;
              }).ok());
  EXPECT_EQ(manual, 5u);
}

// Each item carries the sealed secret its credential held at the freeze: that is the secret the
// job revokes, without reading the record again. A secret stored after the freeze is not sent.
TEST_F(RevocationRunTest, RevokesTheSecretsHeldAtTheFreezeFromTheItemsCopies) {
  Fill({"alpha"}, 6);
  JobSpec job = Start();
  auto record = StoreLaterSecretsThenRun(job, 6);
  EXPECT_EQ(record.size(), 6u);
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(record.count(sha256_hex("tok-alpha-" + std::to_string(i)))) << i;
    EXPECT_FALSE(record.count(sha256_hex("later-" + std::to_string(i)))) << i;
  }
  ASSERT_TRUE(scan_items(*store_, job.id, [&](const JobItem& it) {
                EXPECT_TRUE(it.sealed.empty()) << it.id << ": a final item keeps no copy";
                return true;
              }).ok());
}

// A rotation that re-seals the records and destroys the DEK version the items' copies name,
// between the freeze and the run: each item then opens its record under the new version.
TEST_F(RevocationRunTest, CopiesWhoseDekARotationDestroyedOpenTheRecordInstead) {
  Fill({"alpha"}, 6);
  JobSpec job = Start();
  RotationRequest rq;
  rq.scope = RotationScope::tenant;
  rq.tenant = "acme";
  rq.actor = "test";
  auto rot = begin_rotation(*store_, rq);
  ASSERT_TRUE(rot.ok()) << rot.status().ToString();
  for (auto& shard : rot->shards) {
    for (int guard = 0; shard.phase != ShardPhase::done && guard < 1000; ++guard) {
      ASSERT_TRUE(step_shard(*store_, shard, 100).ok());
    }
  }
  ASSERT_TRUE(finish_rotation(*store_, rot->job, rot->shards).ok());
  ASSERT_EQ(store_->GetRecord("acme", "c0")->dek_version, 2u);
  auto keys = tenant_keys(*store_, "acme", RotationPolicy{}, sever::now_unix());
  ASSERT_TRUE(keys.ok() && keys->size() == 1u && keys->front().older.size() == 1u);
  ASSERT_EQ(keys->front().older.front().version, 1u);
  ASSERT_EQ(keys->front().older.front().state, DekState::destroyed);
  ASSERT_TRUE(scan_items(*store_, job.id, [&](const JobItem& it) {
                EXPECT_EQ(it.dek_version, 1u) << it.id;  // the copies name the destroyed DEK
                return true;
              }).ok());
  auto r = run_revocation(*store_, job, Providers({"alpha"}, "rfc7009"), SmallQueues(), nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->all.revoked, 6u);
  EXPECT_EQ(r->all.dead_letter, 0u);
  ExpectAllRevoked({"alpha"}, 6);
}

// Items without a copy (written before copies were kept, or sent again by `jobs retry`) have
// their records read when they are dispatched.
TEST_F(RevocationRunTest, ItemsWithoutACopyRevokeTheSecretTheirRecordHolds) {
  Fill({"alpha"}, 6);
  JobSpec job = Start();
  std::vector<JobItem> items;
  ASSERT_TRUE(scan_items(*store_, job.id, [&](const JobItem& it) {
                EXPECT_FALSE(it.sealed.empty()) << it.id;
                items.push_back(it);
                items.back().sealed.clear();
                return true;
              }).ok());
  ASSERT_TRUE(commit_items(*store_, items, "test").ok());
  auto record = StoreLaterSecretsThenRun(job, 6);
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(record.count(sha256_hex("later-" + std::to_string(i)))) << i;
  EXPECT_EQ(record.size(), 6u);
}

TEST_F(RevocationRunTest, ADispatcherThatKeepsDyingFailsTheRunAndResumeFinishesIt) {
  const std::vector<std::string> tools = {"alpha"};
  Fill(tools, 20);
  JobSpec job = Start();
  auto crashy = Providers(tools, "crashy");
  g_crashes_left = 1000;
  RunOptions o = SmallQueues();
  o.max_restarts = 2;
  auto r = run_revocation(*store_, job, crashy, o, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("died 3 times"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(g_crashes.load(), 3);
  EXPECT_EQ(load_job(*store_, job.id)->state, JobState::running);
  // What was done stays done; a resume with a working adapter finishes the rest.
  auto fixed = Providers(tools, "rfc7009");
  auto again = run_revocation(*store_, job, fixed, SmallQueues(), nullptr);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->all.revoked, 20u);
  ExpectAllRevoked(tools, 20);
}

}  // namespace
}  // namespace sever::actors

// Integration tests of `sever revoke` killed with SIGKILL mid-run, then `sever jobs resume`,
// against the real `sever-fake-provider`: nothing is lost, nothing is left frozen but unrevoked.
#include "integration/revoke_fixture.h"

namespace sever::itest {
namespace {

using Clock = std::chrono::steady_clock;

// ---- kill -9 mid-run, then `jobs resume` ----------------------------------------------------

TEST_F(RevokeTest, KillNineMidRunThenResumeLosesNothing) {
  auto [fake, pf] = init_with_upstream(
      {{"gmail", {{"max_concurrency", 16}}}, {"dropbox", {{"max_concurrency", 16}}}},
      {{"google", {{"latency_ms", 20}}}, {"dropbox", {{"latency_ms", 20}}}});
  ASSERT_TRUE(fake->ok()) << fake->error();
  constexpr size_t kN = 2000;
  std::mt19937_64 rng(6);
  std::vector<Cred> creds;
  for (size_t i = 0; i < kN; ++i) {
    const std::string tool = i % 2 ? "gmail" : "dropbox";
    creds.push_back(make_cred(rng, "t" + std::to_string(i % 4), tool + "-" + std::to_string(i),
                              tool, "u" + std::to_string(i % 13) + "@x"));
  }
  import(store(), creds);

  Background bg(store().argv({"revoke", "--all", "--yes", "--reason", "itest", "--providers", pf,
                              "--no-progress", "--format", "json"}),
                RunOptions{}, tmp().path(), "revoke");
  ASSERT_TRUE(bg.started());
  uint64_t at_kill = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < deadline && !bg.poll()) {
    at_kill = FakeProvider::total(fake->stats(), "revoked");
    if (at_kill >= 200) break;
    ::usleep(5000);
  }
  bg.kill(SIGKILL);
  auto killed = bg.wait_for(std::chrono::seconds(10));
  ASSERT_EQ(killed.code, 128 + SIGKILL) << "the run ended before it could be killed: "
                                        << killed.describe();
  ASSERT_GE(at_kill, 200u);
  ASSERT_LT(FakeProvider::total(fake->stats(), "revoked"), kN)
      << "every token was revoked before the kill: the test proves nothing";

  json jobs = job_list(store());
  ASSERT_EQ(jobs.size(), 1u) << jobs.dump(2);
  const std::string job = jobs[0]["id"];
  EXPECT_EQ(jobs[0]["state"], "running");
  RunOptions o;
  o.timeout = std::chrono::seconds(60);
  auto r = store().run({"jobs", "resume", job, "--no-progress", "--format", "json"}, o);
  ASSERT_EQ(r.code, 0) << r.describe();

  // Nothing lost: every token revoked at the provider, each revoked there exactly once (some
  // were sent twice: the second answer is "already revoked").
  auto record = fake->get_record();
  size_t revoked = 0;
  for (const auto& c : creds) {
    auto it = record.find(sha256_hex(c.secret));
    if (it == record.end()) {
      ADD_FAILURE() << key_of(c) << " never reached the provider";
      continue;
    }
    revoked += it->second.value("revoked", false);
    EXPECT_GE(it->second.value("attempts", 0), 1);
  }
  EXPECT_EQ(revoked, kN);
  EXPECT_EQ(record.size(), kN);
  EXPECT_EQ(FakeProvider::total(fake->stats(), "revoked"), kN);
  json show = job_show(store(), job);
  auto counts = item_counts(show);
  for (const char* s : {"pending", "in_flight", "retry_wait", "dead_letter", "manual"}) {
    EXPECT_EQ(counts[s], 0u) << s << "\n" << show.dump(2);
  }
  EXPECT_EQ(counts["revoked"] + counts["already_gone"], kN) << show.dump(2);
  // An item is already_gone exactly when its token was sent again after the provider had
  // revoked it (the answer to the first send was lost with the killed process).
  EXPECT_EQ(counts["already_gone"], FakeProvider::total(fake->stats(), "already_gone"))
      << show.dump(2);
  EXPECT_EQ(show.value("state", std::string()), "done");
  auto v = store().run({"audit", "verify"});
  SEVER_EXPECT_EXIT(v, 0);
  EXPECT_EQ(count(store(), {"--state", "revoked"}), static_cast<int64_t>(kN));
}

// A job over an --ids list killed after its freeze but before its items were all written: the
// resumed job must still revoke every listed credential (they are frozen: nothing else will).
TEST_F(RevokeTest, KillNineBeforeAnIdsJobIsMaterializedThenResumeLosesNothing) {
  auto [fake, pf] =
      init_with_upstream({{"gmail", {{"rate_limit_per_s", 100000}, {"max_concurrency", 128}}}});
  ASSERT_TRUE(fake->ok()) << fake->error();
  constexpr size_t kN = 10000;
  std::mt19937_64 rng(61);
  std::vector<Cred> creds;
  std::string ids;
  for (size_t i = 0; i < kN; ++i) {
    creds.push_back(make_cred(rng, "t" + std::to_string(i % 4), "g-" + std::to_string(i), "gmail",
                              "u@x"));
    ids += key_of(creds.back()) + "\n";
  }
  import(store(), creds);
  const std::string ids_file = put_file("ids.txt", ids);

  Background bg(store().argv({"revoke", "--ids", ids_file, "--reason", "itest", "--providers",
                              pf, "--no-progress"}),
                RunOptions{}, tmp().path(), "revoke");
  ASSERT_TRUE(bg.started());
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (bg.err().find("frozen:") == std::string::npos && !bg.poll() && Clock::now() < deadline) {
    ::usleep(1000);
  }
  bg.kill(SIGKILL);  // right after the freeze: while (or before) the items are written
  auto killed = bg.wait_for(std::chrono::seconds(10));
  ASSERT_EQ(killed.code, 128 + SIGKILL) << killed.describe();
  ASSERT_NE(killed.err.find("frozen:"), std::string::npos) << killed.describe();

  json jobs = job_list(store());
  ASSERT_EQ(jobs.size(), 1u) << jobs.dump(2);
  const std::string job = jobs[0]["id"];
  RunOptions o;
  o.timeout = std::chrono::seconds(60);
  auto r = store().run({"jobs", "resume", job, "--no-progress", "--format", "json"}, o);
  ASSERT_EQ(r.code, 0) << r.describe();

  auto record = fake->get_record();
  size_t revoked = 0;
  for (const auto& c : creds) revoked += record_of(record, c.secret).value("revoked", false);
  EXPECT_EQ(revoked, kN) << "listed credentials left frozen but never revoked\nresume: " << r.out;
  json show = job_show(store(), job);
  auto counts = item_counts(show);
  EXPECT_EQ(counts["revoked"] + counts["already_gone"], kN) << show.dump(2);
  EXPECT_EQ(count(store(), {"--state", "revoked"}), static_cast<int64_t>(kN));
}

}  // namespace
}  // namespace sever::itest

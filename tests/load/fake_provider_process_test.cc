// Tests of sever-fake-provider as a process: the record file on SIGTERM and on flush, seeded
// faults, shared token state across loops, --max-seconds, and refused flags and configs.
// Skipped when not built.
#include "load/fake_provider_test_util.h"

namespace sever::fake_provider_test {
namespace {

TEST(FakeProviderProcess, RecordFileOnSigtermListsHashesNeverTokens) {
  if (access(binary().c_str(), X_OK) != 0) GTEST_SKIP() << binary() << " is not built";
  FakeProcess fake("{}");
  ASSERT_NE(fake.port(), 0);
  {
    Conn c(fake.port());
    for (const char* t : {"rec-token-a", "rec-token-b", "rec-token-a"}) {
      ASSERT_TRUE(c.roundtrip(form_request("/google/revoke", std::string("token=") + t)));
    }
    ASSERT_TRUE(c.roundtrip(http_request("POST", "/dropbox/2/auth/token/revoke", "",
                                         {"Authorization: Bearer rec-token-c"})));
    // GET /_fake/record serves the same lines the file will hold.
    auto r = c.roundtrip(http_request("GET", "/_fake/record"));
    ASSERT_TRUE(r);
    EXPECT_EQ(std::count(r->body.begin(), r->body.end(), '\n'), 3);
  }
  ASSERT_EQ(fake.terminate(), 0) << fake.err();
  std::ifstream in(fake.record_path());
  ASSERT_TRUE(in) << fake.record_path();
  std::map<std::string, json> by_hash;
  std::string text, line;
  while (std::getline(in, line)) {
    text += line + "\n";
    const json j = json::parse(line);
    by_hash[j["token_sha256"].get<std::string>()] = j;
  }
  ASSERT_EQ(by_hash.size(), 3u) << text;
  EXPECT_EQ(text.find("rec-token"), std::string::npos) << "plaintext token in the record";
  const json& a = by_hash[sha256_hex("rec-token-a")];
  EXPECT_EQ(a["provider"], "google");
  EXPECT_EQ(a["attempts"], 2);
  EXPECT_EQ(a["revoked"], true);
  EXPECT_EQ(a["limited"], 0);
  EXPECT_GT(a["first_revoked_ms"].get<int64_t>(), 1700000000000);
  EXPECT_EQ(by_hash[sha256_hex("rec-token-b")]["attempts"], 1);
  EXPECT_EQ(by_hash[sha256_hex("rec-token-c")]["provider"], "dropbox");
}

TEST(FakeProviderProcess, FlushWritesTheRecordWhileRunning) {
  if (access(binary().c_str(), X_OK) != 0) GTEST_SKIP() << binary() << " is not built";
  FakeProcess fake("");
  ASSERT_NE(fake.port(), 0);
  Conn c(fake.port());
  ASSERT_TRUE(c.roundtrip(form_request("/box/oauth2/revoke", "token=flush-1")));
  auto r = c.roundtrip(http_request("POST", "/_fake/flush"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["written"], 1);
  std::ifstream in(fake.record_path());
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(json::parse(line)["token_sha256"], sha256_hex("flush-1"));
}

TEST(FakeProviderProcess, SameSeedSameFaults) {
  if (access(binary().c_str(), X_OK) != 0) GTEST_SKIP() << binary() << " is not built";
  const std::string cfg = R"({"providers":{"google":{"error_5xx_ratio":0.5}}})";
  auto run = [&](const char* seed) {
    FakeProcess fake(cfg, {"--seed", seed});
    std::string statuses;
    Conn c(fake.port());
    for (int i = 0; i < 40; ++i) {
      auto r = c.roundtrip(form_request("/google/revoke", "token=seeded-" + std::to_string(i)));
      statuses += r ? std::to_string(r->status) + " " : "none ";
    }
    return statuses;
  };
  const std::string a = run("11");
  EXPECT_EQ(a, run("11"));
  EXPECT_NE(a, run("12"));
  EXPECT_NE(a.find("200"), std::string::npos);
  EXPECT_NE(a.find("50"), std::string::npos);
}

TEST(FakeProviderProcess, TwoLoopsShareOneTokenState) {
  if (access(binary().c_str(), X_OK) != 0) GTEST_SKIP() << binary() << " is not built";
  FakeProcess fake("", {"--threads", "2"});
  ASSERT_NE(fake.port(), 0);
  // Four connections revoke the same 200 tokens concurrently: each token is revoked exactly
  // once, whichever loop served the request.
  std::vector<std::thread> clients;
  std::atomic<int> ok{0}, gone{0};
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      Conn c(fake.port());
      for (int i = 0; i < 200; ++i) {
        auto r = c.roundtrip(form_request("/google/revoke", "token=mt-" + std::to_string(i)));
        if (r && r->status == 200) ++ok;
        if (r && r->status == 400) ++gone;
      }
    });
  }
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(gone.load(), 600);
  EXPECT_EQ(stats(fake.port())["providers"]["google"]["revoked"], 200);
}

TEST(FakeProviderProcess, MaxSecondsStopsIt) {
  if (access(binary().c_str(), X_OK) != 0) GTEST_SKIP() << binary() << " is not built";
  const auto start = Clock::now();
  FakeProcess fake("", {"--max-seconds", "0.5"});
  ASSERT_NE(fake.port(), 0);
  EXPECT_EQ(fake.wait_exit(std::chrono::seconds(5)), 0);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
}

TEST(FakeProviderProcess, RefusesNonLoopbackAndBadConfig) {
  if (access(binary().c_str(), X_OK) != 0) GTEST_SKIP() << binary() << " is not built";
  for (const char* addr : {"0.0.0.0:0", "10.1.2.3:0", "[::]:0", "example.com:80"}) {
    FakeProcess fake("", {}, addr);
    EXPECT_EQ(fake.port(), 0);
    EXPECT_EQ(fake.wait_exit(std::chrono::seconds(5)), 2) << addr;
    EXPECT_NE(fake.err().find("loopback"), std::string::npos) << fake.err();
  }
  const std::pair<const char*, const char*> bad[] = {
      {R"({"providers":{"google":{"burst":-1}}})", "providers.google.burst"},
      {R"({"providers":{"google":{"limit_style":"smoke-signals"}}})", "providers.google.limit_style"},
      {R"({"providers":{"nosuch":{}}})", "providers.nosuch"},
      {R"({"providers":{"google":{"reset_ratio":0.7,"timeout_ratio":0.7}}})", "providers.google"},
      {R"({"providers":{"*":{"latency_msec":1}}})", "providers.*.latency_msec"},
      {R"({"seed":"x"})", "seed"},
      {"not json", "JSON"},
  };
  for (const auto& [cfg, field] : bad) {
    FakeProcess fake(cfg);
    EXPECT_EQ(fake.wait_exit(std::chrono::seconds(5)), 2) << cfg;
    EXPECT_NE(fake.err().find(field), std::string::npos) << fake.err();
  }
}

}  // namespace
}  // namespace sever::fake_provider_test

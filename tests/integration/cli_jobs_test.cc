// Integration tests of `sever jobs` after `sever revoke`, against the real
// `sever-fake-provider`: dead letters after the last attempt and `jobs retry`, and an --ids
// job's bookkeeping.
#include <regex>

#include "integration/revoke_fixture.h"

namespace sever::itest {
namespace {

// ---- dead letters after the last attempt, then `jobs retry` ---------------------------------

// Reads the job's items directly: "tenant/id" → (state, attempts) as sever stored them.
std::map<std::string, std::pair<int, uint32_t>> raw_items(const std::string& data,
                                                          const std::string& job) {
  std::map<std::string, std::pair<int, uint32_t>> out;
  RawDb db(data, true);
  EXPECT_TRUE(db.status().ok()) << db.status().ToString();
  if (!db.status().ok() || db.cf("job_items") == nullptr) return out;
  const std::string prefix = job + std::string(1, '\0');
  std::unique_ptr<rocksdb::Iterator> it(db.db()->NewIterator({}, db.cf("job_items")));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string k = it->key().ToString().substr(prefix.size());  // job\0 tool\0 rank(4) tenant\0id
    k = k.substr(k.find('\0') + 1 + 4);
    std::replace(k.begin(), k.end(), '\0', '/');
    std::string v = it->value().ToString();
    if (v.size() < 3) {
      ADD_FAILURE() << "short item value for " << k;
      continue;
    }
    uint32_t attempts = 0;
    int shift = 0;
    // format, state, [kind: formats 3 and 4], attempts (varint), …
    for (size_t i = v[0] >= 3 ? 3 : 2; i < v.size(); ++i, shift += 7) {
      attempts |= static_cast<uint32_t>(static_cast<uint8_t>(v[i]) & 0x7f) << shift;
      if ((static_cast<uint8_t>(v[i]) & 0x80) == 0) break;
    }
    out[k] = {static_cast<uint8_t>(v[1]), attempts};
  }
  return out;
}

TEST_F(RevokeTest, DeadLettersAfterTheLastAttemptThenRetrySucceeds) {
  auto [sick, pf] = init_with_upstream({{"gmail", {{"max_attempts", 3}}}},
                                       {{"google", {{"error_5xx_ratio", 1.0}}}},
                                       "providers-sick.json");
  ASSERT_TRUE(sick->ok()) << sick->error();
  std::mt19937_64 rng(5);
  std::vector<Cred> creds;
  for (int i = 0; i < 4; ++i) {
    // Two OAuth clients: two dispatchers, each below the circuit breaker's threshold.
    Cred c = make_cred(rng, "acme", "gmail-" + std::to_string(i), "gmail", "u@acme");
    c.client = i % 2 ? "client-a" : "client-b";
    creds.push_back(c);
  }
  import(store(), creds);

  auto r = revoke(store(), {"--tool", "gmail"}, pf);
  ASSERT_EQ(r.code, 4) << r.describe();
  json sum = parse_json(r.out, "revoke summary");
  const std::string job = sum.value("job", std::string());
  EXPECT_EQ(sum["all"]["dead_letter"], creds.size()) << r.out;
  EXPECT_EQ(sum["all"]["revoked"], 0) << r.out;
  auto counts = item_counts(job_show(store(), job));
  EXPECT_EQ(counts["dead_letter"], creds.size());
  // The reason names the HTTP status of the last answer.
  auto shown = store().run({"jobs", "show", job});
  ASSERT_EQ(shown.code, 0) << shown.describe();
  for (const auto& c : creds) {
    std::regex line("dead_letter +" + key_of(c) +
                    " \\(gmail\\): [^\n]*3 attempts[^\n]*HTTP 50[023]");
    EXPECT_TRUE(std::regex_search(shown.out, line)) << key_of(c) << ":\n" << shown.out;
  }
  // sever stored 3 attempts per item. A 503 that carries Retry-After is the provider saying
  // "later" (rate_signal.h), so it uses up no attempt (bounded at 4 x max_attempts answers);
  // every other request the fake saw is one of the 3 attempts of its token.
  auto items = raw_items(store().data, job);
  ASSERT_EQ(items.size(), creds.size());
  for (const auto& [k, v] : items) {
    EXPECT_EQ(v.first, 7) << k << ": not dead_letter";
    EXPECT_EQ(v.second, 3u) << k << ": attempts";
  }
  auto record = sick->get_record();
  uint64_t fake_attempts = 0;
  for (const auto& c : creds) {
    const json rec = record_of(record, c.secret);
    EXPECT_FALSE(rec.value("revoked", true)) << rec.dump();
    EXPECT_GE(rec.value("attempts", 0), 3) << key_of(c) << ": " << rec.dump();
    fake_attempts += rec.value("attempts", 0);
  }
  const uint64_t limited = sum["by_provider"]["gmail"]["rate_limited"].get<uint64_t>();
  EXPECT_EQ(fake_attempts, 3 * creds.size() + limited) << r.out;
  EXPECT_EQ(sum["by_provider"]["gmail"]["requests"].get<uint64_t>(), 3 * creds.size() + limited) << r.out;
  json stats = sick->stats();
  EXPECT_EQ(FakeProvider::counter(stats, "google", "errors_5xx"),
            FakeProvider::counter(stats, "google", "requests"));
  {
    auto lib = open_lib(store());
    ASSERT_TRUE(lib);
    for (const auto& c : creds) expect_secret_kept(*lib, c);  // dead letters keep theirs
  }
  for (const auto& c : creds) expect_get_refused(store(), c, "frozen");

  // Retry against a healthy provider (the job keeps its own file; --providers overrides it).
  auto [healthy, pf2] =
      start_upstream({{"gmail", {{"max_attempts", 3}}}}, json::object(), "providers-healthy.json");
  ASSERT_TRUE(healthy->ok()) << healthy->error();
  auto rr = store().run({"jobs", "retry", job, "--providers", pf2, "--no-progress", "--format",
                         "json"});
  ASSERT_EQ(rr.code, 0) << rr.describe();
  json sum2 = parse_json(rr.out, "retry summary");
  EXPECT_EQ(sum2["all"]["revoked"], creds.size()) << rr.out;
  auto record2 = healthy->get_record();
  for (const auto& c : creds) {
    const json rec = record_of(record2, c.secret);
    EXPECT_TRUE(rec.value("revoked", false)) << key_of(c) << " " << rec.dump();
    EXPECT_EQ(rec.value("attempts", 0), 1) << rec.dump();
  }
  json show = job_show(store(), job);
  counts = item_counts(show);
  EXPECT_EQ(counts["revoked"], creds.size()) << show.dump(2);
  EXPECT_EQ(counts["dead_letter"], 0u) << show.dump(2);
  EXPECT_EQ(show.value("providers_file", std::string()), pf) << "the job's own file changed";
  EXPECT_EQ(show.value("state", std::string()), "done");
  for (const auto& c : creds) expect_get_refused(store(), c, "revoked");
  auto lib = open_lib(store());
  ASSERT_TRUE(lib);
  for (const auto& c : creds) expect_secret_erased(*lib, c);
}

// ---- an --ids job's bookkeeping -------------------------------------------------------------

// An --ids job's bookkeeping: its scope still says how many ids it was given once reloaded, and
// an id listed twice is one item.
TEST_F(RevokeTest, IdsJobKeepsItsScopeAndCountsEachCredentialOnce) {
  auto [fake, pf] = init_with_upstream({{"gmail", {}}});
  ASSERT_TRUE(fake->ok()) << fake->error();
  std::mt19937_64 rng(62);
  std::vector<Cred> creds = {make_cred(rng, "acme", "g1", "gmail", "a@acme"),
                             make_cred(rng, "acme", "g2", "gmail", "a@acme")};
  import(store(), creds);
  const std::string ids_file = put_file("ids.txt", "acme/g1\nacme/g1\nacme/g2\n");
  auto r = revoke(store(), {"--ids", ids_file}, pf);
  ASSERT_EQ(r.code, 0) << r.describe();
  json sum = parse_json(r.out, "revoke summary");
  EXPECT_EQ(sum["all"]["revoked"], 2) << r.out;
  json jobs = job_list(store());
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["items"], 2) << "an id listed twice counted twice: " << jobs.dump(2);
  const std::string scope = jobs[0].value("scope", std::string());
  EXPECT_TRUE(scope == "2 ids" || scope == "3 ids") << "the scope lost its ids: " << scope;
  json show = job_show(store(), jobs[0]["id"]);
  EXPECT_EQ(item_counts(show)["revoked"], 2u) << show.dump(2);
  EXPECT_EQ(show.value("scope", std::string()), scope);
}

}  // namespace
}  // namespace sever::itest

// Integration tests of `sever revoke` scopes against the real `sever-fake-provider`: every
// scope revokes exactly its credentials at the providers (checked by SHA-256 in the fake's
// record), reads are refused from the freeze on, dry runs and refusals change nothing, and
// providers with no revocation API end manual.
#include <regex>

#include "integration/revoke_fixture.h"

namespace sever::itest {
namespace {

using Clock = std::chrono::steady_clock;

// ---- every scope revokes exactly its credentials, as the provider saw it --------------------

TEST_F(RevokeTest, EachScopeRevokesExactlyItsCredentialsAtTheProviders) {
  auto [fake, pf] = init_with_upstream(
      {{"github", {}}, {"gmail", {}}, {"slack", {}}, {"dropbox", {}}, {"hubspot", {}}});
  ASSERT_TRUE(fake->ok()) << fake->error();
  std::mt19937_64 rng(20260101);
  std::vector<Cred> creds;
  for (const std::string tenant : {"acme", "beta", "gamma"}) {
    for (const std::string tool : {"github", "gmail", "slack", "dropbox", "hubspot"}) {
      for (int i = 0; i < 3; ++i) {
        const std::string user = (i % 2 == 0 ? "alice@" : "bob@") + tenant + ".example";
        creds.push_back(make_cred(rng, tenant, tool + "-" + std::to_string(i), tool, user));
      }
    }
  }
  import(store(), creds);
  std::map<std::string, std::string> adapter_of_sha;  // what the fake must call each token
  for (const auto& c : creds) adapter_of_sha[sha256_hex(c.secret)] = adapter_of_tool(c.tool);

  const std::set<std::string> id_list = {"gamma/gmail-0", "gamma/slack-1", "gamma/hubspot-2",
                                         "gamma/dropbox-0"};
  const std::string ids_file =
      put_file("ids.txt", "# breach list\ngamma/gmail-0\ngamma\tslack-1\n"
                          "{\"tenant\":\"gamma\",\"id\":\"hubspot-2\"}\ngamma/dropbox-0\n"
                          "gamma/no-such-credential\n");
  struct Step {
    std::string name;
    std::vector<std::string> scope;
    std::function<bool(const Cred&)> in_scope;
  };
  const std::vector<Step> steps = {
      {"--tool github", {"--tool", "github"}, [](const Cred& c) { return c.tool == "github"; }},
      {"--tenant beta", {"--tenant", "beta"}, [](const Cred& c) { return c.tenant == "beta"; }},
      {"--user acme:alice", {"--user", "acme:alice@acme.example"},
       [](const Cred& c) { return c.tenant == "acme" && c.user == "alice@acme.example"; }},
      {"--ids", {"--ids", ids_file}, [&](const Cred& c) { return id_list.count(key_of(c)) > 0; }},
  };

  std::set<std::string> revoked;  // keys revoked so far, over all steps
  std::vector<std::string> job_ids;
  for (const auto& step : steps) {
    SCOPED_TRACE(step.name);
    std::vector<Cred> now_in;  // in scope and not revoked by an earlier step
    std::map<std::string, uint64_t> per_tool;
    for (const auto& c : creds) {
      if (step.in_scope(c) && !revoked.count(key_of(c))) {
        now_in.push_back(c);
        ++per_tool[c.tool];
      }
    }
    ASSERT_FALSE(now_in.empty());
    auto r = revoke(store(), step.scope, pf);
    ASSERT_EQ(r.code, 0) << r.describe();
    json sum = parse_json(r.out, "revoke summary");
    ASSERT_TRUE(sum.is_object()) << r.describe();
    const std::string job = sum.value("job", std::string());
    job_ids.push_back(job);
    EXPECT_EQ(sum["state"], "done") << r.out;
    EXPECT_EQ(sum["all"]["total"], now_in.size()) << r.out;
    EXPECT_EQ(sum["all"]["revoked"], now_in.size()) << r.out;
    EXPECT_EQ(sum["all"]["dead_letter"], 0) << r.out;
    EXPECT_EQ(sum["all"]["manual"], 0) << r.out;
    for (const auto& c : now_in) revoked.insert(key_of(c));

    // The fake's record: the tokens it revoked are exactly those in the scopes so far, and it
    // never saw any other token (no out-of-scope token touched).
    std::set<std::string> want, seen, seen_revoked;
    for (const auto& c : creds) {
      if (revoked.count(key_of(c))) want.insert(sha256_hex(c.secret));
    }
    for (const auto& [sha, rec] : fake->get_record()) {
      seen.insert(sha);
      if (rec.value("revoked", false)) seen_revoked.insert(sha);
      EXPECT_EQ(rec.value("provider", std::string()), adapter_of_sha[sha]) << rec.dump();
    }
    EXPECT_EQ(seen_revoked, want) << "the fake revoked other tokens than the scope's";
    EXPECT_EQ(seen, want) << "the fake was sent tokens out of scope";

    // jobs show agrees, per state and per tool.
    json show = job_show(store(), job);
    EXPECT_EQ(show.value("state", std::string()), "done") << show.dump(2);
    auto counts = item_counts(show);
    EXPECT_EQ(counts["revoked"], now_in.size()) << show.dump(2);
    for (const auto& [state, n] : counts) {
      if (state != "revoked") {
        EXPECT_EQ(n, 0u) << state << "\n" << show.dump(2);
      }
    }
    for (const auto& [tool, n] : per_tool) {
      EXPECT_EQ(item_counts(show, tool)["revoked"], n) << tool << "\n" << show.dump(2);
    }

    // inventory --state revoked lists exactly the revoked ones.
    auto inv = ids_of(inventory_json(store(), {"--state", "revoked"}));
    EXPECT_EQ(std::set<std::string>(inv.begin(), inv.end()), revoked);
    expect_get_refused(store(), now_in.front(), "revoked");
  }
  json jobs = job_list(store());
  EXPECT_EQ(jobs.size(), steps.size());
  for (const auto& j : jobs) {
    EXPECT_EQ(j.value("state", std::string()), "done") << j.dump();
    EXPECT_NE(std::find(job_ids.begin(), job_ids.end(), j.value("id", std::string())),
              job_ids.end()) << j.dump();
  }

  // Out of every scope: still readable. In one: refused, its secret erased.
  for (const auto& c : creds) {
    if (!revoked.count(key_of(c))) expect_get_ok(store(), c);
  }
  auto r = store().run({"audit", "verify"});
  SEVER_EXPECT_EXIT(r, 0);
  auto lib = open_lib(store());
  ASSERT_TRUE(lib);
  for (const auto& c : creds) {
    if (revoked.count(key_of(c))) expect_secret_erased(*lib, c);
    else expect_secret_kept(*lib, c);
  }
}

// ---- reads refused from the freeze on -------------------------------------------------------

// A `get` cannot run while the revoke process holds the store (RocksDB admits one process; a
// second `sever` exits 3 "in use by another process"), so the freeze is observed in two ways:
// while the job runs, the freeze marker is read from the live database opened read-only (it is
// there before the provider calls end), and after the run, `get` of every in-scope credential —
// including the dead-lettered ones, whose secrets are kept — is refused while the others read.
TEST_F(RevokeTest, ReadsAreRefusedFromTheFreezeOn) {
  auto [fake, pf] = init_with_upstream(
      {{"gmail", {{"max_concurrency", 1}}}, {"dropbox", {{"max_attempts", 2}}}},
      {{"google", {{"latency_ms", 300}}}, {"dropbox", {{"down", true}}}});
  ASSERT_TRUE(fake->ok()) << fake->error();
  std::mt19937_64 rng(2);
  std::vector<Cred> in, out;
  auto add = [&](std::vector<Cred>& to, int n, const std::string& tenant, const std::string& tool) {
    for (int i = 0; i < n; ++i) {
      to.push_back(make_cred(rng, tenant, tool + "-" + std::to_string(i), tool, "u@" + tenant));
    }
  };
  add(in, 4, "acme", "gmail");
  add(in, 3, "acme", "dropbox");
  add(out, 2, "beta", "gmail");
  add(out, 2, "beta", "dropbox");
  std::vector<Cred> all = in;
  all.insert(all.end(), out.begin(), out.end());
  import(store(), all);

  Background bg(store().argv({"revoke", "--tenant", "acme", "--reason", "itest", "--providers",
                              pf, "--no-progress"}),
                RunOptions{}, tmp().path(), "revoke");
  ASSERT_TRUE(bg.started());
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (bg.err().find("frozen: tenant acme") == std::string::npos && !bg.poll() &&
         Clock::now() < deadline) {
    ::usleep(5000);
  }
  ASSERT_NE(bg.err().find("frozen: tenant acme"), std::string::npos)
      << "no freeze line; stderr:\n" << bg.err();
  // The job is still calling the provider (4 × 300 ms, one at a time) …
  const uint64_t google_done = FakeProvider::counter(fake->stats(), "google", "revoked");
  EXPECT_LT(google_done, 4u) << "the run ended before the freeze could be observed";
  // … and the freeze marker is already durable.
  {
    RawDb live(store().data, /*read_only=*/true);
    if (live.status().ok()) {
      ASSERT_NE(live.cf("freeze"), nullptr);
      auto markers = raw_keys(live, "freeze");
      EXPECT_TRUE(markers.count({"tenant", "acme"})) << "no freeze marker for tenant acme";
    } else {
      ADD_FAILURE() << "cannot open the live store read-only: " << live.status().ToString();
    }
  }
  auto r = bg.wait_for(std::chrono::seconds(60));
  ASSERT_EQ(r.code, 4) << r.describe();  // dropbox dead-lettered

  for (const auto& c : in) expect_get_refused(store(), c, c.tool == "gmail" ? "revoked" : "frozen");
  for (const auto& c : out) expect_get_ok(store(), c);
  json jobs = job_list(store());
  ASSERT_EQ(jobs.size(), 1u);
  auto counts = item_counts(job_show(store(), jobs[0]["id"]));
  EXPECT_EQ(counts["revoked"], 4u);
  EXPECT_EQ(counts["dead_letter"], 3u);
  auto record = fake->get_record();
  for (const auto& c : out) EXPECT_EQ(record.count(sha256_hex(c.secret)), 0u) << key_of(c);
  auto lib = open_lib(store());
  ASSERT_TRUE(lib);
  for (const auto& c : in) {
    if (c.tool == "gmail") expect_secret_erased(*lib, c);
    else expect_secret_kept(*lib, c);
  }
}

// ---- dry run, and refusals that freeze nothing ----------------------------------------------

TEST_F(RevokeTest, DryRunCountsPerProviderAndChangesNothing) {
  auto [fake, pf] = init_with_upstream({{"gmail", {}}, {"slack", {}}});
  ASSERT_TRUE(fake->ok()) << fake->error();
  std::mt19937_64 rng(7);
  std::vector<Cred> creds = {make_cred(rng, "acme", "g1", "gmail", "a@acme"),
                             make_cred(rng, "acme", "g2", "gmail", "a@acme"),
                             make_cred(rng, "acme", "g3", "gmail", "b@acme"),
                             make_cred(rng, "acme", "s1", "slack", "a@acme"),
                             make_cred(rng, "acme", "s2", "slack", "b@acme"),
                             make_cred(rng, "acme", "w1", "workday", "b@acme"),
                             make_cred(rng, "beta", "g1", "gmail", "c@beta")};
  import(store(), creds);
  const json audit_before = audit_json(store());

  auto r = store().run({"revoke", "--tenant", "acme", "--reason", "itest", "--providers", pf,
                        "--dry-run", "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.describe();
  json j = parse_json(r.out, "dry run");
  EXPECT_EQ(j["total"], 6) << r.out;
  EXPECT_EQ(j["providers"]["gmail"]["credentials"], 3) << r.out;
  EXPECT_EQ(j["providers"]["slack"]["credentials"], 2) << r.out;
  EXPECT_EQ(j["providers"]["workday"]["credentials"], 1) << r.out;
  EXPECT_EQ(j["providers"].size(), 3u) << r.out;
  auto t = store().run({"revoke", "--tenant", "acme", "--reason", "itest", "--providers", pf,
                        "--dry-run"});
  ASSERT_EQ(t.code, 0) << t.describe();
  EXPECT_NE(t.out.find("6 credentials"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("Nothing was changed"), std::string::npos) << t.out;

  EXPECT_EQ(audit_json(store()), audit_before) << "a dry run wrote to the audit log";
  EXPECT_TRUE(job_list(store()).empty());
  EXPECT_EQ(FakeProvider::total(fake->stats(), "requests"), 0u);
  for (const auto& c : creds) expect_get_ok(store(), c);
}

TEST_F(RevokeTest, RefusalsAndUsageErrorsFreezeNothing) {
  init(store());
  std::mt19937_64 rng(8);
  std::vector<Cred> creds = {make_cred(rng, "acme", "g1", "gmail", "a@acme"),
                             make_cred(rng, "beta", "s1", "slack", "b@beta")};
  import(store(), creds);
  const std::string good = put_file("providers-good.json", R"({"providers": {}})");
  const std::string typo = put_file(
      "providers-typo.json",
      R"({"providers": {"gmail": {"adapter": "google",
                                  "base_url": "http://127.0.0.1:9/google", "rate": 5}}})");
  const json audit_before = audit_json(store());

  // --all needs --yes when stdin is no terminal (the harness gives /dev/null).
  auto r = store().run({"revoke", "--all", "--reason", "itest", "--providers", good});
  EXPECT_EQ(r.code, 3) << r.describe();
  EXPECT_NE(r.err.find("--yes"), std::string::npos) << r.describe();
  r = store().run({"revoke", "--user", "acme", "--reason", "itest"});
  EXPECT_EQ(r.code, 2) << r.describe();
  EXPECT_NE(r.err.find("TENANT:USER"), std::string::npos) << r.describe();
  r = store().run({"revoke", "--tenant", "acme", "--tool", "gmail", "--reason", "itest"});
  EXPECT_EQ(r.code, 2) << r.describe();
  r = store().run({"revoke", "--reason", "itest"});
  EXPECT_EQ(r.code, 2) << r.describe();
  r = store().run({"revoke", "--tenant", "acme"});  // no --reason
  EXPECT_EQ(r.code, 2) << r.describe();
  r = store().run({"revoke", "--tenant", "acme", "--reason", "itest", "--providers", typo});
  EXPECT_EQ(r.code, 2) << r.describe();
  EXPECT_NE(r.err.find("unknown field 'rate'"), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("gmail"), std::string::npos) << r.describe();
  r = store().run({"revoke", "--tenant", "acme", "--reason", "itest", "--providers",
                   tmp() / "no-such-providers.json"});
  EXPECT_EQ(r.code, 2) << r.describe();
  // A client secret comes only from the environment: unset, the file is refused up front.
  const std::string gh = put_file(
      "providers-gh.json",
      json{{"providers", {{"github", {{"adapter", "github"},
                                      {"base_url", "http://127.0.0.1:9/github"},
                                      {"client_id", kGithubClientId},
                                      {"client_secret_env", kGithubSecretEnv}}}}}}.dump());
  RunOptions no_secret;
  no_secret.env = {{kGithubSecretEnv, std::nullopt}};
  r = store().run({"revoke", "--tenant", "acme", "--reason", "itest", "--providers", gh},
                  no_secret);
  EXPECT_EQ(r.code, 2) << r.describe();
  EXPECT_NE(r.err.find(kGithubSecretEnv), std::string::npos) << r.describe();

  EXPECT_TRUE(job_list(store()).empty());
  json audit_after = audit_json(store());
  for (const auto& e : audit_after) {
    EXPECT_EQ(e.dump().find("revoke."), std::string::npos) << "audited: " << e.dump();
  }
  for (const auto& c : creds) expect_get_ok(store(), c);
}

// ---- providers without a revocation API -----------------------------------------------------

TEST_F(RevokeTest, ManualProvidersEndManualWithTheAdminAction) {
  // workday: the built-in catalog (manual)
  auto [fake, pf] = init_with_upstream({{"gmail", {}}});
  ASSERT_TRUE(fake->ok()) << fake->error();
  std::mt19937_64 rng(9);
  std::vector<Cred> manual, api;
  for (int i = 0; i < 3; ++i) {
    manual.push_back(make_cred(rng, "acme", "wd-" + std::to_string(i), "workday", "a@acme"));
  }
  for (int i = 0; i < 2; ++i) {
    api.push_back(make_cred(rng, "acme", "gm-" + std::to_string(i), "gmail", "a@acme"));
  }
  std::vector<Cred> all = manual;
  all.insert(all.end(), api.begin(), api.end());
  import(store(), all);

  auto r = revoke(store(), {"--tenant", "acme"}, pf);
  ASSERT_EQ(r.code, 4) << r.describe();
  json sum = parse_json(r.out, "revoke summary");
  EXPECT_EQ(sum["all"]["manual"], 3) << r.out;
  EXPECT_EQ(sum["all"]["revoked"], 2) << r.out;
  const std::string job = sum.value("job", std::string());
  auto counts = item_counts(job_show(store(), job));
  EXPECT_EQ(counts["manual"], 3u);
  EXPECT_EQ(counts["revoked"], 2u);
  auto shown = store().run({"jobs", "show", job});
  ASSERT_EQ(shown.code, 0) << shown.describe();
  for (const auto& c : manual) {
    std::regex line("manual +" + key_of(c) +
                    " \\(workday\\): [^\n]*Manage Refresh Tokens for Integrations");
    EXPECT_TRUE(std::regex_search(shown.out, line)) << key_of(c) << ":\n" << shown.out;
  }
  auto record = fake->get_record();
  EXPECT_EQ(record.size(), api.size()) << "only the gmail tokens go to a provider";
  for (const auto& c : manual) {
    EXPECT_EQ(record.count(sha256_hex(c.secret)), 0u);
    expect_get_refused(store(), c, "frozen");
  }
  auto lib = open_lib(store());
  ASSERT_TRUE(lib);
  for (const auto& c : manual) expect_secret_kept(*lib, c);
  for (const auto& c : api) expect_secret_erased(*lib, c);
}


}  // namespace
}  // namespace sever::itest

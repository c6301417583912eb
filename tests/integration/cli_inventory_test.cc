// Integration tests of `sever inventory` and `sever report`: indexes agree with records on a
// generated store, filters and counts on a hand-made store, exact CSV, JSON report counts.
#include <algorithm>

#include "integration/harness.h"

namespace sever::itest {
namespace {

constexpr int64_t kDay = 86400;

class InventoryTest : public CliTest {};

// Sorts inventory rows by (tenant, id) so that index scans and full scans compare as sets.
json sorted(json rows) {
  std::vector<json> v(rows.begin(), rows.end());
  std::sort(v.begin(), v.end(), [](const json& a, const json& b) {
    return std::make_pair(a["tenant"].get<std::string>(), a["id"].get<std::string>()) <
           std::make_pair(b["tenant"].get<std::string>(), b["id"].get<std::string>());
  });
  return json(v);
}

json subset(const json& rows, const std::function<bool(const json&)>& keep) {
  json out = json::array();
  for (const auto& r : rows) {
    if (keep(r)) out.push_back(r);
  }
  return out;
}

// ---- indexes agree with records on ~2,000 generated credentials ---------------------------

// The same shape as `sever-load gen` (used when that binary is not built): tenants of uneven
// size, a weighted tool mix, users per tenant, never-used, dormant and expired credentials.
std::string generate_lines(int n, uint64_t seed, int64_t now) {
  std::mt19937_64 rng(seed);
  const std::vector<std::pair<std::string, std::vector<std::string>>> tools = {
      {"github", {"repo:status", "read:user", "read:org", "repo", "admin:org"}},
      {"gmail", {"https://www.googleapis.com/auth/gmail.readonly",
                 "https://www.googleapis.com/auth/gmail.send"}},
      {"slack", {"channels:read", "chat:write", "users:read", "team:read", "admin"}},
      {"jira", {"read:jira-work", "read:jira-user", "offline_access", "write:jira-work"}},
      {"notion", {}},
      {"stripe", {}},
      {"salesforce", {"api", "refresh_token", "full"}},
      {"zoom", {"meeting:read", "user:read"}}};
  const std::vector<int> weights = {30, 15, 20, 8, 8, 6, 5, 3};
  const std::vector<std::string> kinds = {"oauth_access", "oauth_refresh", "api_key",
                                          "bot_token", "pat"};
  std::discrete_distribution<int> pick_tool(weights.begin(), weights.end());
  std::discrete_distribution<int> pick_tenant({40, 20, 12, 8, 6, 5, 4, 3, 1, 1});
  std::uniform_int_distribution<int> pick_user(0, 14), pick_kind(0, 4), pct(0, 99);
  std::uniform_int_distribution<int64_t> age(0, 3 * 365 * kDay);
  std::vector<int> next_id(10, 0);
  std::string out;
  for (int i = 0; i < n; ++i) {
    int t = pick_tenant(rng);
    int k = pick_tool(rng);
    Cred c;
    c.tenant = "t" + std::to_string(10000 + t) + "-tenant";
    c.id = "c" + std::to_string(100000 + next_id[t]++);
    c.tool = tools[k].first;
    c.kind = kinds[pick_kind(rng)];
    c.secret = random_token(rng, 40);
    const auto& sc = tools[k].second;
    for (size_t s = 0; s < sc.size(); ++s) {
      if (pct(rng) < 50) c.scopes.push_back(sc[s]);
    }
    c.user = "user" + std::to_string(pick_user(rng)) + "@" + c.tenant + ".example";
    int64_t created = now - age(rng);
    c.created_at = rfc3339(created);
    int u = pct(rng);
    if (u >= 10) {
      int64_t span = now - created;
      c.last_used_at = rfc3339(now - (u < 35 ? std::min(span, 90 * kDay + age(rng) % (span + 1))
                                             : age(rng) % std::min<int64_t>(span + 1, 90 * kDay)));
    }
    int e = pct(rng);
    if (e < 5) c.expires_at = rfc3339(now - 1 - age(rng) % (30 * kDay));
    else if (e < 20) c.expires_at = rfc3339(now + 1 + age(rng) % (365 * kDay));
    out += c.line() + "\n";
  }
  return out;
}

TEST_F(InventoryTest, IndexesAgreeWithRecordsOnAGeneratedStore) {
  init(store());
  const std::string path = tmp() / "gen.jsonl";
  const std::string sever_load = bin_path("sever-load");
  if (fs::exists(sever_load)) {
    auto g = run_process({sever_load, "gen", "--count", "2000", "--seed", "7", "--now",
                          "2026-11-01T00:00:00Z", "--out", path});
    SEVER_ASSERT_EXIT(g, 0);
  } else {
    std::cout << "[ NOTE     ] " << sever_load
              << " is not built: generating the 2,000 lines in the test\n";
    write_file(path, generate_lines(2000, 7, now_unix()));
  }
  auto r = store().run({"import", path, "--format", "json"});
  SEVER_ASSERT_EXIT(r, 0);
  ASSERT_EQ(parse_json(r.out)["created"], 2000) << r.out;

  const json all = inventory_json(store());
  ASSERT_EQ(all.size(), 2000u);
  EXPECT_EQ(count(store()), 2000);
  // The index column families hold exactly one entry per record (read directly: a stale entry
  // would be filtered out of the CLI's answers, but would still mislead a revocation scope).
  EXPECT_EQ(index_problems(store().data, all), "");

  // Every filter answer must equal the matching subset of the full scan, and --count its size.
  auto check = [&](const std::vector<std::string>& filters,
                   const std::function<bool(const json&)>& keep) {
    std::string what;
    for (const auto& f : filters) what += f + " ";
    SCOPED_TRACE("inventory " + what);
    json expected = subset(all, keep);
    json got = inventory_json(store(), filters);
    EXPECT_EQ(got.size(), expected.size());
    EXPECT_EQ(sorted(got), sorted(expected));
    EXPECT_EQ(count(store(), filters), static_cast<int64_t>(expected.size()));
    return expected.size();
  };

  // Tools: the three most common, and the rarest.
  std::map<std::string, int> by_tool;
  std::map<std::pair<std::string, std::string>, int> by_user;
  std::map<std::string, int> by_tenant;
  for (const auto& row : all) {
    ++by_tool[row["tool"].get<std::string>()];
    ++by_tenant[row["tenant"].get<std::string>()];
    if (!row["user"].get<std::string>().empty()) {
      ++by_user[{row["tenant"].get<std::string>(), row["user"].get<std::string>()}];
    }
  }
  ASSERT_GE(by_tool.size(), 4u);
  ASSERT_GE(by_tenant.size(), 2u);
  std::vector<std::pair<int, std::string>> tools;
  for (const auto& [t, n] : by_tool) tools.push_back({n, t});
  std::sort(tools.rbegin(), tools.rend());
  std::vector<std::string> chosen = {tools[0].second, tools[1].second, tools[2].second,
                                     tools.back().second};
  for (const auto& tool : chosen) {
    EXPECT_EQ(check({"--tool", tool}, [&](const json& x) { return x["tool"] == tool; }),
              static_cast<size_t>(by_tool[tool]));
  }
  EXPECT_EQ(check({"--tool", "no-such-tool"}, [](const json&) { return false; }), 0u);

  // Tenants, and tenant + tool (the by_tool index narrowed by tenant).
  const std::string big = std::max_element(by_tenant.begin(), by_tenant.end(), [](auto& a, auto& b) {
                            return a.second < b.second;
                          })->first;
  const std::string small = std::min_element(by_tenant.begin(), by_tenant.end(),
                                             [](auto& a, auto& b) { return a.second < b.second; })
                                ->first;
  for (const auto& tenant : {big, small}) {
    check({"--tenant", tenant}, [&](const json& x) { return x["tenant"] == tenant; });
    check({"--tenant", tenant, "--tool", tools[0].second}, [&](const json& x) {
      return x["tenant"] == tenant && x["tool"] == tools[0].second;
    });
  }

  // Tenant + user (the by_user index): the busiest users and a few others.
  std::vector<std::pair<int, std::pair<std::string, std::string>>> users;
  for (const auto& [tu, n] : by_user) users.push_back({n, tu});
  std::sort(users.rbegin(), users.rend());
  ASSERT_FALSE(users.empty());
  for (size_t i : {size_t{0}, size_t{1}, users.size() / 2, users.size() - 1}) {
    const auto& [tenant, user] = users[i].second;
    EXPECT_EQ(check({"--tenant", tenant, "--user", user},
                    [&](const json& x) { return x["tenant"] == tenant && x["user"] == user; }),
              static_cast<size_t>(users[i].first));
  }
  // A user's name in another tenant selects nothing.
  const auto& [t0, u0] = users[0].second;
  check({"--tenant", t0 + "-other", "--user", u0}, [](const json&) { return false; });

  // State and privilege filters agree with the rows' own fields.
  for (const char* st : {"issued", "active", "dormant", "expired", "revoked"}) {
    check({"--state", st}, [&](const json& x) { return x["state"] == st; });
  }
  EXPECT_GT(check({"--overprivileged"}, [](const json& x) { return !x["excess_scopes"].empty(); }),
            0u);
  check({"--tool", tools[0].second, "--overprivileged"}, [&](const json& x) {
    return x["tool"] == tools[0].second && !x["excess_scopes"].empty();
  });

  // --limit stops early; the report's totals agree with the inventory.
  auto lim = store().run({"inventory", "--format", "json", "--limit", "7"});
  SEVER_ASSERT_EXIT(lim, 0);
  EXPECT_EQ(parse_json(lim.out).size(), 7u);
  auto rep = store().run({"report", "--format", "json"});
  SEVER_ASSERT_EXIT(rep, 0);
  json report = parse_json(rep.out);
  EXPECT_EQ(report["all"]["total"], 2000);
  EXPECT_EQ(report["tenants"], by_tenant.size());
  for (const auto& [tool, n] : by_tool) EXPECT_EQ(report["by_tool"][tool]["total"], n) << tool;
}

// ---- filters on a hand-made store ---------------------------------------------------------

// Seven credentials whose states, dormancy and privilege are known, relative to now:
//   id  tenant tool      kind          scopes                    used     expires  state
//   c1  acme   github    oauth_access  repo:status read:user     1 d ago  -        active
//   c2  acme   github    pat           repo admin:org            100 d    -        dormant
//   c3  acme   slack     bot_token     channels:read chat:write  never    -        issued
//   c4  beta   slack     oauth_access  admin channels:read       2 d      1 d ago  expired
//   c5  beta   stripe    api_key       -                         365 d    -        dormant
//   c6  beta   notion    oauth_refresh read                      1 d      in 30 d  active
//   c7  beta   acme-sso  oauth_access  openid profile            95 d     -        dormant
// Created: c1 400 d ago, c2 200, c3 50, c4 10, c5 500, c6 5, c7 120.
// Overprivileged (scopes beyond the catalog's required set): c2 (repo, admin:org) and c4
// (admin). stripe and notion have no scope model; acme-sso is not in the catalog.
std::vector<Cred> hand_made(int64_t now) {
  auto ago = [&](int64_t days) { return rfc3339(now - days * kDay); };
  return {
      {"acme", "c1", "github", "oauth_access", "s1", {"repo:status", "read:user"}, "alice",
       ago(400), ago(1), std::nullopt},
      {"acme", "c2", "github", "pat", "s2", {"repo", "admin:org"}, "bob", ago(200), ago(100),
       std::nullopt},
      {"acme", "c3", "slack", "bot_token", "s3", {"channels:read", "chat:write"}, "alice",
       ago(50), std::nullopt, std::nullopt},
      {"beta", "c4", "slack", "oauth_access", "s4", {"admin", "channels:read"}, "carol", ago(10),
       ago(2), ago(1)},
      {"beta", "c5", "stripe", "api_key", "s5", {}, std::nullopt, ago(500), ago(365),
       std::nullopt},
      {"beta", "c6", "notion", "oauth_refresh", "s6", {"read"}, "dave, jr", ago(5), ago(1),
       rfc3339(now + 30 * kDay)},
      {"beta", "c7", "acme-sso", "oauth_access", "s7", {"openid", "profile"}, "erin", ago(120),
       ago(95), std::nullopt},
  };
}

class HandMadeTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    init(store());
    import(store(), hand_made(now_unix()));
  }
  std::vector<std::string> ids(std::vector<std::string> filters) {
    return ids_of(sorted(inventory_json(store(), std::move(filters))));
  }
  using V = std::vector<std::string>;
};

TEST_F(HandMadeTest, StateFilter) {
  EXPECT_EQ(ids({"--state", "active"}), (V{"acme/c1", "beta/c6"}));
  EXPECT_EQ(ids({"--state", "dormant"}), (V{"acme/c2", "beta/c5", "beta/c7"}));
  EXPECT_EQ(ids({"--state", "issued"}), (V{"acme/c3"}));
  EXPECT_EQ(ids({"--state", "expired"}), (V{"beta/c4"}));
  EXPECT_EQ(ids({"--state", "revoked"}), V{});
  EXPECT_EQ(count(store(), {"--state", "dormant"}), 3);
  EXPECT_EQ(ids({"--state", "dormant", "--tenant", "acme"}), (V{"acme/c2"}));
  EXPECT_EQ(ids({"--state", "active", "--tool", "notion"}), (V{"beta/c6"}));
  // The state column says the same.
  std::map<std::string, std::string> states;
  for (const auto& r : inventory_json(store())) {
    states[r["tenant"].get<std::string>() + "/" + r["id"].get<std::string>()] =
        r["state"].get<std::string>();
  }
  EXPECT_EQ(states, (std::map<std::string, std::string>{{"acme/c1", "active"},
                                                       {"acme/c2", "dormant"},
                                                       {"acme/c3", "issued"},
                                                       {"beta/c4", "expired"},
                                                       {"beta/c5", "dormant"},
                                                       {"beta/c6", "active"},
                                                       {"beta/c7", "dormant"}}));
}

TEST_F(HandMadeTest, DormantDaysFilter) {
  // Last used (or, never used, created) more than N days ago.
  EXPECT_EQ(ids({"--dormant-days", "30"}), (V{"acme/c2", "acme/c3", "beta/c5", "beta/c7"}));
  EXPECT_EQ(ids({"--dormant-days", "96"}), (V{"acme/c2", "beta/c5"}));
  EXPECT_EQ(ids({"--dormant-days", "0"}).size(), 7u);
  EXPECT_EQ(ids({"--dormant-days", "1000"}), V{});
  EXPECT_EQ(ids({"--dormant-days", "30", "--tenant", "beta"}), (V{"beta/c5", "beta/c7"}));
  EXPECT_EQ(count(store(), {"--dormant-days", "30"}), 4);
}

TEST_F(HandMadeTest, OverprivilegedFilter) {
  EXPECT_EQ(ids({"--overprivileged"}), (V{"acme/c2", "beta/c4"}));
  EXPECT_EQ(ids({"--overprivileged", "--tenant", "beta"}), (V{"beta/c4"}));
  EXPECT_EQ(ids({"--overprivileged", "--tool", "github"}), (V{"acme/c2"}));
  EXPECT_EQ(ids({"--overprivileged", "--state", "dormant"}), (V{"acme/c2"}));
  EXPECT_EQ(count(store(), {"--overprivileged"}), 2);
  // The JSON rows name the excess scopes.
  for (const auto& r : inventory_json(store(), {"--overprivileged"})) {
    if (r["id"] == "c2") {
      EXPECT_EQ(r["excess_scopes"], json::array({"repo", "admin:org"}));
    } else {
      EXPECT_EQ(r["excess_scopes"], json::array({"admin"}));
    }
  }
}

TEST_F(HandMadeTest, UserAndToolFilters) {
  EXPECT_EQ(ids({"--tenant", "acme", "--user", "alice"}), (V{"acme/c1", "acme/c3"}));
  EXPECT_EQ(ids({"--tenant", "beta", "--user", "alice"}), V{});
  EXPECT_EQ(ids({"--user", "alice"}), (V{"acme/c1", "acme/c3"}));
  EXPECT_EQ(ids({"--tool", "slack"}), (V{"acme/c3", "beta/c4"}));
  EXPECT_EQ(ids({"--tool", "slack", "--tenant", "beta"}), (V{"beta/c4"}));
  EXPECT_EQ(ids({"--tenant", "beta"}), (V{"beta/c4", "beta/c5", "beta/c6", "beta/c7"}));
  EXPECT_EQ(ids({"--tenant", "bet"}), V{});  // a prefix of a tenant is not the tenant
  EXPECT_EQ(ids({"--tool", "slac"}), V{});
}

TEST_F(HandMadeTest, JsonRowsCarryTheRecordFields) {
  const int64_t now = now_unix();
  json rows = sorted(inventory_json(store()));
  ASSERT_EQ(rows.size(), 7u);
  const json& c6 = rows[5];
  EXPECT_EQ(c6["tenant"], "beta");
  EXPECT_EQ(c6["id"], "c6");
  EXPECT_EQ(c6["tool"], "notion");
  EXPECT_EQ(c6["kind"], "oauth_refresh");
  EXPECT_EQ(c6["user"], "dave, jr");
  EXPECT_EQ(c6["scopes"], json::array({"read"}));
  EXPECT_EQ(c6["risk"], "medium");
  EXPECT_EQ(c6["dek_version"], 1);
  EXPECT_FALSE(c6.contains("secret"));
  EXPECT_FALSE(c6.contains("sealed"));
  // Timestamps round-trip (to the second; allow the clock to tick between import and query).
  for (const auto& r : rows) EXPECT_TRUE(r["created_at"].is_string()) << r.dump();
  EXPECT_TRUE(rows[2]["last_used_at"].is_null());  // c3 never used
  EXPECT_TRUE(rows[0]["expires_at"].is_null());
  const std::string c6_expires = c6["expires_at"];
  EXPECT_TRUE(c6_expires == rfc3339(now + 30 * kDay) || c6_expires == rfc3339(now - 1 + 30 * kDay) ||
              c6_expires == rfc3339(now - 2 + 30 * kDay))
      << c6_expires;
  // No secret appears in any listing format.
  for (const char* fmt : {"json", "csv", "table"}) {
    auto r = store().run({"inventory", "--format", fmt});
    SEVER_EXPECT_EXIT(r, 0);
    EXPECT_EQ(r.out.find("\"s1\""), std::string::npos) << r.out;
  }
}

TEST_F(HandMadeTest, CountIsPlainOrJson) {
  auto r = store().run({"inventory", "--count"});
  SEVER_EXPECT_EXIT(r, 0);
  EXPECT_EQ(r.out, "7\n");
  auto j = store().run({"inventory", "--count", "--format", "json"});
  SEVER_EXPECT_EXIT(j, 0);
  EXPECT_EQ(parse_json(j.out), json({{"count", 7}}));
}

TEST_F(HandMadeTest, EmptyResultFormats) {
  auto j = store().run({"inventory", "--tenant", "nobody", "--format", "json"});
  SEVER_EXPECT_EXIT(j, 0);
  EXPECT_EQ(parse_json(j.out), json::array());
  auto c = store().run({"inventory", "--tenant", "nobody", "--format", "csv"});
  SEVER_EXPECT_EXIT(c, 0);
  EXPECT_EQ(c.out,
            "TENANT,ID,TOOL,KIND,STATE,USER,SCOPES,CREATED,LAST_USED,EXPIRES,RISK\r\n");
}

// ---- exact CSV ----------------------------------------------------------------------------

TEST_F(InventoryTest, CsvIsExact) {
  init(store());
  // Fixed timestamps in the past, never used and never expiring: state "issued" whatever the
  // clock says. Fields with a comma, a quote and a space must be quoted per RFC 4180.
  import(store(), {
                      {"acme", "a1", "github", "pat", "x1", {"repo:status", "read:user"},
                       "o\"neil, x", "2025-01-02T03:04:05Z", std::nullopt, std::nullopt},
                      {"acme", "a2", "stripe", "api_key", "x2", {}, std::nullopt,
                       "2024-12-31T23:59:59Z", std::nullopt, std::nullopt},
                      {"acme", "a3", "slack", "bot_token", "x3", {"admin"}, "eve",
                       "2025-06-30T12:00:00+02:00", std::nullopt, "2099-01-01T00:00:00Z"},
                  });
  auto r = store().run({"inventory", "--format", "csv"});
  SEVER_ASSERT_EXIT(r, 0);
  EXPECT_EQ(r.out,
            "TENANT,ID,TOOL,KIND,STATE,USER,SCOPES,CREATED,LAST_USED,EXPIRES,RISK\r\n"
            "acme,a1,github,pat,issued,\"o\"\"neil, x\",repo:status read:user,"
            "2025-01-02T03:04:05Z,-,-,medium\r\n"
            "acme,a2,stripe,api_key,issued,,,2024-12-31T23:59:59Z,-,-,low\r\n"
            "acme,a3,slack,bot_token,issued,eve,admin,2025-06-30T10:00:00Z,-,"
            "2099-01-01T00:00:00Z,high\r\n");
  // The same rows as JSON parse and agree.
  json rows = inventory_json(store());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["user"], "o\"neil, x");
  EXPECT_EQ(rows[2]["created_at"], "2025-06-30T10:00:00Z");
  EXPECT_TRUE(rows[1]["user"] == "" || rows[1]["user"].is_null()) << rows[1].dump();
}

// ---- report -------------------------------------------------------------------------------

TEST_F(HandMadeTest, ReportJsonCountsMatch) {
  auto r = store().run({"report", "--format", "json"});
  SEVER_ASSERT_EXIT(r, 0);
  json rep = parse_json(r.out);
  EXPECT_EQ(rep["dormant_days"], 90);
  EXPECT_EQ(rep["tenants"], 2);
  // high risk: c2 (repo, admin:org), c3 (chat:write), c4 (admin). medium: c1 (read:user,
  // repo:status), c6 (read). low: c5 (none), c7 (openid, profile).
  // dormant > 90 d: c2 (100), c5 (365), c7 (95). never used: c3. sensitive tools: github
  // (source code: c1, c2) and stripe (payments: c5).
  EXPECT_EQ(rep["all"], json({{"total", 7}, {"high_risk", 3}, {"overprivileged", 2},
                              {"dormant", 3}, {"never_used", 1}, {"sensitive_tool", 3}}))
      << rep.dump(1);
  EXPECT_EQ(rep["by_state"], json({{"active", 2}, {"dormant", 3}, {"issued", 1}, {"expired", 1}}));
  EXPECT_EQ(rep["by_kind"], json({{"oauth_access", 3}, {"pat", 1}, {"bot_token", 1},
                                  {"api_key", 1}, {"oauth_refresh", 1}}));
  EXPECT_EQ(rep["by_risk"], json({{"high", 3}, {"medium", 2}, {"low", 2}}));
  EXPECT_EQ(rep["by_tool"]["github"], json({{"total", 2}, {"high_risk", 1}, {"overprivileged", 1},
                                           {"dormant", 1}, {"never_used", 0},
                                           {"sensitive_tool", 2}}));
  EXPECT_EQ(rep["by_tool"]["slack"], json({{"total", 2}, {"high_risk", 2}, {"overprivileged", 1},
                                          {"dormant", 0}, {"never_used", 1},
                                          {"sensitive_tool", 0}}));
  EXPECT_EQ(rep["by_tool"]["stripe"], json({{"total", 1}, {"high_risk", 0}, {"overprivileged", 0},
                                           {"dormant", 1}, {"never_used", 0},
                                           {"sensitive_tool", 1}}));
  EXPECT_EQ(rep["by_tool"]["acme-sso"]["total"], 1);
  EXPECT_EQ(rep["by_tool"]["notion"]["total"], 1);
  EXPECT_EQ(rep["by_tool"].size(), 5u);

  // Filters and the dormancy threshold apply to the report too.
  auto b = store().run({"report", "--format", "json", "--tenant", "beta", "--dormant-days", "30"});
  SEVER_ASSERT_EXIT(b, 0);
  json beta = parse_json(b.out);
  EXPECT_EQ(beta["tenants"], 1);
  EXPECT_EQ(beta["all"]["total"], 4);
  EXPECT_EQ(beta["all"]["dormant"], 2);  // c5, c7
  EXPECT_EQ(beta["dormant_days"], 30);

  // The table form names the totals.
  auto t = store().run({"report"});
  SEVER_EXPECT_EXIT(t, 0);
  EXPECT_NE(t.out.find("7 credentials across 2 tenants and 5 tools"), std::string::npos)
      << t.out;
}

}  // namespace
}  // namespace sever::itest

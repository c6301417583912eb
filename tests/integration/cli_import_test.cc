// Integration tests of `sever import` (all or nothing, line-numbered errors, --upsert, stdin),
// run against the real binary. Large files: cli_import_large_test.cc; `sever get`: cli_get_test.cc.
#include "integration/import_fixture.h"

namespace sever::itest {
namespace {

// ---- a valid import -----------------------------------------------------------------------

TEST_F(ImportTest, ValidFileImportsEveryLine) {
  init(store());
  std::vector<Cred> creds;
  for (int i = 0; i < 25; ++i) {
    creds.push_back({i % 2 ? "acme" : "beta", "c" + std::to_string(i), i % 3 ? "github" : "slack",
                     "oauth_access", "secret-" + std::to_string(i), {"read:user"}, "u@x"});
  }
  std::string p = put_file("in.jsonl", jsonl(creds) + "\n   \n");  // blank lines are skipped
  auto r = store().run({"import", p, "--format", "json"});
  SEVER_ASSERT_EXIT(r, 0);
  json summary = parse_json(r.out);
  EXPECT_EQ(summary["created"], 25) << r.out;
  EXPECT_EQ(summary["replaced"], 0) << r.out;
  EXPECT_EQ(summary["new_deks"], 2) << r.out;
  EXPECT_EQ(count(store()), 25);
  EXPECT_EQ(count(store(), {"--tenant", "acme"}), 12);
  EXPECT_EQ(count(store(), {"--tenant", "beta"}), 13);
  for (int i : {0, 7, 24}) {
    auto g = store().run({"get", i % 2 ? "acme" : "beta", "c" + std::to_string(i)});
    SEVER_EXPECT_EXIT(g, 0);
    EXPECT_EQ(g.out, "secret-" + std::to_string(i) + "\n");
  }
  // The import is audited: store.init, one dek.create per tenant, one import entry.
  json audit = audit_json(store());
  std::vector<std::string> actions;
  for (const auto& e : audit) actions.push_back(e["action"].get<std::string>());
  EXPECT_EQ(actions, (std::vector<std::string>{"store.init", "dek.create", "dek.create", "import",
                                               "secret.read", "secret.read", "secret.read"}));
  EXPECT_EQ(audit[3]["detail"]["created"], 25) << audit.dump(1);
}

TEST_F(ImportTest, SecondImportReusesTheTenantKey) {
  init(store());
  import(store(), baseline());
  import(store(), {{"acme", "x1", "github", "pat", "s1"}, {"acme", "x2", "github", "pat", "s2"},
                   {"gamma", "x3", "github", "pat", "s3"}});
  std::map<std::string, json> keys;
  for (const auto& k : keys_json(store())) keys[k["tenant"].get<std::string>()] = k;
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys["acme"]["version"], 1);
  EXPECT_EQ(keys["acme"]["encryptions"], 4);
  EXPECT_EQ(keys["beta"]["encryptions"], 1);
  EXPECT_EQ(keys["gamma"]["encryptions"], 1);
  for (const auto& [t, k] : keys) EXPECT_EQ(k["state"], "primary") << t;
  EXPECT_EQ(store().run({"get", "acme", "b1"}).out, "gho_baseline_1\n");
  EXPECT_EQ(store().run({"get", "acme", "x2"}).out, "s2\n");
}

TEST_F(ImportTest, TableSummaryNamesTheCounts) {
  init(store());
  std::string p = put_file("in.jsonl", jsonl(baseline()));
  auto r = store().run({"import", p});
  SEVER_ASSERT_EXIT(r, 0);
  EXPECT_NE(r.out.find("imported 3 credentials"), std::string::npos) << r.describe();
}

TEST_F(ImportTest, ImportFromStdin) {
  init(store());
  auto r = store().run_stdin({"import", "-"}, jsonl(baseline()));
  SEVER_ASSERT_EXIT(r, 0);
  EXPECT_EQ(count(store()), 3);
  auto g = store().run({"get", "acme", "b2"});
  SEVER_EXPECT_EXIT(g, 0);
  EXPECT_EQ(g.out, "xoxb-baseline-2\n");
}

TEST_F(ImportTest, BadLineOnStdinIsNumberedToo) {
  init(store());
  std::string in = jsonl(baseline()) + "{\"tenant\":\"acme\"}\n";
  auto r = store().run_stdin({"import", "-"}, in);
  SEVER_EXPECT_EXIT(r, 2);
  EXPECT_NE(r.err.find("line 4:"), std::string::npos) << r.describe();
  EXPECT_EQ(count(store()), 0);
}

TEST_F(ImportTest, EmptyInputImportsNothing) {
  init(store());
  auto r = store().run_stdin({"import", "-"}, "");
  SEVER_EXPECT_EXIT(r, 0);
  EXPECT_EQ(count(store()), 0);
}

// ---- a bad line imports nothing -----------------------------------------------------------

struct BadLine {
  const char* name;
  std::string line;      // line 3 of 5
  const char* expected;  // a substring stderr must hold after "line 3: " ("" for none)
};

// Each case gets the full check of the store afterwards.
std::vector<BadLine> bad_lines() {
  return {
      {"InvalidJson", R"({"tenant":"newco","id":"n3","tool":"github",)", ""},
      {"MissingTenant", without("tenant"), "tenant"},
      {"MissingId", without("id"), "'id'"},
      {"MissingTool", without("tool"), "tool"},
      {"MissingKind", without("kind"), "kind"},
      {"MissingSecret", without("secret"), "secret"},
      {"MissingCreatedAt", without("created_at"), "created_at"},
      {"UnknownKind", with("kind", "password"), "kind"},
      {"BadTimestamp", with("created_at", "2026-13-01T00:00:00Z"), "created_at"},
      {"TimestampWithoutZone", with("last_used_at", "2026-01-02T03:04:05"), "last_used_at"},
      {"UnknownField", with("colour", "red"), "colour"},
      {"ScopesNotArray", with("scopes", "repo admin:org"), "scopes"},
      {"SecretNumber", with("secret", 12345), "secret"},
      {"DuplicateIdWithinFile", with("id", "n1"), "first on line 1"},
      {"IdAlreadyInStore", Cred{"acme", "b1", "github", "pat", "ghp_new", {}, std::nullopt}.line(),
       "already exists"},
      {"EmptySecret", with("secret", ""), "secret"},
      {"ControlCharInTenant", with("tenant", "new\x07" "co"), "tenant"},
  };
}

// More bad lines, checked more cheaply (exit code, line number, count unchanged).
std::vector<BadLine> more_bad_lines() {
  return {
      {"NotAnObject", R"(["newco","n3"])", ""},
      {"GarbageText", "this is not json", ""},
      {"TrailingGarbage", good_line3().dump() + " x", ""},
      {"NullCreatedAt", with("created_at", nullptr), "created_at"},
      {"TimestampNotADate", with("expires_at", "next tuesday"), "expires_at"},
      {"ScopesArrayOfNumbers", with("scopes", json::array({1, 2})), "scopes"},
      {"TenantNumber", with("tenant", 7), "tenant"},
      {"EmptyTenant", with("tenant", ""), "tenant"},
      {"FieldTwice", R"({"tenant":"newco","tenant":"x","id":"n3","tool":"github","kind":"pat",)"
                     R"("secret":"s","created_at":"2026-01-02T03:04:05Z"})", "tenant"},
      {"KindWrongCase", with("kind", "PAT"), "kind"},
  };
}

// The four good lines around the bad line 3.
const std::vector<Cred>& good_lines() {
  static const std::vector<Cred> good = {
      {"newco", "n1", "github", "oauth_access", "gho_line_one", {"repo"}, "carol@newco"},
      {"acme", "n2", "slack", "bot_token", "xoxb-line-two", {}, "dave@acme"},
      {"newco", "n4", "gmail", "oauth_refresh", "1//line-four", {}, "erin@newco"},
      {"acme", "n5", "github", "pat", "ghp_line_five", {}, std::nullopt},
  };
  return good;
}

std::string file_with_line3(const std::string& line3) {
  const auto& g = good_lines();
  return g[0].line() + "\n" + g[1].line() + "\n" + line3 + "\n" + g[2].line() + "\n" +
         g[3].line() + "\n";
}

// A store holding baseline(), made once per suite and copied into each test's directory.
class BadLineTest : public ImportTest, public ::testing::WithParamInterface<BadLine> {
 protected:
  static void SetUpTestSuite() {
    template_dir_ = new TempDir("sever-itest-template-");
    template_ = {*template_dir_ / "data", std::nullopt};
    init(template_);
    std::string p = *template_dir_ / "baseline.jsonl";
    write_file(p, jsonl(baseline()));
    auto r = template_.run({"import", p});
    ASSERT_EQ(r.code, 0) << r.describe();
    before_ = new StoreState(state(template_));
  }
  static void TearDownTestSuite() {
    delete before_;
    before_ = nullptr;
    delete template_dir_;
    template_dir_ = nullptr;
  }
  void SetUp() override {
    ImportTest::SetUp();
    ASSERT_NE(before_, nullptr);
    ASSERT_EQ(before_->count, 3);
    copy_store(template_, store());
  }

  // Imports the five-line file; checks exit 2, "line 3:" and the expected text; returns stderr.
  void import_bad_file() {
    const std::string path = put_file("bad.jsonl", file_with_line3(GetParam().line));
    auto r = store().run({"import", path});
    SEVER_EXPECT_EXIT(r, 2);
    auto at = r.err.find("line 3:");
    EXPECT_NE(at, std::string::npos) << r.describe();
    EXPECT_EQ(r.err.find("line 1:"), std::string::npos) << r.describe();
    if (at != std::string::npos && *GetParam().expected) {
      EXPECT_NE(r.err.find(GetParam().expected, at), std::string::npos)
          << "expected '" << GetParam().expected << "' after 'line 3:'\n" << r.describe();
    }
    EXPECT_EQ(r.out.find("imported"), std::string::npos) << r.describe();
    for (const auto& c : good_lines()) {
      EXPECT_EQ(r.err.find(c.secret), std::string::npos) << "a secret in the error message";
    }
  }

  static inline TempDir* template_dir_ = nullptr;
  static inline Cli template_;
  static inline StoreState* before_ = nullptr;
};

TEST_P(BadLineTest, ExitsTwoNamesLineThreeAndImportsNothing) {
  import_bad_file();
  // Nothing changed: counts, records, audit log, tenant keys.
  expect_same(*before_, state(store()));
  // The good lines of the file were not imported either.
  for (const auto& c : good_lines()) {
    auto g = store().run({"get", c.tenant, c.id});
    SEVER_EXPECT_EXIT(g, 2);
    EXPECT_NE(g.err.find("no credential"), std::string::npos) << g.describe();
    EXPECT_EQ(g.out, "");
  }
  // No staging leftovers in the data directory.
  EXPECT_FALSE(fs::exists(store().data + "/.import-staging"));
  if (std::string(GetParam().name) == "IdAlreadyInStore") {  // not replaced
    auto b1 = store().run({"get", "acme", "b1"});
    SEVER_EXPECT_EXIT(b1, 0);
    EXPECT_EQ(b1.out, "gho_baseline_1\n");
  }
}

INSTANTIATE_TEST_SUITE_P(Lines, BadLineTest, ::testing::ValuesIn(bad_lines()),
                         [](const auto& info) { return std::string(info.param.name); });

class MoreBadLineTest : public BadLineTest {};

TEST_P(MoreBadLineTest, ExitsTwoNamesLineThreeAndImportsNothing) {
  import_bad_file();
  EXPECT_EQ(count(store()), before_->count);
}

INSTANTIATE_TEST_SUITE_P(Lines, MoreBadLineTest, ::testing::ValuesIn(more_bad_lines()),
                         [](const auto& info) { return std::string(info.param.name); });


TEST_F(ImportTest, DuplicateIdInOtherTenantIsFine) {
  init(store());
  import(store(), {{"acme", "same", "github", "pat", "s-acme", {}, std::nullopt},
                   {"beta", "same", "github", "pat", "s-beta", {}, std::nullopt}});
  EXPECT_EQ(store().run({"get", "acme", "same"}).out, "s-acme\n");
  EXPECT_EQ(store().run({"get", "beta", "same"}).out, "s-beta\n");
}

// ---- --upsert -----------------------------------------------------------------------------

TEST_F(ImportTest, UpsertReplacesSecretToolUserAndIndexes) {
  init(store());
  import(store(), baseline());
  // Without --upsert the same id is refused.
  std::vector<Cred> update = {
      {"acme", "b1", "gitlab", "pat", "glpat-replaced", {"read_api"}, "zoe@acme"},
      {"acme", "b9", "gitlab", "pat", "glpat-new", {"read_api"}, "zoe@acme"},
  };
  std::string p = put_file("update.jsonl", jsonl(update));
  auto refused = store().run({"import", p});
  SEVER_EXPECT_EXIT(refused, 2);
  EXPECT_NE(refused.err.find("line 1:"), std::string::npos) << refused.describe();
  EXPECT_NE(refused.err.find("already exists"), std::string::npos) << refused.describe();
  EXPECT_EQ(count(store()), 3);

  auto r = store().run({"import", p, "--upsert", "--format", "json"});
  SEVER_ASSERT_EXIT(r, 0);
  json summary = parse_json(r.out);
  EXPECT_EQ(summary["created"], 1) << r.out;
  EXPECT_EQ(summary["replaced"], 1) << r.out;

  auto g = store().run({"get", "acme", "b1"});
  SEVER_EXPECT_EXIT(g, 0);
  EXPECT_EQ(g.out, "glpat-replaced\n");
  EXPECT_EQ(count(store()), 4);

  json all = inventory_json(store());
  json b1;
  for (const auto& row : all) {
    if (row["tenant"] == "acme" && row["id"] == "b1") b1 = row;
  }
  ASSERT_FALSE(b1.is_null()) << all.dump(1);
  EXPECT_EQ(b1["tool"], "gitlab");
  EXPECT_EQ(b1["user"], "zoe@acme");
  EXPECT_EQ(b1["kind"], "pat");
  EXPECT_EQ(b1["scopes"], json::array({"read_api"}));

  // The indexes agree with the record: the old tool and user no longer list it.
  EXPECT_EQ(ids_of(inventory_json(store(), {"--tool", "github"})), std::vector<std::string>{});
  EXPECT_EQ(count(store(), {"--tool", "github"}), 0);
  EXPECT_EQ(ids_of(inventory_json(store(), {"--tool", "gitlab"})),
            (std::vector<std::string>{"acme/b1", "acme/b9"}));
  EXPECT_EQ(ids_of(inventory_json(store(), {"--tenant", "acme", "--user", "alice@acme"})),
            std::vector<std::string>{});
  EXPECT_EQ(ids_of(inventory_json(store(), {"--tenant", "acme", "--user", "zoe@acme"})),
            (std::vector<std::string>{"acme/b1", "acme/b9"}));
  EXPECT_EQ(ids_of(inventory_json(store(), {"--tool", "gitlab", "--tenant", "acme"})),
            (std::vector<std::string>{"acme/b1", "acme/b9"}));

  expect_indexes_agree(store());

  // The replacement is audited.
  json audit = audit_json(store());
  bool saw_import = false;
  for (const auto& e : audit) {
    if (e["action"] == "import" && e["detail"].value("replaced", 0) == 1) saw_import = true;
  }
  EXPECT_TRUE(saw_import) << audit.dump(1);
}

TEST_F(ImportTest, UpsertTwiceKeepsOneIndexEntry) {
  init(store());
  import(store(), baseline());
  Cred c{"acme", "b1", "github", "pat", "v2", {}, "alice@acme"};
  import(store(), {c}, true);
  c.secret = "v3";
  import(store(), {c}, true);
  EXPECT_EQ(store().run({"get", "acme", "b1"}).out, "v3\n");
  EXPECT_EQ(ids_of(inventory_json(store(), {"--tool", "github"})),
            std::vector<std::string>{"acme/b1"});
  EXPECT_EQ(ids_of(inventory_json(store(), {"--tenant", "acme", "--user", "alice@acme"})),
            std::vector<std::string>{"acme/b1"});
  EXPECT_EQ(count(store()), 3);
  expect_indexes_agree(store());
}

TEST_F(ImportTest, UpsertDroppingTheUserRemovesTheUserIndexEntry) {
  init(store());
  import(store(), baseline());
  import(store(), {{"acme", "b1", "github", "pat", "v2", {}, std::nullopt}}, true);
  EXPECT_EQ(ids_of(inventory_json(store(), {"--tenant", "acme", "--user", "alice@acme"})),
            std::vector<std::string>{});
  EXPECT_EQ(count(store(), {"--tenant", "acme", "--user", "alice@acme"}), 0);
  expect_indexes_agree(store());
}

}  // namespace
}  // namespace sever::itest

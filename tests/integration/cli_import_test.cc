// Integration tests of `sever import` (all or nothing, line-numbered errors, --upsert, stdin)
// and `sever get` (exact secret, audited), run against the real binary.
#include "integration/harness.h"

namespace sever::itest {
namespace {

// The store's contents before a failing import: everything a bad import must leave as it was.
struct StoreState {
  int64_t count = -1;
  json inventory;
  json audit;
  std::string keys;
};

class ImportTest : public CliTest {
 protected:
  // Three credentials already in the store before each import test.
  static std::vector<Cred> baseline() {
    return {
        {"acme", "b1", "github", "oauth_access", "gho_baseline_1", {"repo:status"}, "alice@acme"},
        {"acme", "b2", "slack", "bot_token", "xoxb-baseline-2", {"chat:write"}, "bob@acme"},
        {"beta", "b3", "stripe", "api_key", "sk_baseline_3", {}, std::nullopt},
    };
  }

  static StoreState state(const Cli& c) {
    StoreState s;
    s.count = count(c);
    s.inventory = inventory_json(c);
    s.audit = audit_json(c);
    s.keys = keys_json(c).dump();
    return s;
  }

  static void expect_same(const StoreState& a, const StoreState& b) {
    EXPECT_EQ(a.count, b.count);
    EXPECT_EQ(a.inventory, b.inventory);
    EXPECT_EQ(a.audit, b.audit) << "audit log changed:\n" << b.audit.dump(1);
    EXPECT_EQ(a.keys, b.keys) << "tenant keys changed";
  }
};

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

// Returns the line every case starts from, as a JSON object to alter.
json good_line3() {
  return Cred{"newco", "n3", "github", "oauth_access", "gho_line_three", {"repo"}, "carol@newco"}
      .to_json();
}

std::string without(const char* field) {
  json j = good_line3();
  j.erase(field);
  return j.dump();
}

std::string with(const char* field, json value) {
  json j = good_line3();
  j[field] = std::move(value);
  return j.dump();
}

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

// ---- large files: the first bad line is named, whichever worker or batch finds it -----------

class LargeImportTest : public ImportTest {
 protected:
  // n valid lines (about 230 bytes each, so 12,000 lines span three 1 MiB batches).
  static std::vector<std::string> lines(int n) {
    std::mt19937_64 rng(5);
    std::vector<std::string> out;
    for (int i = 1; i <= n; ++i) {
      out.push_back(Cred{"t" + std::to_string(i % 13), "id" + std::to_string(i),
                         i % 2 ? "github" : "slack", "oauth_access", random_token(rng, 64),
                         {"read:user", "repo:status"}, "user" + std::to_string(i % 17) + "@x.example"}
                        .line());
    }
    return out;
  }
  static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& l : v) s += l + "\n";
    return s;
  }
  // Imports the lines; expects exit 2 naming `line` (and `what` after it) and nothing imported.
  void expect_fails_at(const std::vector<std::string>& v, int line, const std::string& what) {
    const std::string p = put_file("big.jsonl", join(v));
    auto r = store().run({"import", p});
    SEVER_EXPECT_EXIT(r, 2);
    const std::string tag = " line " + std::to_string(line) + ":";
    auto at = r.err.find(tag);
    EXPECT_NE(at, std::string::npos) << "expected" << tag << "\n" << r.describe();
    if (at != std::string::npos && !what.empty()) {
      EXPECT_NE(r.err.find(what, at), std::string::npos) << r.describe();
    }
    EXPECT_EQ(count(store()), 0);
  }
};

TEST_F(LargeImportTest, ValidLargeFileImportsEverything) {
  init(store());
  const std::string p = put_file("big.jsonl", join(lines(12000)));
  auto r = store().run({"import", p, "--format", "json"});
  SEVER_ASSERT_EXIT(r, 0);
  EXPECT_EQ(parse_json(r.out)["created"], 12000) << r.out;
  EXPECT_EQ(count(store()), 12000);
  EXPECT_EQ(count(store(), {"--tool", "github"}), 6000);
  EXPECT_EQ(count(store(), {"--tenant", "t3", "--user", "user3@x.example"}),
            count(store(), {"--tenant", "t3", "--user", "user3@x.example", "--tool", "github"}) +
                count(store(), {"--tenant", "t3", "--user", "user3@x.example", "--tool", "slack"}));
  auto keys = keys_json(store());
  ASSERT_EQ(keys.size(), 13u);
  uint64_t total = 0;
  for (const auto& k : keys) total += k["encryptions"].get<uint64_t>();
  EXPECT_EQ(total, 12000u);
  expect_indexes_agree(store());
}

TEST_F(LargeImportTest, LargeUpsertMovesEveryIndexEntry) {
  init(store());
  auto v = lines(12000);
  SEVER_ASSERT_EXIT(store().run({"import", put_file("first.jsonl", join(v))}), 0);
  // Replace every third credential: new tool, new user or no user, new secret; add 100 new.
  std::mt19937_64 rng(6);
  std::vector<Cred> update;
  for (int i = 1; i <= 12100; ++i) {
    if (i <= 12000 && i % 3 != 0) continue;
    std::optional<std::string> user;
    if (i % 2) user = "moved" + std::to_string(i % 5) + "@x.example";
    update.push_back(Cred{"t" + std::to_string(i % 13), "id" + std::to_string(i), "gitlab", "pat",
                          "new-" + random_token(rng, 30), {"read_api"}, user});
  }
  auto r = store().run({"import", put_file("update.jsonl", jsonl(update)), "--upsert",
                        "--format", "json"});
  SEVER_ASSERT_EXIT(r, 0);
  json summary = parse_json(r.out);
  EXPECT_EQ(summary["replaced"], 4000) << r.out;
  EXPECT_EQ(summary["created"], 100) << r.out;
  EXPECT_EQ(count(store()), 12100);
  EXPECT_EQ(count(store(), {"--tool", "gitlab"}), 4100);
  EXPECT_EQ(count(store(), {"--tool", "github"}) + count(store(), {"--tool", "slack"}), 8000);
  expect_indexes_agree(store());
  const Cred& probe = update[1000];
  auto g = store().run({"get", probe.tenant, probe.id});
  SEVER_EXPECT_EXIT(g, 0);
  EXPECT_EQ(g.out, probe.secret + "\n");
}

TEST_F(LargeImportTest, EarliestOfSeveralBadLinesIsNamed) {
  init(store());
  auto v = lines(12000);
  v[10000 - 1] = "{not json";
  v[5000 - 1] = with("kind", "password");
  v[11000 - 1] = without("secret");
  expect_fails_at(v, 5000, "kind");
}

TEST_F(LargeImportTest, DuplicateAcrossBatchesNamesBothLines) {
  init(store());
  auto v = lines(12000);
  v[11000 - 1] = v[200 - 1];
  expect_fails_at(v, 11000, "first on line 200");
}

TEST_F(LargeImportTest, ThirdCopyIsNotTheOneNamed) {
  init(store());
  auto v = lines(12000);
  v[5000 - 1] = v[10 - 1];
  v[9000 - 1] = v[10 - 1];
  expect_fails_at(v, 5000, "first on line 10");
}

TEST_F(LargeImportTest, ParseErrorBeforeADuplicateWins) {
  init(store());
  auto v = lines(12000);
  v[11000 - 1] = v[200 - 1];  // a duplicate, found late (when rows are merged)
  v[7000 - 1] = "garbage";    // a parse error, earlier in the file
  expect_fails_at(v, 7000, "");
}

TEST_F(LargeImportTest, DuplicateBeforeAParseErrorWins) {
  init(store());
  auto v = lines(12000);
  v[3000 - 1] = v[200 - 1];  // a duplicate early in the file
  v[11500 - 1] = "garbage";  // a parse error late
  expect_fails_at(v, 3000, "first on line 200");
}

TEST_F(LargeImportTest, ExistingIdLateInTheFileIsNamed) {
  init(store());
  import(store(), baseline());
  auto v = lines(12000);
  v[11999 - 1] = baseline()[1].line();  // acme/b2 is already stored
  const std::string p = put_file("big.jsonl", join(v));
  auto r = store().run({"import", p});
  SEVER_EXPECT_EXIT(r, 2);
  EXPECT_NE(r.err.find(" line 11999:"), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.describe();
  EXPECT_EQ(count(store()), 3);
}

TEST_F(LargeImportTest, ExistingIdBeforeAParseErrorWins) {
  init(store());
  import(store(), baseline());
  auto v = lines(12000);
  v[2500 - 1] = baseline()[1].line();  // acme/b2 is already stored
  v[11500 - 1] = "garbage";
  const std::string p = put_file("big.jsonl", join(v));
  auto r = store().run({"import", p});
  SEVER_EXPECT_EXIT(r, 2);
  EXPECT_NE(r.err.find(" line 2500:"), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.describe();
  EXPECT_EQ(count(store()), 3);
}

TEST_F(LargeImportTest, BadLineEarlyInALongStdinStreamStopsTheImport) {
  init(store());
  auto v = lines(12000);
  v[2 - 1] = without("id");
  RunOptions o;
  o.stdin_data = join(v);
  o.timeout = std::chrono::milliseconds(20000);
  auto r = store().run({"import", "-"}, o);
  EXPECT_FALSE(r.timed_out) << r.describe();
  SEVER_EXPECT_EXIT(r, 2);
  EXPECT_NE(r.err.find("stdin line 2:"), std::string::npos) << r.describe();
  EXPECT_EQ(count(store()), 0);
}

TEST_F(LargeImportTest, LastLineWithoutNewlineIsImported) {
  init(store());
  auto v = lines(3);
  std::string content = v[0] + "\r\n" + v[1] + "\n" + v[2];  // CRLF, LF, then no newline
  auto r = store().run_stdin({"import", "-"}, content);
  SEVER_ASSERT_EXIT(r, 0);
  EXPECT_EQ(count(store()), 3);
  auto bad = store().run_stdin({"import", "-"}, lines(5)[3] + "\n" + "{\"tenant\":");
  SEVER_EXPECT_EXIT(bad, 2);
  EXPECT_NE(bad.err.find("line 2:"), std::string::npos) << bad.describe();
  EXPECT_EQ(count(store()), 3);
}

TEST_F(LargeImportTest, BlankLinesCountInLineNumbers) {
  init(store());
  std::string content = baseline()[0].line() + "\n\n   \n" + without("tool") + "\n";
  auto r = store().run_stdin({"import", "-"}, content);
  SEVER_EXPECT_EXIT(r, 2);
  EXPECT_NE(r.err.find("line 4:"), std::string::npos) << r.describe();
}

TEST_F(LargeImportTest, OverlongLineAndOversizedSecretAreNamed) {
  init(store());
  auto v = lines(10);
  Cred big{"acme", "big", "github", "pat", std::string(70 * 1024, 's')};
  v[6 - 1] = big.line();  // a 70 KiB secret: over the 64 KiB limit
  expect_fails_at(v, 6, "secret");
  auto w = lines(10);
  w[4 - 1] = std::string(2 << 20, ' ') + "{}";  // a 2 MiB line
  expect_fails_at(w, 4, "");
}

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

// ---- get ----------------------------------------------------------------------------------

TEST_F(ImportTest, GetPrintsTheExactUnescapedSecret) {
  init(store());
  // The secret field as written in the file: a"b\c, then U+00E9 as an escape, then a raw
  // UTF-8 snowman, an escaped emoji (surrogate pair), a slash and a tab.
  const std::string line =
      R"({"tenant":"acme","id":"esc","tool":"github","kind":"pat",)"
      R"("secret":"a\"b\\c\u00e9\u00E9 ☃ \ud83d\ude00 \/ \t!","scopes":[],)"
      R"("user":null,"created_at":"2026-01-02T03:04:05Z","last_used_at":null,"expires_at":null})";
  const std::string expected = "a\"b\\c\xC3\xA9\xC3\xA9 \xE2\x98\x83 \xF0\x9F\x98\x80 / \t!";
  std::string p = put_file("esc.jsonl", line + "\n");
  SEVER_ASSERT_EXIT(store().run({"import", p}), 0);
  auto g = store().run({"get", "acme", "esc"});
  SEVER_ASSERT_EXIT(g, 0);
  EXPECT_EQ(g.out, expected + "\n");
  EXPECT_EQ(g.err, "");
}

TEST_F(ImportTest, GetPrintsBinarySecretsByteForByte) {
  init(store());
  // NUL, DEL, a lone byte sequence from \u escapes, a CR and a trailing newline in the secret.
  const std::string line =
      R"({"tenant":"acme","id":"bin","tool":"github","kind":"pat",)"
      R"("secret":"a\u0000b\u007f\r\n","created_at":"2026-01-02T03:04:05Z"})";
  SEVER_ASSERT_EXIT(store().run_stdin({"import", "-"}, line + "\r\n"), 0);
  auto g = store().run({"get", "acme", "bin"});
  SEVER_ASSERT_EXIT(g, 0);
  EXPECT_EQ(g.out, std::string("a\0b\x7f\r\n\n", 7));
}

TEST_F(ImportTest, GetOfUnknownIdIsExitTwoAndAuditsNothing) {
  init(store());
  import(store(), baseline());
  const size_t before = audit_json(store()).size();
  for (const auto& [t, id] : std::vector<std::pair<std::string, std::string>>{
           {"acme", "nope"}, {"nobody", "b1"}, {"beta", "b1"}}) {
    auto g = store().run({"get", t, id});
    SEVER_EXPECT_EXIT(g, 2);
    EXPECT_EQ(g.out, "");
    EXPECT_NE(g.err.find("no credential"), std::string::npos) << g.describe();
  }
  EXPECT_EQ(audit_json(store()).size(), before);
}

TEST_F(ImportTest, EachGetAddsOneSecretReadAuditEntry) {
  init(store());
  import(store(), baseline());
  const json before = audit_json(store());
  const std::vector<std::pair<std::string, std::string>> reads = {
      {"acme", "b1"}, {"beta", "b3"}, {"acme", "b1"}};
  RunOptions o;
  o.env.push_back({"SEVER_OPERATOR", "mallory"});
  for (const auto& [t, id] : reads) {
    auto g = store().run({"get", t, id}, o);
    SEVER_ASSERT_EXIT(g, 0);
  }
  const json after = audit_json(store());
  ASSERT_EQ(after.size(), before.size() + reads.size()) << after.dump(1);
  for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(after[i], before[i]);
  for (size_t i = 0; i < reads.size(); ++i) {
    const json& e = after[before.size() + i];
    EXPECT_EQ(e["action"], "secret.read") << e.dump();
    EXPECT_EQ(e["target"], reads[i].first + "/" + reads[i].second) << e.dump();
    EXPECT_EQ(e["actor"], "cli:mallory") << e.dump();
    EXPECT_EQ(e["seq"], before.size() + i + 1) << e.dump();
    EXPECT_EQ(e.dump().find("gho_baseline_1"), std::string::npos) << "secret in the audit log";
  }
  auto v = store().run({"audit", "verify"});
  SEVER_EXPECT_EXIT(v, 0);
  EXPECT_EQ(v.out, "audit log intact: " + std::to_string(after.size()) + " entries\n");
}

}  // namespace
}  // namespace sever::itest

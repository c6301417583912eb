// Integration tests of `sever import` on files of several batches: whichever worker or batch
// finds it, the first bad line is the one named, and nothing is imported.
#include "integration/import_fixture.h"

namespace sever::itest {
namespace {

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
  // Asserts the import of v fails naming `line` (and `what` after it), storing nothing: the
  // store still holds `stored` credentials.
  void expect_fails_at(const std::vector<std::string>& v, int line, const std::string& what,
                       int stored = 0) {
    const std::string p = put_file("big.jsonl", join(v));
    auto r = store().run({"import", p});
    SEVER_EXPECT_EXIT(r, 2);
    const std::string tag = " line " + std::to_string(line) + ":";
    auto at = r.err.find(tag);
    EXPECT_NE(at, std::string::npos) << "expected" << tag << "\n" << r.describe();
    if (at != std::string::npos && !what.empty()) {
      EXPECT_NE(r.err.find(what, at), std::string::npos) << r.describe();
    }
    EXPECT_EQ(count(store()), stored);
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
  expect_fails_at(v, 11999, "already exists", 3);
}

TEST_F(LargeImportTest, ExistingIdBeforeAParseErrorWins) {
  init(store());
  import(store(), baseline());
  auto v = lines(12000);
  v[2500 - 1] = baseline()[1].line();  // acme/b2 is already stored
  v[11500 - 1] = "garbage";
  expect_fails_at(v, 2500, "already exists", 3);
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

}  // namespace
}  // namespace sever::itest

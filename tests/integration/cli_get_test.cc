// Integration tests of `sever get`: the exact secret, byte for byte, and one audit entry per read.
#include "integration/import_fixture.h"

namespace sever::itest {
namespace {

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

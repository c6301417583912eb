#include "sever/store/import.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "schema.h"
#include "sever/store/inventory.h"
#include "support/store_fixture.h"

namespace sever {
namespace {

std::string line(const std::string& tenant, const std::string& id, const std::string& tool = "github",
                 const std::string& user = "alice@acme.example", const std::string& secret = "") {
  return R"({"tenant":")" + tenant + R"(","id":")" + id + R"(","tool":")" + tool +
         R"(","kind":"oauth_access","secret":")" + (secret.empty() ? "s-" + tenant + "-" + id : secret) +
         R"(","scopes":["repo"],"user":")" + user +
         R"(","created_at":"2026-01-02T03:04:05Z","last_used_at":null,"expires_at":null})";
}

class ImportTest : public testing::StoreTest {
 protected:
  Result<ImportStats> Import(const std::string& text, bool upsert = false, size_t budget = 0) {
    std::FILE* f = fmemopen(const_cast<char*>(text.data()), text.size(), "r");
    ImportOptions o;
    if (budget) o.memory_budget_bytes = budget;
    o.upsert = upsert;
    o.actor = "test";
    o.source = "in.jsonl";
    auto r = import_jsonl(*store_, f, o);
    std::fclose(f);
    return r;
  }
  uint64_t Count() {
    uint64_t n = 0;
    EXPECT_TRUE(scan_inventory(*store_, {}, 1'800'000'000, [&](const Credential&, State) {
                  ++n;
                  return true;
                }).ok());
    return n;
  }
};

TEST_F(ImportTest, ImportsLinesSealedUnderTenantDeks) {
  auto r = Import(line("acme", "c1") + "\n" + line("acme", "c2") + "\n\n" + line("beta", "c1"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->created, 3u);
  EXPECT_EQ(r->new_deks, 2u);
  EXPECT_EQ(r->lines, 4u);
  EXPECT_EQ(store_->GetSecret("acme", "c2", "t")->view(), "s-acme-c2");
  EXPECT_EQ(store_->GetSecret("beta", "c1", "t")->view(), "s-beta-c1");
  auto keys = store_->keyring().List("acme");
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].encryptions, 2u);
  auto v = store_->audit().Verify();
  EXPECT_FALSE(v->first_bad.has_value()) << v->problem;
}

TEST_F(ImportTest, ExistingTenantReusesItsDek) {
  ASSERT_TRUE(Import(line("acme", "c1")).ok());
  auto r = Import(line("acme", "c2"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->new_deks, 0u);
  auto keys = store_->keyring().List("acme");
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].encryptions, 2u);
}

struct BadLine {
  std::string name;
  std::string text;
  std::string expect;  // a part of the message
};

TEST_F(ImportTest, EachKindOfBadLineImportsNothing) {
  ASSERT_TRUE(Import(line("acme", "existing")).ok());
  const uint64_t audit_before = store_->audit().head().seq;
  const std::string good = line("acme", "g1") + "\n" + line("zeta", "g2") + "\n";
  const std::vector<BadLine> cases = {
      {"not json", "{\"tenant\":", "not valid JSON"},
      {"not object", "[1,2]", "not a JSON object"},
      {"missing tenant", R"({"id":"x","tool":"t","kind":"pat","secret":"s","created_at":"2026-01-02T03:04:05Z"})", "missing field 'tenant'"},
      {"missing secret", R"({"tenant":"a","id":"x","tool":"t","kind":"pat","created_at":"2026-01-02T03:04:05Z"})", "missing field 'secret'"},
      {"missing created", R"({"tenant":"a","id":"x","tool":"t","kind":"pat","secret":"s"})", "missing field 'created_at'"},
      {"null created", R"({"tenant":"a","id":"x","tool":"t","kind":"pat","secret":"s","created_at":null})", "created_at"},
      {"bad kind", R"({"tenant":"a","id":"x","tool":"t","kind":"token","secret":"s","created_at":"2026-01-02T03:04:05Z"})", "unknown kind 'token'"},
      {"bad time", R"({"tenant":"a","id":"x","tool":"t","kind":"pat","secret":"s","created_at":"2026-02-30T00:00:00Z"})", "field 'created_at'"},
      {"bad last used", R"({"tenant":"a","id":"x","tool":"t","kind":"pat","secret":"s","created_at":"2026-01-02T03:04:05Z","last_used_at":"yesterday"})", "field 'last_used_at'"},
      {"unknown field", R"({"tenant":"a","id":"x","tool":"t","kind":"pat","secret":"s","created_at":"2026-01-02T03:04:05Z","scope":["x"]})", "unknown field 'scope'"},
      {"duplicate field", R"({"tenant":"a","tenant":"b","id":"x","tool":"t","kind":"pat","secret":"s","created_at":"2026-01-02T03:04:05Z"})", "appears twice"},
      {"scopes not array", R"({"tenant":"a","id":"x","tool":"t","kind":"pat","secret":"s","scopes":"repo","created_at":"2026-01-02T03:04:05Z"})", "field 'scopes'"},
      {"secret number", R"({"tenant":"a","id":"x","tool":"t","kind":"pat","secret":42,"created_at":"2026-01-02T03:04:05Z"})", "field 'secret'"},
      {"empty secret", R"({"tenant":"a","id":"x","tool":"t","kind":"pat","secret":"","created_at":"2026-01-02T03:04:05Z"})", "secret is empty"},
      {"control char", R"({"tenant":"a\u0001","id":"x","tool":"t","kind":"pat","secret":"s","created_at":"2026-01-02T03:04:05Z"})", "tenant contains a control character"},
      {"trailing", line("a", "x") + " {}", "trailing content"},
      {"dup in file", line("acme", "g1"), "appears twice (first on line 1)"},
      {"exists", line("acme", "existing"), "already exists in the store"},
  };
  for (const auto& c : cases) {
    auto r = Import(good + c.text + "\n" + line("omega", "g3") + "\n");
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), Code::invalid_argument) << c.name;
    EXPECT_NE(r.status().message().find("in.jsonl line 3: "), std::string::npos)
        << c.name << ": " << r.status().message();
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos)
        << c.name << ": " << r.status().message();
    EXPECT_EQ(Count(), 1u) << c.name;
    EXPECT_EQ(store_->GetRecord("acme", "g1").status().code(), Code::not_found) << c.name;
    EXPECT_EQ(store_->keyring().List("zeta")->size(), 0u) << c.name;
    EXPECT_EQ(store_->audit().head().seq, audit_before) << c.name;
  }
  EXPECT_FALSE(std::filesystem::exists(options_.data_dir + "/.import-staging"));
}

TEST_F(ImportTest, SpilledImportIsCompleteAndStillFindsDuplicates) {
  std::string text;
  for (int i = 0; i < 3000; ++i) text += line("t" + std::to_string(i % 17), "c" + std::to_string(i)) + "\n";
  // A 48 KiB budget spills dozens of sorted runs per column family.
  auto dup = Import(text + line("t5", "c5") + "\n", false, 48 << 10);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("line 3001: credential t5/c5 appears twice (first on line 6)"),
            std::string::npos) << dup.status().message();
  EXPECT_EQ(Count(), 0u);
  auto r = Import(text, false, 48 << 10);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->created, 3000u);
  EXPECT_EQ(Count(), 3000u);
  uint64_t via_tool = 0;
  ASSERT_TRUE(scan_inventory(*store_, {.tool = "github"}, 1'800'000'000, [&](const Credential&, State) {
                ++via_tool;
                return true;
              }).ok());
  EXPECT_EQ(via_tool, 3000u);
  EXPECT_EQ(store_->GetSecret("t7", "c2999", "t")->view(), "s-t7-c2999");
}

TEST_F(ImportTest, MessagesNeverEchoTheSecret) {
  auto r = Import(R"({"tenant":"a","id":"x","tool":"t","kind":"nope","secret":"SUPERSECRET","created_at":"2026-01-02T03:04:05Z"})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find("SUPERSECRET"), std::string::npos);
}

TEST_F(ImportTest, UpsertReplacesSecretAndIndexes) {
  ASSERT_TRUE(Import(line("acme", "c1", "github", "alice")).ok());
  auto r = Import(line("acme", "c1", "slack", "bob", "new-secret"), true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->replaced, 1u);
  EXPECT_EQ(store_->GetSecret("acme", "c1", "t")->view(), "new-secret");
  std::vector<std::string> ids;
  auto collect = [&](InventoryFilter f) {
    ids.clear();
    EXPECT_TRUE(scan_inventory(*store_, f, 1'800'000'000, [&](const Credential& c, State) {
                  ids.push_back(c.tenant + "/" + c.id + ":" + c.tool);
                  return true;
                }).ok());
    return ids;
  };
  EXPECT_TRUE(collect({.tool = "github"}).empty());
  EXPECT_EQ(collect({.tool = "slack"}), std::vector<std::string>{"acme/c1:slack"});
  EXPECT_TRUE(collect({.tenant = "acme", .user = "alice"}).empty());
  EXPECT_EQ(collect({.tenant = "acme", .user = "bob"}), std::vector<std::string>{"acme/c1:slack"});
}

TEST_F(ImportTest, JsonEscapesInSecretAreDecoded) {
  auto r = Import(R"({"tenant":"a","id":"x","tool":"t","kind":"pat","secret":"q\"b\\s\/\u00e9\ud83d\ude00\n","created_at":"2026-01-02T03:04:05Z"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(store_->GetSecret("a", "x", "t")->view(), "q\"b\\s/\xc3\xa9\xf0\x9f\x98\x80\n");
}

TEST_F(ImportTest, LoneSurrogateInSecretIsRefused) {
  auto r = Import(R"({"tenant":"a","id":"x","tool":"t","kind":"pat","secret":"\ud83d","created_at":"2026-01-02T03:04:05Z"})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("field 'secret'"), std::string::npos);
}

TEST_F(ImportTest, InitialStateFollowsTimestamps) {
  std::string l = R"({"tenant":"a","id":"exp","tool":"t","kind":"pat","secret":"s","created_at":"2020-01-01T00:00:00Z","expires_at":"2021-01-01T00:00:00Z"})";
  l += "\n" + std::string(R"({"tenant":"a","id":"old","tool":"t","kind":"pat","secret":"s","created_at":"2020-01-01T00:00:00Z","last_used_at":"2020-02-01T00:00:00Z"})");
  ASSERT_TRUE(Import(l).ok());
  EXPECT_EQ(store_->GetRecord("a", "exp")->state, State::expired);
  EXPECT_EQ(store_->GetRecord("a", "old")->state, State::dormant);
}

}  // namespace
}  // namespace sever

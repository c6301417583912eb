// Tests of the credential generator: format, determinism and the shape of the data it makes.
#include "sever/load/generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "sever/store/time.h"
#include "sever/store/catalog.h"

namespace sever::load {
namespace {

constexpr int64_t kNow = 1767312000;  // 2026-01-02T00:00:00Z
constexpr int64_t kDay = 86400;

GenOptions options(uint64_t count, uint64_t seed = 1, uint32_t tenants = 0) {
  GenOptions o;
  o.count = count;
  o.seed = seed;
  o.tenants = tenants;
  o.now_unix = kNow;
  return o;
}

std::string generate_string(const GenOptions& o) {
  std::ostringstream out;
  Status s = generate(o, out);
  EXPECT_TRUE(s.ok()) << s.message();
  return out.str();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

int64_t time_of(const nlohmann::json& v) {
  Result<int64_t> t = parse_rfc3339(v.get<std::string>());
  EXPECT_TRUE(t.ok()) << v;
  return t.ok() ? *t : 0;
}


// ---- options ------------------------------------------------------------------------------

TEST(GenOptions, AutoTenantsScalesWithCountAndIsClamped) {
  EXPECT_EQ(auto_tenants(0), 1u);
  EXPECT_EQ(auto_tenants(100), 1u);
  EXPECT_EQ(auto_tenants(1'700'000), 8500u);
  EXPECT_EQ(auto_tenants(100'000'000'000ULL), 100'000u);
}

TEST(GenOptions, ValidateRejectsOutOfRangeValues) {
  EXPECT_TRUE(validate(options(10)).ok());
  GenOptions o = options(10);
  o.tenants = kMaxTenants + 1;
  EXPECT_EQ(validate(o).code(), Code::invalid_argument);
  o = options(10);
  o.now_unix = 0;
  EXPECT_EQ(validate(o).code(), Code::invalid_argument);
  EXPECT_EQ(generate_string(options(0)), "");
  std::ostringstream out;
  EXPECT_EQ(generate(o, out).code(), Code::invalid_argument);
  EXPECT_TRUE(out.str().empty());
}

TEST(GenOptions, GenerateReportsAFailingStream) {
  std::ostringstream out;
  out.setstate(std::ios::badbit);
  EXPECT_EQ(generate(options(10), out).code(), Code::io_error);
}

TEST(ToolMix, IsInStepWithTheCatalog) {
  std::vector<std::string> problems = check_tool_mix();
  EXPECT_TRUE(problems.empty()) << problems.front();
}

// ---- determinism and counts ---------------------------------------------------------------

TEST(Generator, IsDeterministic) {
  const std::string a = generate_string(options(20'000, 42));
  const std::string b = generate_string(options(20'000, 42));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, generate_string(options(20'000, 43)));
  GenOptions later = options(20'000, 42);
  later.now_unix += kDay;
  EXPECT_NE(a, generate_string(later));
}

TEST(Generator, StreamingMatchesBulkOutput) {
  const GenOptions o = options(3'000, 9, 17);
  Generator g(o);
  EXPECT_EQ(g.tenant_count(), 17u);
  std::string joined, line;
  while (g.next(&line)) {
    EXPECT_EQ(line.find('\n'), std::string::npos);
    joined += line;
    joined += '\n';
  }
  EXPECT_EQ(g.produced(), 3'000u);
  EXPECT_FALSE(g.next(&line));
  EXPECT_TRUE(line.empty());
  EXPECT_EQ(joined, generate_string(o));
}

TEST(Generator, WritesExactlyCountLines) {
  for (uint64_t n : {1ULL, 2ULL, 999ULL, 4'321ULL}) {
    const std::string text = generate_string(options(n, 5));
    EXPECT_EQ(static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n')), n);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');
  }
}

// ---- every line ---------------------------------------------------------------------------

TEST(Generator, EveryLineIsAWellFormedCredential) {
  const std::vector<std::string> lines = split_lines(generate_string(options(20'000, 3, 50)));
  ASSERT_EQ(lines.size(), 20'000u);
  const std::vector<std::string> keys = {"tenant",     "id",           "tool",
                                         "kind",       "secret",       "scopes",
                                         "user",       "created_at",   "last_used_at",
                                         "expires_at", "client"};
  const std::regex tenant_re("t[0-9]{5,}-[a-z]+");
  const std::regex id_re("c[0-9]{6,}");
  const std::regex ts_re("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z");
  const std::regex user_re("[a-z][a-z0-9.-]*@([a-z]+-[0-9]+\\.example)");
  std::set<std::string_view> kinds(kKinds.begin(), kKinds.end());
  std::map<std::string, std::set<std::string>> ids;
  std::map<std::string, std::string> domain_of;
  for (const std::string& line : lines) {
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    ASSERT_TRUE(j.is_object()) << line;
    std::vector<std::string> got;
    for (auto it = j.begin(); it != j.end(); ++it) got.push_back(it.key());
    ASSERT_EQ(got, keys) << line;  // all fields, in the documented order

    const std::string tenant = j["tenant"].get<std::string>();
    EXPECT_TRUE(std::regex_match(tenant, tenant_re)) << line;
    const std::string id = j["id"].get<std::string>();
    EXPECT_TRUE(std::regex_match(id, id_re)) << line;
    EXPECT_TRUE(ids[tenant].insert(id).second) << "duplicate id in tenant: " << line;

    const std::string tool = j["tool"].get<std::string>();
    const catalog::ToolInfo* info = catalog::find_tool(tool);
    ASSERT_NE(info, nullptr) << line;
    const std::string kind = j["kind"].get<std::string>();
    EXPECT_TRUE(kinds.count(kind)) << line;
    EXPECT_GE(j["secret"].get<std::string>().size(), 16u) << line;

    ASSERT_TRUE(j["scopes"].is_array()) << line;
    std::vector<std::string> scopes;
    for (const auto& s : j["scopes"]) scopes.push_back(s.get<std::string>());
    std::set<std::string> unique(scopes.begin(), scopes.end());
    EXPECT_EQ(unique.size(), scopes.size()) << line;
    if (kind == "api_key" || info->required_scopes.empty()) {
      EXPECT_TRUE(scopes.empty()) << line;
    } else {
      for (std::string_view r : info->required_scopes)
        EXPECT_TRUE(unique.count(std::string(r))) << "missing required " << r << ": " << line;
      for (const std::string& s : scopes) {
        const bool known =
            std::find(info->required_scopes.begin(), info->required_scopes.end(), s) !=
                info->required_scopes.end() ||
            std::find(info->optional_scopes.begin(), info->optional_scopes.end(), s) !=
                info->optional_scopes.end();
        EXPECT_TRUE(known) << s << ": " << line;
      }
    }

    std::smatch m;
    const std::string user = j["user"].get<std::string>();
    ASSERT_TRUE(std::regex_match(user, m, user_re)) << line;
    auto [it, fresh] = domain_of.emplace(tenant, m[1].str());
    EXPECT_EQ(it->second, m[1].str()) << "users of one tenant share its domain: " << line;
    (void)fresh;

    ASSERT_TRUE(j["created_at"].is_string()) << line;
    EXPECT_TRUE(std::regex_match(j["created_at"].get<std::string>(), ts_re)) << line;
    const int64_t created = time_of(j["created_at"]);
    EXPECT_LT(created, kNow) << line;
    EXPECT_GE(created, kNow - 3 * 365 * kDay) << line;
    if (!j["last_used_at"].is_null()) {
      EXPECT_TRUE(std::regex_match(j["last_used_at"].get<std::string>(), ts_re)) << line;
      const int64_t used = time_of(j["last_used_at"]);
      EXPECT_GE(used, created) << line;
      EXPECT_LE(used, kNow) << line;
    }
    if (!j["expires_at"].is_null()) {
      EXPECT_TRUE(std::regex_match(j["expires_at"].get<std::string>(), ts_re)) << line;
      EXPECT_GE(time_of(j["expires_at"]), created) << line;
    }
    std::string stem = tool;
    std::replace(stem.begin(), stem.end(), '_', '-');
    EXPECT_EQ(j["client"].get<std::string>().rfind(stem + "-app-", 0), 0u) << line;
  }
  // Tenant names are unique: one domain per name, and no two names share a domain.
  std::set<std::string> domains;
  for (const auto& [tenant, domain] : domain_of) EXPECT_TRUE(domains.insert(domain).second);
}

TEST(Generator, SecretsLookLikeTheProvidersTokens) {
  const std::vector<std::string> lines = split_lines(generate_string(options(30'000, 11)));
  std::map<std::string, int> checked;
  std::unordered_set<std::string> secrets;
  for (const std::string& line : lines) {
    const nlohmann::json j = nlohmann::json::parse(line);
    const std::string tool = j["tool"], kind = j["kind"], secret = j["secret"];
    EXPECT_TRUE(secrets.insert(secret).second) << "repeated secret " << secret;
    const auto starts = [&](std::string_view p) { return secret.rfind(p, 0) == 0; };
    const std::string key = tool + "/" + kind;
    bool ok = true;
    if (key == "slack/bot_token") {
      ok = starts("xoxb-");
    } else if (key == "slack/oauth_access") {
      ok = starts("xoxp-");
    } else if (key == "github/oauth_access") {
      ok = starts("gho_");
    } else if (key == "github/pat") {
      ok = starts("ghp_") || starts("github_pat_");
    } else if (key == "gmail/oauth_access") {
      ok = starts("ya29.");
    } else if (key == "gmail/oauth_refresh") {
      ok = starts("1//");
    } else if (tool == "stripe") {
      ok = kind == "api_key" && (starts("sk_live_") || starts("rk_live_"));
    } else if (tool == "openai") {
      ok = kind == "api_key" && starts("sk-");
    } else {
      continue;
    }
    EXPECT_TRUE(ok) << key << ": " << secret;
    ++checked[key];
    if (tool == "github" && starts("ghp_")) {
      EXPECT_EQ(secret.size(), 40u) << secret;
    }
  }
  for (const char* key : {"slack/bot_token", "slack/oauth_access", "github/oauth_access",
                          "github/pat", "gmail/oauth_access", "gmail/oauth_refresh",
                          "stripe/api_key", "openai/api_key"})
    EXPECT_GT(checked[key], 0) << key;
}

// ---- the shape of a large store -----------------------------------------------------------

// The shape tests read 200k lines: a JSON parser would dominate their run time, so they take
// fields straight from the writer's canonical form (EveryLineIsAWellFormedCredential checks that
// form with a real parser). Returns the string value of "key" (unescaped: generated values hold
// no escapes), or "null".
std::string_view raw_field(std::string_view line, std::string_view key) {
  const std::string needle = "\"" + std::string(key) + "\":";
  const size_t at = line.find(needle);
  if (at == std::string_view::npos) return {};
  const size_t v = at + needle.size();
  if (line.substr(v, 4) == "null") return "null";
  const size_t end = line.find('"', v + 1);
  return line.substr(v + 1, end - v - 1);
}

std::vector<std::string> raw_scopes(std::string_view line) {
  std::vector<std::string> out;
  const size_t at = line.find("\"scopes\":[");
  const size_t end = line.find(']', at);
  for (size_t q = line.find('"', at + 10); q < end; q = line.find('"', q + 1)) {
    const size_t close = line.find('"', q + 1);
    out.emplace_back(line.substr(q + 1, close - q - 1));
    q = close;
  }
  return out;
}

struct Row {
  std::string tenant, tool, user;
  std::vector<std::string> scopes;
  int64_t last_used = -1, expires = -1;
};

class GeneratorShape : public ::testing::Test {
 protected:
  static constexpr uint64_t kCount = 200'000;

  static void SetUpTestSuite() {
    rows_ = new std::vector<Row>();
    rows_->reserve(kCount);
    Generator g(options(kCount, 2026, 1000));
    std::string line;
    while (g.next(&line)) {
      Row r;
      r.tenant = raw_field(line, "tenant");
      r.tool = raw_field(line, "tool");
      r.user = raw_field(line, "user");
      r.scopes = raw_scopes(line);
      const std::string_view used = raw_field(line, "last_used_at");
      if (used != "null") r.last_used = parse_rfc3339(used).value();
      const std::string_view expires = raw_field(line, "expires_at");
      if (expires != "null") r.expires = parse_rfc3339(expires).value();
      rows_->push_back(std::move(r));
    }
  }
  static void TearDownTestSuite() {
    delete rows_;
    rows_ = nullptr;
  }
  static double share(size_t n) { return static_cast<double>(n) / static_cast<double>(kCount); }

  static std::vector<Row>* rows_;
};
std::vector<Row>* GeneratorShape::rows_ = nullptr;

TEST_F(GeneratorShape, RawFieldsMatchAParser) {
  ASSERT_EQ(rows_->size(), kCount);
  Generator g(options(kCount, 2026, 1000));
  std::string line;
  for (size_t i = 0; i < 200 && g.next(&line); ++i) {
    const nlohmann::json j = nlohmann::json::parse(line);
    const Row& r = (*rows_)[i];
    EXPECT_EQ(r.tenant, j["tenant"]);
    EXPECT_EQ(r.tool, j["tool"]);
    EXPECT_EQ(r.user, j["user"]);
    EXPECT_EQ(r.scopes, j["scopes"].get<std::vector<std::string>>());
    EXPECT_EQ(r.last_used < 0, j["last_used_at"].is_null());
    EXPECT_EQ(r.expires < 0, j["expires_at"].is_null());
  }
}

TEST_F(GeneratorShape, ToolsAreSkewedWithALongTail) {
  std::unordered_map<std::string, size_t> by_tool;
  for (const Row& r : *rows_) ++by_tool[r.tool];
  std::vector<size_t> counts;
  for (const auto& [tool, n] : by_tool) counts.push_back(n);
  std::sort(counts.rbegin(), counts.rend());
  ASSERT_GE(counts.size(), 3u);
  EXPECT_GT(share(counts[0] + counts[1] + counts[2]), 0.30);
  EXPECT_GE(by_tool.size(), 80u);
  // GitHub, Gmail and Slack lead.
  for (const char* t : {"github", "gmail", "slack"}) EXPECT_GT(share(by_tool[t]), 0.05) << t;
  // The long tail is thin: a rare tool has well under 0.1% of the store.
  EXPECT_LT(share(by_tool["workday"]), 0.001);
  EXPECT_LT(share(by_tool["render"]), 0.001);
}

TEST_F(GeneratorShape, TenantSizesAreUneven) {
  std::unordered_map<std::string, size_t> by_tenant;
  for (const Row& r : *rows_) ++by_tenant[r.tenant];
  std::vector<size_t> sizes;
  for (const auto& [t, n] : by_tenant) sizes.push_back(n);
  std::sort(sizes.begin(), sizes.end());
  EXPECT_GE(sizes.size(), 990u);  // nearly all 1000 tenants hold credentials
  EXPECT_LE(sizes.size(), 1000u);
  const size_t median = sizes[sizes.size() / 2];
  EXPECT_GE(sizes.back(), 20 * median) << "largest " << sizes.back() << " median " << median;
}

TEST_F(GeneratorShape, TenantsHaveSeveralUsers) {
  std::unordered_map<std::string, std::unordered_set<std::string>> users;
  std::unordered_map<std::string, size_t> by_tenant;
  for (const Row& r : *rows_) {
    users[r.tenant].insert(r.user);
    ++by_tenant[r.tenant];
  }
  const auto largest = std::max_element(by_tenant.begin(), by_tenant.end(),
                                        [](auto& a, auto& b) { return a.second < b.second; });
  EXPECT_GE(users[largest->first].size(), 100u);
  size_t multi = 0;
  for (const auto& [t, u] : users) multi += u.size() >= 3;
  EXPECT_GE(multi * 10, users.size() * 8);  // 80% of tenants have three or more users
}

TEST_F(GeneratorShape, UsageIsSpreadWithDormantAndNeverUsedCredentials) {
  size_t never = 0, dormant = 0, expired = 0, expiring = 0;
  for (const Row& r : *rows_) {
    if (r.last_used < 0) ++never;
    else if (r.last_used < kNow - 90 * kDay) ++dormant;
    if (r.expires >= 0 && r.expires < kNow) ++expired;
    if (r.expires >= kNow) ++expiring;
  }
  EXPECT_NEAR(share(never), 0.10, 0.02);
  EXPECT_NEAR(share(dormant), 0.25, 0.03);
  EXPECT_NEAR(share(expired), 0.05, 0.01);
  EXPECT_GT(share(expiring), 0.05);
}

TEST_F(GeneratorShape, SomeCredentialsAreOverprivileged) {
  size_t with_excess = 0, high_risk_excess = 0;
  for (const Row& r : *rows_) {
    const std::vector<std::string> excess = catalog::excess_scopes(r.tool, r.scopes);
    if (excess.empty()) continue;
    ++with_excess;
    if (catalog::max_risk(excess) == catalog::Risk::high) ++high_risk_excess;
  }
  EXPECT_GT(share(with_excess), 0.12);
  EXPECT_LT(share(with_excess), 0.35);
  EXPECT_GT(high_risk_excess, with_excess / 2);
}

}  // namespace
}  // namespace sever::load

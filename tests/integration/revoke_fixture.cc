// The fixture the `sever revoke` and `sever jobs` integration tests share. See revoke_fixture.h.
#include "integration/revoke_fixture.h"

#include <utility>

namespace sever::itest {

std::string key_of(const Cred& c) { return c.tenant + "/" + c.id; }

json record_of(const std::map<std::string, json>& record, const std::string& secret) {
  auto it = record.find(sha256_hex(secret));
  return it == record.end() ? json::object() : it->second;
}

Cred make_cred(std::mt19937_64& rng, const std::string& tenant, const std::string& id,
               const std::string& tool, const std::string& user) {
  static const std::map<std::string, std::pair<std::string, std::string>> kShape = {
      {"github", {"oauth_access", "gho_"}},   {"gmail", {"oauth_access", "ya29."}},
      {"slack", {"bot_token", "xoxb-"}},      {"dropbox", {"oauth_access", "sl."}},
      {"hubspot", {"oauth_refresh", "hrt-"}}, {"workday", {"oauth_refresh", "wd-"}}};
  const auto& [kind, prefix] = kShape.at(tool);
  Cred c(tenant, id, tool, kind, prefix + random_token(rng, 40), {"read"}, user);
  if (tool == "github") {
    c.scopes = {"repo", "admin:org"};
    c.client = kGithubClientId;
  }
  return c;
}

std::map<std::string, uint64_t> item_counts(const json& show, const std::string& tool) {
  std::map<std::string, uint64_t> out;
  const json* items = nullptr;
  if (tool.empty() && show.contains("items")) items = &show["items"];
  if (!tool.empty() && show.contains("by_tool") && show["by_tool"].contains(tool)) {
    items = &show["by_tool"][tool];
  }
  for (const char* s : {"pending", "in_flight", "revoked", "already_gone", "manual", "retry_wait",
                        "dead_letter"}) {
    out[s] = items != nullptr && items->contains(s) ? (*items)[s].get<uint64_t>() : 0;
  }
  return out;
}

void RevokeTest::SetUp() {
  CliTest::SetUp();
  ASSERT_TRUE(fs::exists(bin_path("sever-fake-provider")))
      << "no sever-fake-provider at " << bin_path("sever-fake-provider");
  ::setenv(kGithubSecretEnv, kGithubSecret, 1);  // the providers file names it
}

std::unique_ptr<FakeProvider> RevokeTest::start_fake(json providers) {
  json gh = {{"client_id", kGithubClientId}, {"client_secret", kGithubSecret}};
  if (providers.contains("github")) gh.update(providers["github"]);
  providers["github"] = gh;
  return std::make_unique<FakeProvider>(tmp().path(),
                                        json{{"seed", 7}, {"providers", providers}});
}

RevokeTest::Upstream RevokeTest::start_upstream(const std::map<std::string, json>& tools,
                                                json fake_config, const std::string& file) {
  Upstream u{start_fake(std::move(fake_config)), tmp() / file};
  if (u.fake->ok()) write_providers_file(u.providers, *u.fake, tools);
  return u;
}

RevokeTest::Upstream RevokeTest::init_with_upstream(const std::map<std::string, json>& tools,
                                                    json fake_config, const std::string& file) {
  init(store());
  return start_upstream(tools, std::move(fake_config), file);
}

RunResult RevokeTest::revoke(const Cli& c, std::vector<std::string> scope,
                             const std::string& providers, bool as_json,
                             std::chrono::milliseconds timeout) {
  std::vector<std::string> args = {"revoke"};
  args.insert(args.end(), scope.begin(), scope.end());
  for (const char* a : {"--reason", "itest: suspected breach"}) args.push_back(a);
  if (!providers.empty()) {
    args.push_back("--providers");
    args.push_back(providers);
  }
  args.push_back("--no-progress");
  if (as_json) {
    args.push_back("--format");
    args.push_back("json");
  }
  RunOptions o;
  o.timeout = timeout;
  return c.run(args, o);
}

json RevokeTest::job_show(const Cli& c, const std::string& id) {
  auto r = c.run({"jobs", "show", id, "--format", "json"});
  EXPECT_EQ(r.code, 0) << r.describe();
  return parse_json(r.out, "jobs show --format json");
}

json RevokeTest::job_list(const Cli& c) {
  auto r = c.run({"jobs", "list", "--format", "json"});
  EXPECT_EQ(r.code, 0) << r.describe();
  json j = parse_json(r.out, "jobs list --format json");
  EXPECT_TRUE(j.is_array()) << r.describe();
  return j;
}

std::unique_ptr<Store> RevokeTest::open_lib(const Cli& c) {
  StoreOptions o;
  o.data_dir = c.data;
  o.key_source = default_key_source(c.data);
  auto s = Store::Open(o);
  EXPECT_TRUE(s.ok()) << "Store::Open " << c.data << ": " << s.status().ToString();
  if (!s.ok()) return nullptr;
  return std::move(s).value();
}

void RevokeTest::expect_secret_erased(Store& s, const Cred& c) {
  auto rec = s.GetRecord(c.tenant, c.id);
  ASSERT_TRUE(rec.ok()) << key_of(c) << ": " << rec.status().ToString();
  EXPECT_TRUE(rec->sealed.empty()) << key_of(c) << " still holds a sealed secret";
  EXPECT_EQ(rec->state, State::revoked) << key_of(c);
}

void RevokeTest::expect_secret_kept(Store& s, const Cred& c) {
  auto rec = s.GetRecord(c.tenant, c.id);
  ASSERT_TRUE(rec.ok()) << key_of(c) << ": " << rec.status().ToString();
  ASSERT_FALSE(rec->sealed.empty()) << key_of(c) << ": secret erased, but it was not revoked";
  auto secret = s.OpenSealed(*rec);
  ASSERT_TRUE(secret.ok()) << key_of(c) << ": " << secret.status().ToString();
  EXPECT_EQ(std::string(secret->view()), c.secret) << key_of(c);
}

void RevokeTest::expect_get_refused(const Cli& c, const Cred& cred, const std::string& word) {
  auto r = c.run({"get", cred.tenant, cred.id});
  EXPECT_EQ(r.code, 3) << r.describe();
  EXPECT_EQ(r.out.find(cred.secret), std::string::npos) << "secret printed: " << r.describe();
  EXPECT_NE(r.err.find(word), std::string::npos) << "expected '" << word << "': " << r.describe();
}

void RevokeTest::expect_get_ok(const Cli& c, const Cred& cred) {
  auto r = c.run({"get", cred.tenant, cred.id});
  EXPECT_EQ(r.code, 0) << r.describe();
  EXPECT_EQ(r.out, cred.secret + "\n") << r.describe();
}

}  // namespace sever::itest

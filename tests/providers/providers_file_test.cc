// Tests of the providers file: a good file, overrides of the built-in catalog, and every error
// message (which names the file, the provider and the field, and never a secret).
#include "sever/providers/providers_file.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <thread>

#include "sever/providers/catalog.h"
#include "support/temp_dir.h"

namespace sever::providers {
namespace {

class ProvidersFile : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("SEVER_TEST_GH_SECRET", "gh-secret-value", 1);
    ::setenv("SEVER_TEST_EMPTY", "", 1);
    ::unsetenv("SEVER_TEST_UNSET");
  }

  static std::string error_of(std::string_view text) {
    Result<ProviderSet> r = parse_providers(text, "providers.json");
    EXPECT_FALSE(r.ok()) << text;
    if (r.ok()) return "";
    EXPECT_EQ(r.status().code(), Code::invalid_argument);
    return r.status().message();
  }
};

constexpr const char* kDesignExample = R"({"providers": {
  "github": {"adapter": "github", "base_url": "http://127.0.0.1:18080/github",
             "client_id": "Iv1.x", "client_secret_env": "SEVER_TEST_GH_SECRET",
             "rate_limit_per_s": 50, "max_concurrency": 64},
  "acme-sso": {"adapter": "rfc7009", "endpoint": "http://127.0.0.1:18080/acme/revoke"}}})";

TEST_F(ProvidersFile, LoadsTheDesignExample) {
  testing::TempDir dir;
  std::string path = dir / "providers.json";
  std::ofstream(path) << kDesignExample;
  Result<ProviderSet> r = load_providers(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ProviderSet& set = *r;
  EXPECT_EQ(set.source(), path);
  EXPECT_EQ(set.configured_tools(), (std::vector<std::string_view>{"acme-sso", "github"}));

  const ProviderConfig& gh = set.For("github");
  EXPECT_EQ(gh.name, "github");
  EXPECT_EQ(gh.adapter, "github");
  EXPECT_EQ(gh.base_url, "http://127.0.0.1:18080/github");
  EXPECT_EQ(gh.client_id, "Iv1.x");
  EXPECT_EQ(gh.client_secret_env, "SEVER_TEST_GH_SECRET");
  EXPECT_EQ(gh.client_secret.view(), "gh-secret-value");
  EXPECT_EQ(gh.rate_limit_per_s, 50);
  EXPECT_EQ(gh.max_concurrency, 64);
  EXPECT_EQ(gh.max_attempts, 8);
  EXPECT_EQ(gh.timeout_s, 10);

  const ProviderConfig& acme = set.For("acme-sso");
  EXPECT_EQ(acme.adapter, "rfc7009");
  EXPECT_EQ(acme.endpoint, "http://127.0.0.1:18080/acme/revoke");
  EXPECT_TRUE(acme.client_secret.empty());
  EXPECT_EQ(acme.rate_limit_per_s, 10);
}

TEST_F(ProvidersFile, ToolsNotInTheFileComeFromTheCatalog) {
  Result<ProviderSet> r = parse_providers(kDesignExample, "providers.json");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->For("gmail").adapter, "google");
  EXPECT_EQ(r->For("gmail").base_url, "https://oauth2.googleapis.com");
  EXPECT_EQ(r->For("workday").adapter, "manual");
  EXPECT_EQ(r->For("nobody-knows").adapter, "manual");
  EXPECT_EQ(r->For("nobody-knows").manual_action, kAddProviderAction);
  EXPECT_EQ(&r->For("gmail"), &r->For("gmail"));  // one stable entry per tool
}

TEST_F(ProvidersFile, EmptyPathIsTheBuiltinCatalog) {
  Result<ProviderSet> r = load_providers("");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->source(), "");
  EXPECT_TRUE(r->configured_tools().empty());
  EXPECT_EQ(r->For("github").base_url, "https://api.github.com");
  EXPECT_EQ(r->For("slack").rate_limit_per_s, 1);
}

TEST_F(ProvidersFile, AllOptionalFields) {
  Result<ProviderSet> r = parse_providers(R"({"providers": {"box": {
      "adapter": "box", "base_url": "https://box.internal.example", "client_id": "cid",
      "client_secret_env": "SEVER_TEST_GH_SECRET", "rate_limit_per_s": 2.5,
      "max_concurrency": 3, "max_attempts": 4, "timeout_s": 1.5}}})",
                                          "providers.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ProviderConfig& c = r->For("box");
  EXPECT_EQ(c.rate_limit_per_s, 2.5);
  EXPECT_EQ(c.max_concurrency, 3);
  EXPECT_EQ(c.max_attempts, 4);
  EXPECT_EQ(c.timeout_s, 1.5);
}

TEST_F(ProvidersFile, PartialOverrideKeepsTheBuiltinRest) {
  Result<ProviderSet> r =
      parse_providers(R"({"providers": {"slack": {"rate_limit_per_s": 0.5}}})", "p.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ProviderConfig& c = r->For("slack");
  EXPECT_EQ(c.adapter, "slack");
  EXPECT_EQ(c.base_url, "https://slack.com");
  EXPECT_EQ(c.rate_limit_per_s, 0.5);
  EXPECT_EQ(c.max_concurrency, 4);
}

TEST_F(ProvidersFile, BaseUrlAloneRedirectsABuiltinProvider) {
  Result<ProviderSet> r = parse_providers(
      R"({"providers": {"gmail": {"base_url": "http://127.0.0.1:18080/google"}}})", "p.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->For("gmail").adapter, "google");
  EXPECT_EQ(r->For("gmail").base_url, "http://127.0.0.1:18080/google");
  EXPECT_EQ(r->For("google_drive").base_url, "https://oauth2.googleapis.com");
}

TEST_F(ProvidersFile, ANewAdapterStartsFromItsOwnHost) {
  Result<ProviderSet> r = parse_providers(
      R"({"providers": {"gmail": {"adapter": "github-grant", "client_id": "c",
                                   "client_secret_env": "SEVER_TEST_GH_SECRET"},
                         "gitlab": {"adapter": "rfc7009",
                                    "endpoint": "https://gitlab.com/oauth/revoke"}}})",
      "p.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->For("gmail").base_url, "https://api.github.com");
  EXPECT_EQ(r->For("gitlab").adapter, "rfc7009");
  EXPECT_EQ(r->For("gitlab").manual_action, "");
}

TEST_F(ProvidersFile, ManualActionOverride) {
  Result<ProviderSet> r = parse_providers(
      R"({"providers": {"workday": {"manual_action": "ask the Workday admin on call"},
                         "legacy": {"adapter": "manual"}}})",
      "p.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->For("workday").adapter, "manual");
  EXPECT_EQ(r->For("workday").manual_action, "ask the Workday admin on call");
  EXPECT_EQ(r->For("legacy").manual_action, kAddProviderAction);
}

TEST_F(ProvidersFile, QuotaOverridesTheAdaptersModel) {
  Result<ProviderSet> r = parse_providers(
      R"({"providers": {"slack": {"quota": "client"}, "gmail": {"quota": "tenant"}}})", "p.json");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->For("slack").quota, QuotaScope::client);
  EXPECT_EQ(r->For("gmail").quota, QuotaScope::tenant);
  EXPECT_FALSE(r->For("github").quota.has_value());  // not in the file: the adapter decides
  EXPECT_EQ(error_of(R"({"providers": {"slack": {"quota": "workspace"}}})"),
            "providers.json: provider 'slack': quota must be \"client\" or \"tenant\", not "
            "'workspace'");
}

// ---- errors

TEST_F(ProvidersFile, UnknownField) {
  EXPECT_EQ(error_of(R"({"providers": {"github": {"rate": 5}}})"),
            "providers.json: provider 'github': unknown field 'rate'");
}

TEST_F(ProvidersFile, SecretEnvNotSet) {
  EXPECT_EQ(error_of(R"({"providers": {"github": {"client_id": "c",
                                                   "client_secret_env": "SEVER_TEST_UNSET"}}})"),
            "providers.json: provider 'github': client_secret_env SEVER_TEST_UNSET is not set");
  EXPECT_EQ(error_of(R"({"providers": {"github": {"client_id": "c",
                                                   "client_secret_env": "SEVER_TEST_EMPTY"}}})"),
            "providers.json: provider 'github': client_secret_env SEVER_TEST_EMPTY is not set");
}

TEST_F(ProvidersFile, InlineSecretIsRefusedAndNotEchoed) {
  std::string m = error_of(
      R"({"providers": {"github": {"client_id": "c", "client_secret": "hunter2-secret"}}})");
  EXPECT_EQ(m, "providers.json: provider 'github': inline client_secret is not allowed, use "
               "client_secret_env");
}

TEST_F(ProvidersFile, PlainHttpOnlyToLoopback) {
  EXPECT_EQ(error_of(R"({"providers": {"github": {"base_url": "http://10.0.0.1/github"}}})"),
            "providers.json: provider 'github': plain http is allowed only to loopback: "
            "http://10.0.0.1/github");
  EXPECT_EQ(error_of(R"({"providers": {"acme": {"adapter": "rfc7009",
                                                 "endpoint": "http://sso.acme.example/r"}}})"),
            "providers.json: provider 'acme': plain http is allowed only to loopback: "
            "http://sso.acme.example/r");
  EXPECT_EQ(error_of(R"({"providers": {"gmail": {"base_url": "file:///etc/passwd"}}})"),
            "providers.json: provider 'gmail': base_url must be an https:// URL: file:///etc/passwd");
}

TEST_F(ProvidersFile, UnknownAdapterListsTheKnownOnes) {
  std::string m = error_of(R"({"providers": {"github": {"adapter": "gihub"}}})");
  EXPECT_TRUE(m.starts_with("providers.json: provider 'github': unknown adapter 'gihub' (known: "
                            "asana, auth0, box, discord, dropbox, github, github-grant, google, "
                            "hubspot, linear, manual, notion, okta, rfc7009, salesforce, sentry, "
                            "slack, "))
      << m;
  EXPECT_NE(m.find("zoom"), std::string::npos);
  EXPECT_TRUE(m.ends_with(")"));
}

TEST_F(ProvidersFile, WhatTheAdapterNeedsIsCheckedAtLoad) {
  EXPECT_EQ(error_of(R"({"providers": {"github": {"base_url": "http://127.0.0.1:1/gh"}}})"),
            "providers.json: provider 'github': client_id is required (set client_id in the "
            "providers file)");
  EXPECT_EQ(error_of(R"({"providers": {"github": {"client_id": "c"}}})"),
            "providers.json: provider 'github': client_secret_env is required (the environment "
            "variable that holds the client secret)");
  EXPECT_EQ(error_of(R"({"providers": {"okta": {"client_id": "c"}}})"),
            "providers.json: provider 'okta': base_url is required (https://{org}.okta.com)");
  EXPECT_EQ(error_of(R"({"providers": {"acme": {"adapter": "rfc7009"}}})"),
            "providers.json: provider 'acme': endpoint is required (the full revocation URL) for "
            "the rfc7009 adapter");
}

TEST_F(ProvidersFile, AdapterIsRequiredForAToolWithoutOne) {
  EXPECT_EQ(error_of(R"({"providers": {"acme": {"endpoint": "https://sso.acme.example/r"}}})"),
            error_of(R"({"providers": {"acme": {"base_url": "https://sso.acme.example"}}})"));
  EXPECT_TRUE(error_of(R"({"providers": {"acme": {"endpoint": "https://sso.acme.example/r"}}})")
                  .starts_with("providers.json: provider 'acme': adapter is required (known: "));
}

TEST_F(ProvidersFile, FieldTypesAndRanges) {
  struct Case {
    const char* entry;
    const char* message;
  } cases[] = {
      {R"({"rate_limit_per_s": "fast"})", "rate_limit_per_s must be a number > 0 and <= 1000000"},
      {R"({"rate_limit_per_s": 0})", "rate_limit_per_s must be a number > 0 and <= 1000000"},
      {R"({"rate_limit_per_s": -1})", "rate_limit_per_s must be a number > 0 and <= 1000000"},
      {R"({"max_concurrency": 0})", "max_concurrency must be an integer from 1 to 100000"},
      {R"({"max_concurrency": 1.5})", "max_concurrency must be an integer from 1 to 100000"},
      {R"({"max_attempts": true})", "max_attempts must be an integer from 1 to 1000"},
      {R"({"timeout_s": 7200})", "timeout_s must be a number > 0 and <= 3600"},
      {R"({"base_url": 5})", "base_url must be a non-empty string"},
      {R"({"client_id": ""})", "client_id must be a non-empty string"},
      {R"({"manual_action": []})", "manual_action must be a non-empty string"},
      {R"({"adapter": 7})", "adapter must be a non-empty string (known: "},
      {R"("slack")", "must be an object"},
  };
  for (const Case& c : cases) {
    std::string m = error_of(std::string(R"({"providers": {"slack": )") + c.entry + "}}");
    EXPECT_TRUE(m.starts_with(std::string("providers.json: provider 'slack': ") + c.message))
        << c.entry << " -> " << m;
  }
}

TEST_F(ProvidersFile, DocumentShape) {
  EXPECT_EQ(error_of("[]"), "providers.json: must be a JSON object {\"providers\": {…}}");
  EXPECT_EQ(error_of("{}"), "providers.json: missing field 'providers'");
  EXPECT_EQ(error_of(R"({"providers": {}, "extra": 1})"), "providers.json: unknown field 'extra'");
  EXPECT_EQ(error_of(R"({"providers": []})"),
            "providers.json: 'providers' must be an object keyed by tool");
  EXPECT_EQ(error_of(R"({"providers": {"": {}}})"),
            "providers.json: a provider name must be 1-256 bytes");
}

TEST_F(ProvidersFile, InvalidJsonNamesThePlaceButNotTheText) {
  std::string m = error_of(R"({"providers": {"github": {"client_secret": "hunter2" oops}}})");
  EXPECT_TRUE(m.starts_with("providers.json: not valid JSON: parse error at line 1, column ")) << m;
  EXPECT_EQ(m.find("hunter2"), std::string::npos) << m;
  EXPECT_EQ(m.find("oops"), std::string::npos) << m;
}

TEST_F(ProvidersFile, MissingFileNamesThePath) {
  Result<ProviderSet> r = load_providers("/nonexistent/providers.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::invalid_argument);
  EXPECT_EQ(r.status().message(),
            "/nonexistent/providers.json: cannot read: No such file or directory");
}

TEST_F(ProvidersFile, ErrorsFromAFileNameIt) {
  testing::TempDir dir;
  std::string path = dir / "prov.json";
  std::ofstream(path) << R"({"providers": {"github": {"rate": 5}}})";
  Result<ProviderSet> r = load_providers(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), path + ": provider 'github': unknown field 'rate'");
}

TEST_F(ProvidersFile, ForIsSafeFromManyThreads) {
  Result<ProviderSet> r = parse_providers(kDesignExample, "providers.json");
  ASSERT_TRUE(r.ok());
  const ProviderSet& set = *r;
  std::vector<std::thread> threads;
  std::vector<std::set<const ProviderConfig*>> seen(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&set, &seen, t] {
      for (int i = 0; i < 500; ++i) {
        const ProviderConfig& c = set.For("tool-" + std::to_string(i % 50));
        if (c.adapter != "manual") std::abort();
        seen[t].insert(&c);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 1; t < 4; ++t) EXPECT_EQ(seen[t], seen[0]);  // the same 50 entries for everyone
  EXPECT_EQ(seen[0].size(), 50u);
}

TEST_F(ProvidersFile, MovedSetKeepsItsEntries) {
  Result<ProviderSet> r = parse_providers(kDesignExample, "providers.json");
  ASSERT_TRUE(r.ok());
  const ProviderConfig* before = &r->For("github");
  ProviderSet moved = std::move(r).value();
  EXPECT_EQ(&moved.For("github"), before);
  EXPECT_EQ(moved.For("github").client_secret.view(), "gh-secret-value");
}

}  // namespace
}  // namespace sever::providers

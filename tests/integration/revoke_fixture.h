// The fixture the `sever revoke` and `sever jobs` integration tests share (cli_revoke_*_test.cc,
// cli_jobs_test.cc): a store, the real `sever-fake-provider` with a providers file that points
// sever's adapters at it, credentials of the tools the fake serves, and the checks on jobs,
// reads and sealed secrets those tests make.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "integration/fake_provider.h"
#include "sever/store/store.h"

namespace sever::itest {

/// Returns "tenant/id" of a credential.
std::string key_of(const Cred& c);

/// Returns the fake's record of a token, or an empty object when the fake never saw it.
json record_of(const std::map<std::string, json>& record, const std::string& secret);

/// A credential of one of the tools the fake serves, with a random secret of that tool's shape
/// and the kind its provider's revocation API takes (HubSpot: refresh tokens; Slack: bot
/// tokens; GitHub: OAuth access tokens of the test's OAuth client).
Cred make_cred(std::mt19937_64& rng, const std::string& tenant, const std::string& id,
               const std::string& tool, const std::string& user);

/// Returns the item counts of a `jobs show --format json` document with every state present
/// (0 when absent): of the whole job, or of one tool's items.
std::map<std::string, uint64_t> item_counts(const json& show, const std::string& tool = "");

class RevokeTest : public CliTest {
 protected:
  /// A fake provider and the providers file that points sever's adapters at it.
  struct Upstream {
    std::unique_ptr<FakeProvider> fake;  // check fake->ok()
    std::string providers;               // the providers file's path
  };

  /// CliTest::SetUp, then checks the fake provider binary exists (fatal) and sets the GitHub
  /// client secret the providers file names.
  void SetUp() override;

  /// Starts a fake provider: `providers` is its per-provider config; GitHub always checks the
  /// test's OAuth client. Check ok() on the result.
  std::unique_ptr<FakeProvider> start_fake(json providers = json::object());

  /// Starts a fake provider with `fake_config` (start_fake) and, once it listens, writes
  /// tmp()/file pointing `tools` at it (write_providers_file). Check ok() on the fake.
  Upstream start_upstream(const std::map<std::string, json>& tools,
                          json fake_config = json::object(),
                          const std::string& file = "providers.json");

  /// Runs `sever init` for store(), then start_upstream(tools, fake_config, file).
  Upstream init_with_upstream(const std::map<std::string, json>& tools,
                              json fake_config = json::object(),
                              const std::string& file = "providers.json");

  /// Runs `sever revoke SCOPE --reason … --providers FILE --no-progress [--format json]`.
  RunResult revoke(const Cli& c, std::vector<std::string> scope, const std::string& providers,
                   bool as_json = true,
                   std::chrono::milliseconds timeout = std::chrono::seconds(60));

  /// `jobs show ID --format json`, parsed.
  static json job_show(const Cli& c, const std::string& id);
  /// `jobs list --format json`, parsed (an array, newest first).
  static json job_list(const Cli& c);

  /// Opens the store through the library (only while no sever process runs).
  static std::unique_ptr<Store> open_lib(const Cli& c);

  /// Expects the credential's sealed secret erased (revoked upstream: nothing left to leak).
  static void expect_secret_erased(Store& s, const Cred& c);
  /// Expects the credential's sealed secret kept, and still opening to the imported secret.
  static void expect_secret_kept(Store& s, const Cred& c);

  /// Expects `get` to refuse (exit 3, no secret on stdout) with `word` in the message.
  void expect_get_refused(const Cli& c, const Cred& cred, const std::string& word);
  /// Expects `get` to print the secret (exit 0).
  void expect_get_ok(const Cli& c, const Cred& cred);
};

}  // namespace sever::itest

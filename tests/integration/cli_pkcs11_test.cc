// Integration tests of the CLI with the master key in a PKCS#11 token (SoftHSM2): init, import,
// get, keys list, and a wrong key in the same token.
#include "integration/harness.h"
#include "support/softhsm.h"

namespace sever::itest {
namespace {

class Pkcs11CliTest : public CliTest {};

TEST_F(Pkcs11CliTest, StoreWithHsmKeyImportsGetsAndRefusesAnotherKey) {
  sever::testing::SoftHsmToken token;
  ASSERT_TRUE(token.ok()) << token.error();
  Cli a{tmp() / "a", token.spec("master-a")};

  auto r = a.run({"init"});
  SEVER_ASSERT_EXIT(r, 0);
  EXPECT_FALSE(fs::exists(a.key_file())) << "a pkcs11 store must not write a key file";
  EXPECT_NE(r.out.find("pkcs11:"), std::string::npos) << r.describe();
  EXPECT_EQ(r.out.find(token.pin()), std::string::npos) << "the PIN in the output";

  const std::vector<Cred> creds = {
      {"acme", "c1", "github", "oauth_access", "gho_hsm_one", {"repo"}, "alice"},
      {"acme", "c2", "slack", "bot_token", "xoxb-hsm-two", {}, "bob"},
      {"acme", "c3", "gmail", "oauth_refresh", "1//hsm-three", {}, "alice"},
      {"beta", "c4", "stripe", "api_key", "sk_hsm_four", {}, std::nullopt},
      {"beta", "c5", "notion", "oauth_access", "secret_hsm_five", {}, "carol"},
  };
  import(a, creds);
  for (const auto& c : creds) {
    auto g = a.run({"get", c.tenant, c.id});
    SEVER_EXPECT_EXIT(g, 0);
    EXPECT_EQ(g.out, c.secret + "\n");
  }
  EXPECT_EQ(count(a), 5);

  // keys list: one primary DEK per tenant, encryptions = credentials sealed with it.
  json keys = keys_json(a);
  ASSERT_EQ(keys.size(), 2u) << keys.dump(1);
  std::map<std::string, json> by_tenant;
  for (const auto& k : keys) by_tenant[k["tenant"].get<std::string>()] = k;
  ASSERT_TRUE(by_tenant.count("acme") && by_tenant.count("beta")) << keys.dump(1);
  for (const auto& [tenant, n] : std::vector<std::pair<std::string, int>>{{"acme", 3}, {"beta", 2}}) {
    const json& k = by_tenant[tenant];
    EXPECT_EQ(k["version"], 1) << k.dump();
    EXPECT_EQ(k["state"], "primary") << k.dump();
    EXPECT_EQ(k["encryptions"], n) << k.dump();
    EXPECT_FALSE(k.contains("key")) << k.dump();
    EXPECT_FALSE(k.contains("wrapped")) << k.dump();
  }
  auto ka = a.run({"keys", "list", "--tenant", "beta", "--format", "json"});
  SEVER_EXPECT_EXIT(ka, 0);
  json beta_keys = parse_json(ka.out);
  ASSERT_EQ(beta_keys.size(), 1u);
  EXPECT_EQ(beta_keys[0]["tenant"], "beta");

  auto v = a.run({"audit", "verify"});
  SEVER_EXPECT_EXIT(v, 0);
  EXPECT_EQ(v.out, "audit log intact: 9 entries\n");  // init, 2 dek.create, import, 5 reads

  // A second store creates a second key in the same token; that key must not open store A,
  // and trying must not write into A.
  Cli b{tmp() / "b", token.spec("master-b")};
  SEVER_ASSERT_EXIT(b.run({"init"}), 0);
  const DirSnapshot before = snapshot_dir(a.data);
  Cli a_with_b_key{a.data, token.spec("master-b")};
  for (const std::vector<std::string>& cmd :
       {std::vector<std::string>{"get", "acme", "c1"}, {"inventory", "--count"},
        {"keys", "list"}, {"audit", "verify"}}) {
    auto w = a_with_b_key.run(cmd);
    SEVER_EXPECT_EXIT(w, 3);
    EXPECT_NE(w.err.find("master key does not match this store"), std::string::npos)
        << w.describe();
    EXPECT_EQ(w.out.find("gho_hsm_one"), std::string::npos);
  }
  EXPECT_EQ(diff_snapshots(before, snapshot_dir(a.data)), "");

  // A label the token does not hold is not found (and creates nothing).
  Cli a_with_missing_key{a.data, token.spec("no-such-key")};
  auto m = a_with_missing_key.run({"inventory", "--count"});
  SEVER_EXPECT_EXIT(m, 2);
  EXPECT_EQ(diff_snapshots(before, snapshot_dir(a.data)), "");

  // A's key still opens A.
  auto g = a.run({"get", "beta", "c5"});
  SEVER_EXPECT_EXIT(g, 0);
  EXPECT_EQ(g.out, "secret_hsm_five\n");

  // A wrong PIN is not a success.
  RunOptions wrong_pin;
  wrong_pin.env.push_back({token.pin_env(), "0000"});
  auto p = a.run({"inventory", "--count"}, wrong_pin);
  EXPECT_NE(p.code, 0) << p.describe();
  EXPECT_EQ(p.out, "");
}

}  // namespace
}  // namespace sever::itest

// Integration tests of `sever init`, key files, the wrong master key and usage errors, run
// against the real binary.
#include "integration/harness.h"

namespace sever::itest {
namespace {

class InitTest : public CliTest {};

// A small valid import used by several tests.
std::vector<Cred> two_tenants() {
  return {
      {"acme", "c1", "github", "oauth_access", "gho_secret_one", {"repo:status"}, "alice@acme"},
      {"acme", "c2", "slack", "bot_token", "xoxb-secret-two", {"chat:write"}, "bob@acme"},
      {"beta", "c3", "stripe", "api_key", "sk_live_three", {}, std::nullopt},
  };
}

TEST_F(InitTest, CreatesDataDirAndKeyFileBesideIt) {
  auto r = store().run({"init"});
  SEVER_ASSERT_EXIT(r, 0);
  const std::string dir = store().data;
  const std::string key = store().key_file();
  ASSERT_TRUE(fs::is_directory(dir)) << r.describe();
  ASSERT_TRUE(fs::is_regular_file(key)) << "no key file beside the data directory: " << key;
  EXPECT_EQ(file_mode(key), 0600) << "key file mode";
  EXPECT_EQ(fs::file_size(key), 32u) << "a master key is 32 bytes";
  EXPECT_EQ(file_mode(dir), 0700) << "data directory mode";
  EXPECT_TRUE(fs::exists(fs::path(dir) / "CURRENT")) << "no RocksDB in the data directory";
  // The key is beside the directory, never inside it.
  for (const auto& f : files_under(dir)) {
    EXPECT_NE(f.filename().string(), "data.key") << f;
  }
  EXPECT_NE(r.out.find(dir), std::string::npos) << r.describe();
  EXPECT_NE(r.out.find("file:" + key), std::string::npos) << r.describe();
  // The new store opens: empty, with one audit entry (store.init).
  EXPECT_EQ(count(store()), 0);
  json audit = audit_json(store());
  ASSERT_EQ(audit.size(), 1u) << audit.dump(2);
  EXPECT_EQ(audit[0]["action"], "store.init");
  EXPECT_EQ(audit[0]["seq"], 1);
}

TEST_F(InitTest, TrailingSlashStillPutsKeyBesideTheDirectory) {
  Cli c{store().data + "/", std::nullopt};
  SEVER_ASSERT_EXIT(c.run({"init"}), 0);
  EXPECT_TRUE(fs::is_regular_file(store().data + ".key"));
  EXPECT_FALSE(fs::exists(store().data + "/.key"));
}

TEST_F(InitTest, SeverDataEnvironmentVariableIsTheDefaultDirectory) {
  RunOptions o;
  o.env.push_back({"SEVER_DATA", store().data});
  auto r = run_process({bin_path("sever"), "init"}, o);
  SEVER_ASSERT_EXIT(r, 0);
  EXPECT_TRUE(fs::exists(store().data + "/CURRENT"));
  EXPECT_EQ(file_mode(store().key_file()), 0600);
  auto c = run_process({bin_path("sever"), "inventory", "--count"}, o);
  SEVER_ASSERT_EXIT(c, 0);
  EXPECT_EQ(c.out, "0\n");
}

TEST_F(InitTest, InitOnNonEmptyDirectoryFailsAndCreatesNoKey) {
  fs::create_directories(store().data);
  write_file(store().data + "/notes.txt", "someone else's file\n");
  DirSnapshot before = snapshot_dir(store().data);
  auto r = store().run({"init"});
  SEVER_EXPECT_EXIT(r, 2);
  EXPECT_NE(r.err.find("not empty"), std::string::npos) << r.describe();
  EXPECT_FALSE(fs::exists(store().key_file())) << "init created a key file although it failed";
  EXPECT_EQ(diff_snapshots(before, snapshot_dir(store().data)), "");
}

TEST_F(InitTest, InitOverAnExistingStoreFailsAndKeepsItsKey) {
  init(store());
  import(store(), two_tenants());
  const std::string key_before = read_file(store().key_file()).value();
  auto r = store().run({"init"});
  SEVER_EXPECT_EXIT(r, 2);
  EXPECT_EQ(read_file(store().key_file()).value(), key_before) << "init replaced the master key";
  EXPECT_EQ(count(store()), 3);
  auto g = store().run({"get", "acme", "c1"});
  SEVER_EXPECT_EXIT(g, 0);
  EXPECT_EQ(g.out, "gho_secret_one\n");
}

TEST_F(InitTest, InitRefusesToReuseAnExistingKeyFile) {
  // A key file left beside a removed store must not be overwritten (it may still open a backup).
  write_file(store().key_file(), std::string(32, '\x5a'), 0600);
  auto r = store().run({"init"});
  SEVER_EXPECT_EXIT(r, 2);
  EXPECT_NE(r.err.find(store().key_file()), std::string::npos) << r.describe();
  EXPECT_EQ(read_file(store().key_file()).value(), std::string(32, '\x5a'));
  EXPECT_FALSE(fs::exists(store().data)) << "init made a data directory although it failed";
}

TEST_F(InitTest, InitUnderANewParentDirectoryIsNotAnInternalError) {
  // `--data NEW/PARENT/store init`: the data directory is made with its parents; the key file
  // beside it needs the same parent. Either both are made (exit 0) or it is refused as bad input
  // (exit 2) leaving nothing behind; exit 1 (internal error) is wrong either way.
  Cli c{tmp() / "new/parent/store", std::nullopt};
  auto r = c.run({"init"});
  if (r.code == 0) {
    EXPECT_TRUE(fs::exists(c.data + "/CURRENT")) << r.describe();
    EXPECT_EQ(file_mode(c.key_file()), 0600) << r.describe();
    EXPECT_EQ(count(c), 0);
  } else {
    SEVER_EXPECT_EXIT(r, 2);
    EXPECT_FALSE(fs::exists(c.data)) << r.describe();
    EXPECT_FALSE(fs::exists(c.key_file())) << r.describe();
  }
}

TEST_F(InitTest, OwnerOnlyReadOnlyKeyFileIsAccepted) {
  init(store());
  import(store(), two_tenants());
  ASSERT_EQ(::chmod(store().key_file().c_str(), 0400), 0);
  auto g = store().run({"get", "beta", "c3"});
  SEVER_EXPECT_EXIT(g, 0);
  EXPECT_EQ(g.out, "sk_live_three\n");
  // Group-readable (0640) is refused like world-readable.
  ASSERT_EQ(::chmod(store().key_file().c_str(), 0640), 0);
  auto r = store().run({"get", "beta", "c3"});
  SEVER_EXPECT_EXIT(r, 3);
  EXPECT_NE(r.err.find(store().key_file()), std::string::npos) << r.describe();
  EXPECT_EQ(r.out, "");
}

TEST_F(InitTest, KeyFileReadableByOthersIsRefusedAndNothingIsWritten) {
  init(store());
  import(store(), two_tenants());
  ASSERT_EQ(::chmod(store().key_file().c_str(), 0644), 0);
  DirSnapshot before = snapshot_dir(store().data);
  const std::string in = put_file("more.jsonl", jsonl({{"acme", "c9", "github", "pat",
                                                        "ghp_more", {}, std::nullopt}}));
  const std::vector<std::vector<std::string>> commands = {
      {"inventory", "--count"}, {"get", "acme", "c1"}, {"import", in},
      {"audit", "verify"},      {"keys", "list"},      {"report"}};
  for (const auto& cmd : commands) {
    auto r = store().run(cmd);
    SEVER_EXPECT_EXIT(r, 3);
    EXPECT_NE(r.err.find(store().key_file()), std::string::npos)
        << "the refusal must name the key file\n" << r.describe();
    EXPECT_EQ(r.out.find("gho_secret_one"), std::string::npos) << r.describe();
  }
  EXPECT_EQ(diff_snapshots(before, snapshot_dir(store().data)), "")
      << "a refused open wrote into the data directory";
  // Fixing the mode makes the store usable again, with nothing imported by the refused run.
  ASSERT_EQ(::chmod(store().key_file().c_str(), 0600), 0);
  EXPECT_EQ(count(store()), 3);
}

TEST_F(InitTest, WrongMasterKeyIsRefusedAndTheStoreIsByteForByteUnchanged) {
  Cli a = other("a");
  Cli b = other("b");
  init(a);
  init(b);
  import(a, two_tenants());
  const DirSnapshot before = snapshot_dir(a.data);
  ASSERT_FALSE(before.empty());

  Cli a_with_b_key{a.data, "file:" + b.key_file()};
  const std::string in = put_file("more.jsonl", jsonl({{"acme", "c9", "github", "pat",
                                                        "ghp_more", {}, std::nullopt}}));
  const std::vector<std::vector<std::string>> commands = {
      {"inventory", "--count"}, {"get", "acme", "c1"}, {"import", in},   {"audit", "verify"},
      {"audit", "tail"},        {"keys", "list"},      {"report"},       {"inventory"}};
  for (const auto& cmd : commands) {
    auto r = a_with_b_key.run(cmd);
    SEVER_EXPECT_EXIT(r, 3);
    EXPECT_NE(r.err.find("master key does not match this store"), std::string::npos)
        << r.describe();
    EXPECT_EQ(r.out.find("gho_secret_one"), std::string::npos) << r.describe();
  }
  // RocksDB must not have written anything: same files, same bytes, same mtimes.
  EXPECT_EQ(diff_snapshots(before, snapshot_dir(a.data)), "");

  // A's own key still opens A; B is untouched by all this.
  EXPECT_EQ(count(a), 3);
  EXPECT_EQ(count(b), 0);
  auto g = a.run({"get", "acme", "c1"});
  SEVER_EXPECT_EXIT(g, 0);
  EXPECT_EQ(g.out, "gho_secret_one\n");
}

TEST_F(InitTest, MissingKeyFileOrStoreIsAnError) {
  init(store());
  Cli nokey{store().data, "file:" + (tmp() / "absent.key")};
  auto r = nokey.run({"inventory", "--count"});
  EXPECT_NE(r.code, 0) << r.describe();
  EXPECT_NE(r.err.find("absent.key"), std::string::npos) << r.describe();

  // A key file of the wrong size is bad input, named.
  const std::string short_key = tmp() / "short.key";
  write_file(short_key, std::string(31, 'k'), 0600);
  Cli shortkey{store().data, "file:" + short_key};
  auto k = shortkey.run({"inventory", "--count"});
  SEVER_EXPECT_EXIT(k, 2);
  EXPECT_NE(k.err.find("short.key"), std::string::npos) << k.describe();

  Cli nostore = other("never-initialized");
  auto s = nostore.run({"inventory", "--count"});
  SEVER_EXPECT_EXIT(s, 2);
  EXPECT_NE(s.err.find("sever init"), std::string::npos) << s.describe();
  EXPECT_FALSE(fs::exists(nostore.data)) << "opening a missing store created it";
}

// ---- usage errors -------------------------------------------------------------------------

class UsageTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    init(store());
  }
};

TEST_F(UsageTest, UnknownSubcommandIsUsageError) {
  auto r = store().run({"frobnicate"});
  SEVER_EXPECT_EXIT(r, 2);
  EXPECT_FALSE(r.err.empty());
}

TEST_F(UsageTest, NoSubcommandIsUsageError) {
  auto r = run_process({bin_path("sever"), "--data", store().data});
  SEVER_EXPECT_EXIT(r, 2);
}

TEST_F(UsageTest, UnknownFlagIsUsageError) {
  SEVER_EXPECT_EXIT(store().run({"inventory", "--bogus"}), 2);
  SEVER_EXPECT_EXIT(store().run({"--bogus", "inventory"}), 2);
  SEVER_EXPECT_EXIT(store().run({"audit", "verify", "--bogus"}), 2);
}

TEST_F(UsageTest, GetWithoutArgumentsIsUsageError) {
  SEVER_EXPECT_EXIT(store().run({"get"}), 2);
  SEVER_EXPECT_EXIT(store().run({"get", "acme"}), 2);
  SEVER_EXPECT_EXIT(store().run({"get", "acme", "c1", "extra"}), 2);
}

TEST_F(UsageTest, BadOptionValuesAreUsageErrors) {
  auto r = store().run({"inventory", "--state", "bogus"});
  SEVER_EXPECT_EXIT(r, 2);
  EXPECT_NE(r.err.find("state"), std::string::npos) << r.describe();
  SEVER_EXPECT_EXIT(store().run({"inventory", "--format", "xml"}), 2);
  SEVER_EXPECT_EXIT(store().run({"inventory", "--dormant-days", "-3"}), 2);
  SEVER_EXPECT_EXIT(store().run({"inventory", "--dormant-days", "soon"}), 2);
  SEVER_EXPECT_EXIT(store().run({"report", "--format", "csv"}), 2);
  SEVER_EXPECT_EXIT(store().run({"audit"}), 2);
  SEVER_EXPECT_EXIT(store().run({"keys"}), 2);
  SEVER_EXPECT_EXIT(store().run({"import"}), 2);
  SEVER_EXPECT_EXIT(store().run({"audit", "tail", "-n", "-1"}), 2);
  SEVER_EXPECT_EXIT(store().run({"audit", "tail", "-n", "many"}), 2);
  SEVER_EXPECT_EXIT(store().run({"inventory", "--limit", "-5"}), 2);
  SEVER_EXPECT_EXIT(store().run({"report", "--top", "-1"}), 2);
  SEVER_EXPECT_EXIT(store().run({"keys", "list", "--format", "csv"}), 2);
}

TEST_F(UsageTest, UnknownKeySourceSchemeIsUsageError) {
  Cli c{store().data, "vault:secret/sever"};
  auto r = c.run({"inventory", "--count"});
  SEVER_EXPECT_EXIT(r, 2);
}

TEST_F(UsageTest, ImportOfMissingFileIsUsageError) {
  auto r = store().run({"import", tmp() / "no-such-file.jsonl"});
  SEVER_EXPECT_EXIT(r, 2);
  EXPECT_NE(r.err.find("no-such-file.jsonl"), std::string::npos) << r.describe();
}

TEST_F(UsageTest, HelpExitsZero) {
  auto r = run_process({bin_path("sever"), "--help"});
  SEVER_EXPECT_EXIT(r, 0);
  EXPECT_NE(r.out.find("inventory"), std::string::npos) << r.describe();
}

}  // namespace
}  // namespace sever::itest

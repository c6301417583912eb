// Integration tests of `sever rotate` (the real binary as a child process): DEK rotation and its
// jobs, kill -9 at several points of a rotation then resume, master-key rotation file to file,
// file to pkcs11 and pkcs11 to pkcs11, policy and exit codes.
#include "integration/harness.h"
#include "sever/store/store.h"
#include "support/softhsm.h"

namespace sever::itest {
namespace {

/// Runs the CLI with `env` until it writes `marker` to stderr, then kills it with SIGKILL (as a
/// crash would) and returns its exit code: 128 + 9 when it was killed at the marker, or the
/// code it exited with before writing it.
int run_until_then_kill(const Cli& cli, const std::vector<std::string>& args,
                        const RunOptions& env, const std::string& marker) {
  detail::ExecVectors exec(cli.argv(args), env);
  int err[2];
  if (::pipe2(err, O_CLOEXEC) != 0) return -1;
  const int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(err[1], 2);
    ::execve(exec.args()[0], exec.args(), exec.envp());
    ::_exit(127);
  }
  ::close(err[1]);
  ::close(devnull);
  std::string seen;
  char buf[4096];
  for (ssize_t n; seen.find(marker) == std::string::npos && (n = ::read(err[0], buf, sizeof buf)) > 0;) {
    seen.append(buf, static_cast<size_t>(n));
  }
  if (seen.find(marker) != std::string::npos) ::kill(pid, SIGKILL);
  ::close(err[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

class RotateCliTest : public CliTest {
 protected:
  // Imports `per` credentials into each of `tenants` tenants with random secrets.
  void Fill(int tenants, int per) {
    std::mt19937_64 rng(42);
    std::vector<Cred> creds;
    for (int t = 0; t < tenants; ++t) {
      for (int i = 0; i < per; ++i) {
        Cred c("t" + std::to_string(t), "c" + std::to_string(i), "github", "oauth_access",
               "gho_" + random_token(rng, 24), {"repo"}, "alice@example.com");
        secrets_[{c.tenant, c.id}] = c.secret;
        creds.push_back(std::move(c));
      }
    }
    import(store(), creds);
  }

  // Opens the store in this process (no sever process may run) and checks every credential:
  // it opens to its original secret, and the DEK version its record names is the tenant's
  // primary (so no record is left on a destroyed DEK); every other DEK is destroyed.
  void ExpectEverySecretOnThePrimary(const std::string& key_source = "") {
    StoreOptions o;
    o.data_dir = store().data;
    o.key_source = key_source.empty() ? default_key_source(o.data_dir) : key_source;
    auto s = Store::Open(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    std::map<std::string, uint32_t> primary;
    auto deks = (*s)->keyring().List("");
    ASSERT_TRUE(deks.ok());
    for (const auto& e : *deks) {
      if (e.state == DekState::primary) primary[e.tenant] = e.version;
      else EXPECT_EQ(e.state, DekState::destroyed) << e.tenant << " v" << e.version;
    }
    for (const auto& [key, secret] : secrets_) {
      auto rec = (*s)->GetRecord(key.first, key.second);
      ASSERT_TRUE(rec.ok()) << rec.status().ToString();
      EXPECT_EQ(rec->dek_version, primary[key.first]) << key.first << "/" << key.second;
      auto got = (*s)->GetSecret(key.first, key.second, "test");
      ASSERT_TRUE(got.ok()) << key.first << "/" << key.second << ": " << got.status().ToString();
      EXPECT_EQ(got->view(), secret) << key.first << "/" << key.second;
    }
  }

  const std::string& Secret(const std::string& tenant, const std::string& id) {
    return secrets_[{tenant, id}];
  }

  // Returns the wrapped DEKs the keys column family holds now (each entry ends with its
  // wrapped key: 61 bytes under a file master key).
  std::vector<std::string> WrappedDeks() {
    std::vector<std::string> out;
    RawDb db(store().data, true);
    EXPECT_TRUE(db.status().ok()) << db.status().ToString();
    std::unique_ptr<rocksdb::Iterator> it(db.db()->NewIterator({}, db.cf("keys")));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string v = it->value().ToString();
      if (v.size() > 61) out.push_back(v.substr(v.size() - 61));
    }
    return out;
  }

  // Returns how many of `blobs` some file of the data directory holds.
  size_t FoundInFiles(const std::vector<std::string>& blobs) {
    size_t found = 0;
    std::vector<std::string> files;
    for (const auto& p : files_under(store().data)) files.push_back(read_file(p).value_or(""));
    for (const auto& b : blobs) {
      found += std::any_of(files.begin(), files.end(),
                           [&](const std::string& f) { return f.find(b) != std::string::npos; });
    }
    return found;
  }

  json JobsJson() {
    auto r = store().run({"jobs", "list", "--format", "json"});
    EXPECT_EQ(r.code, 0) << r.describe();
    return parse_json(r.out);
  }

  std::map<std::pair<std::string, std::string>, std::string> secrets_;
};

TEST_F(RotateCliTest, RotateOneTenantReSealsItAndDestroysItsOldDek) {
  init(store());
  Fill(2, 30);
  auto r = store().run({"rotate", "dek", "--tenant", "t0", "--format", "json"});
  SEVER_ASSERT_EXIT(r, 0);
  json summary = parse_json(r.out);
  EXPECT_EQ(summary["state"], "done");
  EXPECT_EQ(summary["resealed"], 30);
  std::map<std::string, std::string> states;  // "tenant v" → state
  for (const auto& k : keys_json(store())) {
    states[k["tenant"].get<std::string>() + " v" + std::to_string(k["version"].get<int>())] =
        k["state"].get<std::string>();
  }
  EXPECT_EQ(states, (std::map<std::string, std::string>{
                        {"t0 v1", "destroyed"}, {"t0 v2", "primary"}, {"t1 v1", "primary"}}));
  auto g = store().run({"get", "t0", "c7"});
  SEVER_EXPECT_EXIT(g, 0);
  EXPECT_EQ(g.out, Secret("t0", "c7") + "\n");
  // The job is listed and shown like any other.
  json jobs = JobsJson();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0]["kind"], "rotate_dek");
  EXPECT_EQ(jobs[0]["state"], "done");
  EXPECT_EQ(jobs[0]["scope"], "dek tenant t0");
  const std::string id = summary["job"];
  EXPECT_EQ(id.substr(0, 2), "k-");
  auto show = store().run({"jobs", "show", id, "--format", "json"});
  SEVER_ASSERT_EXIT(show, 0);
  json shown = parse_json(show.out);
  EXPECT_EQ(shown["resealed"], 30);
  EXPECT_EQ(shown["shards"][0]["tenants"]["t0"], "done");
  // rotate status: versions and what is due.
  auto st = store().run({"rotate", "status", "--format", "json"});
  SEVER_ASSERT_EXIT(st, 0);
  json status = parse_json(st.out);
  ASSERT_EQ(status["tenants"].size(), 2u);
  EXPECT_EQ(status["tenants"][0]["primary"]["version"], 2);
  EXPECT_EQ(status["tenants"][0]["older"][0]["state"], "destroyed");
  EXPECT_EQ(status["due"], 0);
  // The audit chain holds the rotation, and still verifies.
  std::map<std::string, int> actions;
  for (const auto& e : audit_json(store())) ++actions[e["action"]];
  EXPECT_EQ(actions["rotate.begin"], 1);
  EXPECT_EQ(actions["dek.retire"], 1);
  EXPECT_EQ(actions["dek.destroy"], 1);
  EXPECT_EQ(actions["rotate.done"], 1);
  SEVER_EXPECT_EXIT(store().run({"audit", "verify"}), 0);
  ExpectEverySecretOnThePrimary();
}

TEST_F(RotateCliTest, AadStillBindsEachBlobToItsRowAfterARotation) {
  init(store());
  Fill(1, 3);
  SEVER_ASSERT_EXIT(store().run({"rotate", "dek", "--all"}), 0);
  {
    RawDb db(store().data);
    ASSERT_TRUE(db.status().ok()) << db.status().ToString();
    std::string one, two;
    ASSERT_TRUE(db.db()->Get({}, db.cf("creds"), std::string("t0\0c0", 5), &one).ok());
    ASSERT_TRUE(db.db()->Get({}, db.cf("creds"), std::string("t0\0c1", 5), &two).ok());
    ASSERT_EQ(one.size(), two.size());  // same metadata shape, same secret length
    ASSERT_TRUE(db.db()->Put({}, db.cf("creds"), std::string("t0\0c1", 5), one).ok());
  }
  auto g = store().run({"get", "t0", "c1"});
  EXPECT_NE(g.code, 0) << g.describe();
  EXPECT_EQ(g.out, "");
  SEVER_EXPECT_EXIT(store().run({"get", "t0", "c0"}), 0);
}

// Killed with SIGKILL at one point of a rotation, then resumed: nothing is lost.
class RotateKillTest : public RotateCliTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(RotateKillTest, KilledThenResumedEverySecretOpensAndNoRecordIsOnADestroyedDek) {
  init(store());
  Fill(5, 600);  // 3,000 credentials, several shards and many batches
  RunOptions pause;
  pause.env.push_back({"SEVER_TEST_ROTATE_PAUSE", std::string(GetParam())});
  // --max-rate 4000: batches of 200, so the run has many batches to be killed between.
  const std::vector<std::string> rotate = {"rotate", "dek", "--all", "--max-rate", "4000"};
  ASSERT_EQ(run_until_then_kill(store(), rotate, pause, "test pause at"), 128 + SIGKILL);
  json jobs = JobsJson();
  ASSERT_EQ(jobs.size(), 1u) << jobs.dump(1);
  EXPECT_EQ(jobs[0]["state"], "running");
  const std::string id = jobs[0]["id"];
  // Reads work while it is unfinished.
  auto g = store().run({"get", "t3", "c599"});
  SEVER_EXPECT_EXIT(g, 0);
  EXPECT_EQ(g.out, Secret("t3", "c599") + "\n");
  // Killed once more, part way through its resume.
  pause.env.back().second = "batch:2";
  ASSERT_EQ(run_until_then_kill(store(), {"jobs", "resume", id}, pause, "test pause at"),
            128 + SIGKILL);
  // The next rotate of the same scope resumes the same job to its end.
  auto r = store().run({"rotate", "dek", "--all", "--format", "json"});
  SEVER_ASSERT_EXIT(r, 0);
  EXPECT_EQ(parse_json(r.out)["job"], id);
  jobs = JobsJson();
  ASSERT_EQ(jobs.size(), 1u) << jobs.dump(1);
  EXPECT_EQ(jobs[0]["state"], "done");
  SEVER_EXPECT_EXIT(store().run({"audit", "verify"}), 0);
  ExpectEverySecretOnThePrimary();
  for (const auto& k : keys_json(store())) {
    EXPECT_EQ(k["state"], k["version"] == 1 ? "destroyed" : "primary") << k.dump();
  }
}

INSTANTIATE_TEST_SUITE_P(Points, RotateKillTest,
                         ::testing::Values("begun:1", "batch:1", "batch:4", "retired:1",
                                           "destroyed:1"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (c == ':') c = '_';
                           }
                           return n;
                         });

TEST_F(RotateCliTest, DueFollowsThePolicyFlags) {
  init(store());
  Fill(2, 5);
  auto r = store().run({"rotate", "dek", "--due"});
  SEVER_ASSERT_EXIT(r, 0);
  EXPECT_EQ(r.out, "nothing to rotate\n");
  EXPECT_TRUE(JobsJson().empty());
  auto st = store().run({"rotate", "status", "--max-encryptions", "5", "--format", "json"});
  SEVER_ASSERT_EXIT(st, 0);
  EXPECT_EQ(parse_json(st.out)["due"], 2);
  EXPECT_EQ(parse_json(st.out)["tenants"][1]["due"], "encryptions");
  SEVER_ASSERT_EXIT(store().run({"rotate", "dek", "--due", "--max-encryptions", "5"}), 0);
  for (const auto& k : keys_json(store())) {
    EXPECT_EQ(k["state"], k["version"] == 2 ? "primary" : "destroyed") << k.dump();
  }
  ExpectEverySecretOnThePrimary();
}

TEST_F(RotateCliTest, BadUsageAndUnknownTenantExitTwoAWrongKeyExitsThree) {
  init(store());
  Fill(1, 2);
  SEVER_EXPECT_EXIT(store().run({"rotate", "dek"}), 2);
  SEVER_EXPECT_EXIT(store().run({"rotate", "dek", "--all", "--tenant", "t0"}), 2);
  SEVER_EXPECT_EXIT(store().run({"rotate", "dek", "--tenant", "nobody"}), 2);
  SEVER_EXPECT_EXIT(store().run({"rotate", "master"}), 2);
  SEVER_EXPECT_EXIT(store().run({"rotate", "master", "--to", "file:" + store().key_file()}), 2);
  SEVER_EXPECT_EXIT(store().run({"rotate", "master", "--to", "vault:x"}), 2);
  SEVER_EXPECT_EXIT(store().run({"rotate", "master", "--to", "file:" + store().data + "/in.key"}), 2);
  EXPECT_FALSE(fs::exists(store().data + "/in.key"));
  Cli other = this->other("other");
  init(other);
  Cli wrong{store().data, "file:" + other.key_file()};
  SEVER_EXPECT_EXIT(wrong.run({"rotate", "dek", "--all"}), 3);
  SEVER_EXPECT_EXIT(wrong.run({"rotate", "master", "--to", "file:" + (tmp() / "x.key")}), 3);
  EXPECT_FALSE(fs::exists(tmp() / "x.key"));
}

TEST_F(RotateCliTest, MasterFileToFileThenTheOldKeyFileIsNotNeeded) {
  init(store());
  Fill(2, 10);
  const std::vector<std::string> first = WrappedDeks();  // t0 v1, t1 v1
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(FoundInFiles(first), 2u);
  SEVER_ASSERT_EXIT(store().run({"rotate", "dek", "--tenant", "t1"}), 0);  // a destroyed DEK too
  EXPECT_EQ(FoundInFiles({first[1]}), 0u) << "t1's destroyed DEK is still in the store's files";
  const std::vector<std::string> before = WrappedDeks();
  const std::string next = "file:" + (tmp() / "next.key");
  auto r = store().run({"rotate", "master", "--to", next, "--format", "json"});
  SEVER_ASSERT_EXIT(r, 0);
  json m = parse_json(r.out);
  EXPECT_EQ(m["to"], next);
  EXPECT_EQ(m["deks"], 2);  // t0 v1 and t1 v2; t1 v1 was destroyed
  EXPECT_EQ(file_mode(tmp() / "next.key"), 0600);
  EXPECT_EQ(FoundInFiles(before), 0u) << "DEKs wrapped under the old master key are still in "
                                         "the store's files";
  // With the old key file still there, the old spec is refused and names the new one.
  auto old = store().run({"get", "t0", "c1"});
  SEVER_EXPECT_EXIT(old, 3);
  EXPECT_NE(old.err.find("--key-source " + next), std::string::npos) << old.describe();
  ASSERT_TRUE(fs::remove(store().key_file()));
  old = store().run({"get", "t0", "c1"});
  EXPECT_NE(old.code, 0);
  EXPECT_NE(old.err.find("--key-source " + next), std::string::npos) << old.describe();
  Cli rotated{store().data, next};
  auto g = rotated.run({"get", "t0", "c1"});
  SEVER_EXPECT_EXIT(g, 0);
  EXPECT_EQ(g.out, Secret("t0", "c1") + "\n");
  SEVER_EXPECT_EXIT(rotated.run({"audit", "verify"}), 0);
  for (const auto& k : keys_json(rotated)) {
    EXPECT_EQ(k["kek_version"], k["state"] == "destroyed" ? 1 : 2) << k.dump();
  }
  ExpectEverySecretOnThePrimary(next);
}

TEST_F(RotateCliTest, MasterFileToPkcs11ThenToAnotherPkcs11Key) {
  sever::testing::SoftHsmToken token;
  ASSERT_TRUE(token.ok()) << token.error();
  init(store());
  Fill(2, 10);
  SEVER_ASSERT_EXIT(store().run({"rotate", "master", "--to", token.spec("k1")}), 0);
  ASSERT_TRUE(fs::remove(store().key_file()));
  Cli k1{store().data, token.spec("k1")};
  auto r = k1.run({"rotate", "master", "--to", token.spec("k2"), "--format", "json"});
  SEVER_ASSERT_EXIT(r, 0);
  EXPECT_EQ(r.out.find(token.pin()), std::string::npos) << "the PIN in the output";
  auto old = k1.run({"get", "t0", "c3"});
  SEVER_EXPECT_EXIT(old, 3);
  EXPECT_NE(old.err.find(token.spec("k2")), std::string::npos) << old.describe();
  Cli k2{store().data, token.spec("k2")};
  auto g = k2.run({"get", "t1", "c3"});
  SEVER_EXPECT_EXIT(g, 0);
  EXPECT_EQ(g.out, Secret("t1", "c3") + "\n");
  // DEK rotation works under the HSM key as well.
  SEVER_ASSERT_EXIT(k2.run({"rotate", "dek", "--all"}), 0);
  SEVER_EXPECT_EXIT(k2.run({"audit", "verify"}), 0);
  ExpectEverySecretOnThePrimary(token.spec("k2"));
}

}  // namespace
}  // namespace sever::itest

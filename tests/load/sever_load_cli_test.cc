// Tests of the sever-load command line: `gen` output and exit codes, and bench-revoke --repeat.
// Skipped when the binary has not been built.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#ifndef SEVER_BIN_DIR
#error "SEVER_BIN_DIR must name the directory of the built binaries"
#endif

namespace {

struct CliRun {
  int exit_code = -1;
  std::string out;  // stdout
};

std::string binary() { return std::string(SEVER_BIN_DIR) + "/sever-load"; }

/// Runs sever-load with args (a shell-quoted string), stderr discarded.
CliRun run(const std::string& args) {
  CliRun r;
  const std::string cmd = "'" + binary() + "' " + args + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class SeverLoadCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(binary().c_str(), X_OK) != 0) GTEST_SKIP() << binary() << " is not built";
  }
};

TEST_F(SeverLoadCli, GenWritesCountLinesDeterministically) {
  const CliRun a = run("gen --count 250 --seed 4 --now 2026-01-02T00:00:00Z");
  ASSERT_EQ(a.exit_code, 0);
  EXPECT_EQ(std::count(a.out.begin(), a.out.end(), '\n'), 250);
  EXPECT_EQ(a.out.rfind("{\"tenant\":\"t", 0), 0u);
  const CliRun b = run("gen --count 250 --seed 4 --now 2026-01-02T00:00:00Z --out -");
  EXPECT_EQ(a.out, b.out);
  const CliRun c = run("gen --count 250 --seed 5 --now 2026-01-02T00:00:00Z");
  EXPECT_NE(a.out, c.out);
}

TEST_F(SeverLoadCli, GenWritesToAFile) {
  char dir[] = "/tmp/sever-load-cli-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/out.jsonl";
  const CliRun r = run("gen --count 10 --tenants 3 --now 2026-01-02T00:00:00Z --out '" + path + "'");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(r.out.empty());
  FILE* f = fopen(path.c_str(), "r");
  ASSERT_NE(f, nullptr);
  int lines = 0;
  for (int ch; (ch = fgetc(f)) != EOF;) lines += ch == '\n';
  fclose(f);
  EXPECT_EQ(lines, 10);
  unlink(path.c_str());
  rmdir(dir);
}

TEST_F(SeverLoadCli, BadFlagsExitTwo) {
  for (const char* args :
       {"", "gen", "gen --count", "gen --count x", "gen --count -3", "gen --count 1.5",
        "gen --count 99999999999999999999999", "gen --count 3 --seed -1",
        "gen --count 3 --tenants 2000000", "gen --count 3 --now yesterday",
        "gen --count 3 --now 2026-13-01T00:00:00Z", "gen --count 3 --bogus", "nosuchcommand"}) {
    const CliRun r = run(args);
    EXPECT_EQ(r.exit_code, 2) << "sever-load " << args;
    EXPECT_TRUE(r.out.empty() || r.out.find("{\"tenant\"") == std::string::npos)
        << "sever-load " << args;
  }
}

TEST_F(SeverLoadCli, UnwritableOutputIsAnIoError) {
  const CliRun r = run("gen --count 3 --now 2026-01-02T00:00:00Z --out /nonexistent-dir/x.jsonl");
  EXPECT_EQ(r.exit_code, 1);
}

// Each pair's job runs on the store as it was before the first: on the same store instead, the
// second `revoke --all` would find every credential revoked already and send nothing.
TEST_F(SeverLoadCli, BenchRevokeRepeatRestoresTheStoreBeforeEachJob) {
  const CliRun r = run("bench-revoke --count 1500 --repeat 2 --curl-sample 20 --format json");
  ASSERT_EQ(r.exit_code, 0);
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  ASSERT_EQ(j["pairs"].size(), 2u);
  const uint64_t requests = j["unlimited"]["requests"];
  ASSERT_GT(requests, 0u);
  std::vector<double> ratios;
  for (const auto& p : j["pairs"]) {
    EXPECT_EQ(p["requests"].get<uint64_t>(), requests);
    EXPECT_EQ(p["revoked"].get<uint64_t>(), requests);  // the fake answers every one
    EXPECT_GT(p["bare_seconds"].get<double>(), 0);
    EXPECT_DOUBLE_EQ(p["ratio_to_bare"].get<double>(),
                     p["bare_seconds"].get<double>() / p["job_seconds"].get<double>());
    ratios.push_back(p["ratio_to_bare"]);
  }
  EXPECT_DOUBLE_EQ(j["ratio_to_bare_median"].get<double>(), (ratios[0] + ratios[1]) / 2);
  EXPECT_EQ(j["bare_curl_multi"]["requests"].get<uint64_t>(), requests);
}

TEST_F(SeverLoadCli, HelpExitsZero) {
  const CliRun r = run("gen --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--count"), std::string::npos);
}

}  // namespace

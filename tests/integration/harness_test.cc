// Tests of the integration harness itself: the child-process runner and the snapshots.
#include "integration/harness.h"

namespace sever::itest {
namespace {

TEST(HarnessTest, CapturesStdoutStderrAndExitCodeSeparately) {
  auto r = run_process({"/bin/sh", "-c", "printf out; printf err >&2; exit 7"});
  EXPECT_EQ(r.code, 7);
  EXPECT_EQ(r.out, "out");
  EXPECT_EQ(r.err, "err");
  EXPECT_FALSE(r.timed_out);
}

TEST(HarnessTest, FeedsStdinLargerThanAPipe) {
  RunOptions o;
  o.stdin_data = std::string(1 << 20, 'x') + "end";
  auto r = run_process({"/usr/bin/wc", "-c"}, o);
  EXPECT_EQ(r.code, 0) << r.describe();
  EXPECT_EQ(std::stoll(r.out), (1 << 20) + 3);
}

TEST(HarnessTest, ChildThatIgnoresStdinDoesNotHang) {
  RunOptions o;
  o.stdin_data = std::string(4 << 20, 'x');
  auto r = run_process({"/bin/true"}, o);
  EXPECT_EQ(r.code, 0) << r.describe();
}

TEST(HarnessTest, NoStdinMeansDevNull) {
  auto r = run_process({"/bin/cat"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "");
}

TEST(HarnessTest, EnvironmentIsInheritedAndAdjusted) {
  ::setenv("SEVER_ITEST_INHERITED", "yes", 1);
  ::setenv("SEVER_DATA", "/should/not/leak", 1);
  RunOptions o;
  o.env.push_back({"SEVER_ITEST_ADDED", "added"});
  o.env.push_back({"SEVER_ITEST_INHERITED2", std::nullopt});
  auto r = run_process(
      {"/bin/sh", "-c", "echo \"$SEVER_ITEST_INHERITED $SEVER_ITEST_ADDED ${SEVER_DATA-unset}\""}, o);
  ::unsetenv("SEVER_ITEST_INHERITED");
  ::unsetenv("SEVER_DATA");
  EXPECT_EQ(r.out, "yes added unset\n") << r.describe();
}

TEST(HarnessTest, TimeoutKillsTheChild) {
  RunOptions o;
  o.timeout = std::chrono::milliseconds(200);
  auto start = std::chrono::steady_clock::now();
  auto r = run_process({"/bin/sleep", "10"}, o);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.code, 128 + SIGKILL);
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(HarnessTest, MissingBinaryIsReported) {
  auto r = run_process({"/nonexistent/sever"});
  EXPECT_EQ(r.code, -1);
  EXPECT_NE(r.err.find("cannot execute"), std::string::npos) << r.err;
}

TEST(HarnessTest, WorkingDirectory) {
  TempDir d;
  RunOptions o;
  o.cwd = d.path();
  auto r = run_process({"/bin/pwd"}, o);
  EXPECT_EQ(r.out, fs::canonical(d.path()).string() + "\n");
}

TEST(HarnessTest, SnapshotSeesContentSizeAndNewFiles) {
  TempDir d;
  write_file(d / "a", "one");
  DirSnapshot s1 = snapshot_dir(d.path());
  EXPECT_EQ(diff_snapshots(s1, snapshot_dir(d.path())), "");
  write_file(d / "a", "two");  // same size, new bytes
  write_file(d / "b", "");
  std::string diff = diff_snapshots(s1, snapshot_dir(d.path()));
  EXPECT_NE(diff.find("content changed: a"), std::string::npos) << diff;
  EXPECT_NE(diff.find("added: b"), std::string::npos) << diff;
}

TEST(HarnessTest, TempDirIsRemoved) {
  std::string p;
  {
    TempDir d;
    p = d.path();
    fs::create_directories(p + "/x/y");
    write_file(p + "/x/y/z", "data");
  }
  EXPECT_FALSE(fs::exists(p));
}

}  // namespace
}  // namespace sever::itest

// Integration-test harness: runs the real `sever` binary as a child process in a fresh temporary
// directory per test, and inspects what it leaves on disk. Declarations only: child processes
// are in harness_process.cc, everything else in harness.cc.
//
//   sever::itest::CliTest fixture: tmp() is a fresh directory (removed afterwards), store() a
//   Cli bound to tmp()/data with the default key source (tmp()/data.key).
//   Cli::run({"inventory", "--count"}) → RunResult{code, out, err, timed_out}.
//
// The child inherits the test's environment except SEVER_DATA, SEVER_KEY_SOURCE and
// SEVER_OPERATOR, which are removed so that only the flags a test passes decide; RunOptions::env
// adds or removes variables per run.
//
// Also here: DirSnapshot (every file's bytes, size, mode and mtime, to prove nothing was
// written), Cred/jsonl (import lines), RawDb (the store's RocksDB opened directly, with the
// "sever.u64add" merge operator its dek_counters column family needs; only while no sever
// process runs) and index_problems (by_tool/by_user entries compared with the records).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <rocksdb/db.h>

#include "support/temp_dir.h"

namespace sever::itest {

namespace fs = std::filesystem;
using nlohmann::json;

// ------------------------------------------------------------------------------------------
// Child processes (harness_process.cc)

/// What a child process did.
struct RunResult {
  int code = -1;           // exit status; 128 + signal when killed by a signal; -1: not run
  std::string out;         // everything it wrote to stdout
  std::string err;         // everything it wrote to stderr
  bool timed_out = false;  // killed by the harness after RunOptions::timeout
  std::string command;     // the argv, joined, for messages

  /// Returns a description for assertion messages: the command, the exit (and whether it timed
  /// out), and stdout and stderr clipped to 4000 bytes each.
  std::string describe() const;
};

/// How to run a child process.
struct RunOptions {
  std::optional<std::string> stdin_data;  // nullopt: stdin is /dev/null
  /// Environment changes: name → value, or nullopt to remove the variable.
  std::vector<std::pair<std::string, std::optional<std::string>>> env;
  std::chrono::milliseconds timeout{30000};
  std::string cwd;  // empty: the test's working directory
};

namespace detail {

/// The argv and envp arrays of a child, prepared before fork (no allocation after it). Not
/// movable: the char pointers point into its own strings.
class ExecVectors {
 public:
  /// Copies argv, and builds the child's environment: the test's own without SEVER_DATA,
  /// SEVER_KEY_SOURCE and SEVER_OPERATOR, then o.env's additions and removals.
  ExecVectors(const std::vector<std::string>& argv, const RunOptions& o);
  ExecVectors(const ExecVectors&) = delete;
  ExecVectors& operator=(const ExecVectors&) = delete;
  /// Returns the NULL-terminated argv for execve.
  char** args() { return args_.data(); }
  /// Returns the NULL-terminated envp for execve.
  char** envp() { return envp_.data(); }

 private:
  std::vector<std::string> env_strings_, arg_strings_;
  std::vector<char*> envp_, args_;
};

}  // namespace detail

/// Runs argv[0] (a path) with the arguments; captures stdout and stderr separately, feeds
/// stdin_data, kills the child with SIGKILL after the timeout. Never throws.
RunResult run_process(const std::vector<std::string>& argv, const RunOptions& o = {});

// ------------------------------------------------------------------------------------------
// Files (harness.cc)

/// Returns SEVER_BIN_DIR/name.
std::string bin_path(const std::string& name);

/// Returns a file's bytes, or nullopt if it cannot be read.
std::optional<std::string> read_file(const fs::path& p);

/// Writes bytes to a file (truncating), with the given mode; a fatal test failure when the
/// write fails.
void write_file(const fs::path& p, const std::string& content, mode_t mode = 0644);

/// Returns the permission bits of a path, or -1.
int file_mode(const fs::path& p);

/// A fresh private temporary directory, removed (recursively) when destroyed.
class TempDir : public sever::testing::TempDir {
 public:
  explicit TempDir(const std::string& prefix = "sever-itest-") : sever::testing::TempDir(prefix) {}
};

/// One file's state in a directory snapshot.
struct FileState {
  bool is_dir = false;
  uintmax_t size = 0;
  int64_t mtime_ns = 0;
  int mode = 0;
  std::string content;  // regular files: every byte
  bool operator==(const FileState&) const = default;
};

/// Every entry under a directory (recursively), by relative path, with its bytes.
using DirSnapshot = std::map<std::string, FileState>;

/// Returns every entry under `dir` (recursively, symlinks not followed): type, size (0 for a
/// directory), mtime, mode and, for regular files, every byte.
DirSnapshot snapshot_dir(const fs::path& dir);

/// Describes how two snapshots differ ("" when equal).
std::string diff_snapshots(const DirSnapshot& before, const DirSnapshot& after);

/// Lists every regular file under a directory (recursively).
std::vector<fs::path> files_under(const fs::path& dir);

// ------------------------------------------------------------------------------------------
// Credentials and JSONL (harness.cc)

/// Formats Unix seconds as RFC 3339 UTC ("2026-01-02T03:04:05Z").
std::string rfc3339(int64_t t);

/// Returns the current Unix time.
int64_t now_unix();

/// One credential as an import line is built from.
struct Cred {
  std::string tenant, id, tool, kind = "oauth_access", secret;
  std::vector<std::string> scopes;
  std::optional<std::string> user;
  std::string created_at = "2026-01-02T03:04:05Z";
  std::optional<std::string> last_used_at, expires_at;
  std::optional<std::string> client;

  Cred() = default;
  /// Sets every field, in declaration order.
  Cred(std::string tenant_, std::string id_, std::string tool_, std::string kind_,
       std::string secret_, std::vector<std::string> scopes_ = {},
       std::optional<std::string> user_ = std::nullopt,
       std::string created_at_ = "2026-01-02T03:04:05Z",
       std::optional<std::string> last_used_at_ = std::nullopt,
       std::optional<std::string> expires_at_ = std::nullopt,
       std::optional<std::string> client_ = std::nullopt);

  /// The import object: user, last_used_at and expires_at are null when unset; client is left
  /// out when unset.
  json to_json() const;
  /// The import line (no newline).
  std::string line() const;
};

/// Joins import lines, each followed by '\n'.
std::string jsonl(const std::vector<Cred>& creds);

/// Returns a random string of `n` characters from [A-Za-z0-9].
std::string random_token(std::mt19937_64& rng, size_t n);

/// Parses JSON, recording a test failure (and returning null) when it does not parse.
json parse_json(const std::string& text, const std::string& what = "output");

// ------------------------------------------------------------------------------------------
// The store's database, directly (harness.cc)

// The store's RocksDB opened directly with every column family: for tampering, and for
// checking the indexes against the records. Only while no sever process runs.
class RawDb {
 public:
  /// Opens every column family of the database in `dir` (dek_counters with the store's
  /// "sever.u64add" merge operator); check status().
  explicit RawDb(const std::string& dir, bool read_only = false);
  /// Closes the database.
  ~RawDb();
  /// Closes the database (idempotent).
  void Close();
  /// Returns how the open went.
  const rocksdb::Status& status() const { return status_; }
  /// Returns the open database, nullptr when it did not open.
  rocksdb::DB* db() { return db_.get(); }
  /// Returns the handle of the column family `name`, nullptr when there is none.
  rocksdb::ColumnFamilyHandle* cf(const std::string& name);

 private:
  rocksdb::Status status_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<std::string> names_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

/// Returns every key of a column family, as (part, part, part) split at NULs.
std::set<std::vector<std::string>> raw_keys(RawDb& db, const std::string& cf);

/// Compares the store's by_tool and by_user index column families, read directly, with the
/// records as `inventory --format json` lists them (a full scan of the records). Returns the
/// differences ("" when every record has exactly its index entries and no entry is stale).
std::string index_problems(const std::string& data_dir, const json& records);

// ------------------------------------------------------------------------------------------
// The sever CLI (harness.cc)

/// The `sever` binary bound to a data directory and, optionally, a --key-source spec.
struct Cli {
  std::string data;
  std::optional<std::string> key_source;  // nullopt: the default (file:DATA.key)

  /// Returns the default key file of the store: DATA.key.
  std::string key_file() const;
  /// Returns the full argv: sever --data DATA [--key-source SPEC] ARGS...
  std::vector<std::string> argv(const std::vector<std::string>& args) const;
  /// Runs sever with the arguments (run_process).
  RunResult run(const std::vector<std::string>& args, const RunOptions& o = {}) const;
  /// Runs with `input` on stdin.
  RunResult run_stdin(const std::vector<std::string>& args, std::string input) const;
};

/// Asserts (fatal) that a run exited with `code`, printing the run otherwise.
#define SEVER_ASSERT_EXIT(result, expected)                                        \
  do {                                                                             \
    const ::sever::itest::RunResult& _r = (result);                                \
    ASSERT_EQ(_r.code, (expected)) << _r.describe();                               \
  } while (0)
#define SEVER_EXPECT_EXIT(result, expected)                                        \
  do {                                                                             \
    const ::sever::itest::RunResult& _r = (result);                                \
    EXPECT_EQ(_r.code, (expected)) << _r.describe();                               \
  } while (0)

/// Base fixture: a fresh temporary directory per test and a store bound to tmp/data.
class CliTest : public ::testing::Test {
 protected:
  /// Checks the temporary directory and the sever binary exist (fatal), binds store() to
  /// tmp()/data.
  void SetUp() override;

  /// Returns the test's temporary directory.
  const TempDir& tmp() const { return tmp_; }
  /// Returns the Cli bound to tmp()/data.
  Cli& store() { return store_; }
  /// A Cli for another data directory under tmp().
  Cli other(const std::string& name) const;

  /// Runs `sever init` for the store (fatal on failure).
  static void init(const Cli& c);
  /// Writes `content` to tmp()/name and returns its path.
  std::string put_file(const std::string& name, const std::string& content);
  /// Imports the credentials from a file (fatal on failure).
  void import(const Cli& c, const std::vector<Cred>& creds, bool upsert = false);
  /// Returns `inventory --count` (fatal on failure; -1 then).
  static int64_t count(const Cli& c, std::vector<std::string> filters = {});
  /// Returns `inventory --format json [filters]` parsed (an array).
  static json inventory_json(const Cli& c, std::vector<std::string> filters = {});
  /// Returns the whole audit log via `audit tail --format json` (an array, oldest first).
  static json audit_json(const Cli& c);
  /// Returns `keys list --format json` parsed (an array).
  static json keys_json(const Cli& c);
  /// Copies a closed store (data directory and its default key file) to another directory.
  static void copy_store(const Cli& from, const Cli& to);
  /// Checks the store's index column families against its records (read directly).
  static void expect_indexes_agree(const Cli& c);
  /// Returns the ids ("tenant/id") of an inventory JSON array, in order.
  static std::vector<std::string> ids_of(const json& rows);

 private:
  TempDir tmp_;
  Cli store_;
  int imports_ = 0;
};

}  // namespace sever::itest

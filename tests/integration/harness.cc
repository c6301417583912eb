// The integration harness: files and snapshots, credentials and JSONL, the store's database
// read directly, and the sever CLI and its fixture. See harness.h.
#include "integration/harness.h"

#include <sys/stat.h>
#include <time.h>

#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include <rocksdb/merge_operator.h>

#ifndef SEVER_BIN_DIR
#error "SEVER_BIN_DIR must name the directory of the built sever binaries"
#endif

namespace sever::itest {

// ------------------------------------------------------------------------------------------
// Files

std::string bin_path(const std::string& name) { return std::string(SEVER_BIN_DIR) + "/" + name; }

std::optional<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, const std::string& content, mode_t mode) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  ASSERT_TRUE(out.good()) << "cannot write " << p;
  ::chmod(p.c_str(), mode);
}

int file_mode(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

DirSnapshot snapshot_dir(const fs::path& dir) {
  DirSnapshot snap;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    FileState f;
    f.is_dir = S_ISDIR(st.st_mode);
    f.size = static_cast<uintmax_t>(st.st_size);
    f.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    f.mode = static_cast<int>(st.st_mode & 07777);
    if (S_ISREG(st.st_mode)) f.content = read_file(it->path()).value_or("<unreadable>");
    if (f.is_dir) f.size = 0;  // a directory's size says nothing about its entries
    snap[fs::relative(it->path(), dir).string()] = std::move(f);
  }
  return snap;
}

std::string diff_snapshots(const DirSnapshot& before, const DirSnapshot& after) {
  std::string d;
  for (const auto& [p, f] : before) {
    auto it = after.find(p);
    if (it == after.end()) {
      d += "removed: " + p + "\n";
      continue;
    }
    const FileState& g = it->second;
    if (f.size != g.size) d += "size changed: " + p + " " + std::to_string(f.size) + " -> " +
                               std::to_string(g.size) + "\n";
    else if (f.content != g.content) d += "content changed: " + p + "\n";
    if (f.mtime_ns != g.mtime_ns) d += "mtime changed: " + p + "\n";
    if (f.mode != g.mode) d += "mode changed: " + p + "\n";
  }
  for (const auto& [p, g] : after) {
    if (!before.count(p)) d += "added: " + p + " (" + std::to_string(g.size) + " bytes)\n";
  }
  return d;
}

std::vector<fs::path> files_under(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file()) out.push_back(it->path());
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// Credentials and JSONL

std::string rfc3339(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  ::gmtime_r(&tt, &tm);
  char b[32];
  std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return b;
}

int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Cred::Cred(std::string tenant_, std::string id_, std::string tool_, std::string kind_,
           std::string secret_, std::vector<std::string> scopes_, std::optional<std::string> user_,
           std::string created_at_, std::optional<std::string> last_used_at_,
           std::optional<std::string> expires_at_, std::optional<std::string> client_)
    : tenant(std::move(tenant_)), id(std::move(id_)), tool(std::move(tool_)),
      kind(std::move(kind_)), secret(std::move(secret_)), scopes(std::move(scopes_)),
      user(std::move(user_)), created_at(std::move(created_at_)),
      last_used_at(std::move(last_used_at_)), expires_at(std::move(expires_at_)),
      client(std::move(client_)) {}
json Cred::to_json() const {
  json j = {{"tenant", tenant}, {"id", id}, {"tool", tool}, {"kind", kind},
            {"secret", secret}, {"scopes", scopes}, {"created_at", created_at}};
  j["user"] = user ? json(*user) : json(nullptr);
  j["last_used_at"] = last_used_at ? json(*last_used_at) : json(nullptr);
  j["expires_at"] = expires_at ? json(*expires_at) : json(nullptr);
  if (client) j["client"] = *client;
  return j;
}

std::string Cred::line() const { return to_json().dump(); }

std::string jsonl(const std::vector<Cred>& creds) {
  std::string s;
  for (const auto& c : creds) s += c.line() + "\n";
  return s;
}

std::string random_token(std::mt19937_64& rng, size_t n) {
  static const char kAlpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::uniform_int_distribution<size_t> d(0, sizeof kAlpha - 2);
  std::string s(n, ' ');
  for (auto& ch : s) ch = kAlpha[d(rng)];
  return s;
}

json parse_json(const std::string& text, const std::string& what) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) ADD_FAILURE() << what << " is not valid JSON:\n" << text.substr(0, 2000);
  return j;
}

// ------------------------------------------------------------------------------------------
// The store's database, directly

namespace {

// The DEK counters' merge operator: the store refuses to open a column family that has merge
// operands without one of the same name.
class U64Add : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger*) const override {
    auto le = [](const rocksdb::Slice& s) {
      uint64_t x = 0;
      if (s.size() == 8) std::memcpy(&x, s.data(), 8);
      return x;
    };
    uint64_t sum = (existing ? le(*existing) : 0) + le(value);
    new_value->assign(reinterpret_cast<const char*>(&sum), 8);
    return true;
  }
  const char* Name() const override { return "sever.u64add"; }
};

}  // namespace

RawDb::RawDb(const std::string& dir, bool read_only) {
  std::vector<std::string> names;
  status_ = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &names);
  if (!status_.ok()) return;
  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  for (const auto& n : names) {
    rocksdb::ColumnFamilyOptions o;
    o.compression = rocksdb::kNoCompression;
    if (n == "dek_counters") o.merge_operator = std::make_shared<U64Add>();
    descs.emplace_back(n, o);
  }
  rocksdb::DB* db = nullptr;
  status_ = read_only
                ? rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), dir, descs, &handles_, &db)
                : rocksdb::DB::Open(rocksdb::DBOptions(), dir, descs, &handles_, &db);
  db_.reset(db);
  names_ = names;
}

RawDb::~RawDb() { Close(); }

void RawDb::Close() {
  if (!db_) return;
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
  handles_.clear();
  db_->Close();
  db_.reset();
}

rocksdb::ColumnFamilyHandle* RawDb::cf(const std::string& name) {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return handles_[i];
  }
  return nullptr;
}

std::set<std::vector<std::string>> raw_keys(RawDb& db, const std::string& cf) {
  std::set<std::vector<std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(db.db()->NewIterator(rocksdb::ReadOptions(), db.cf(cf)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::vector<std::string> parts(1);
    for (char ch : it->key().ToStringView()) {
      if (ch == '\0') parts.emplace_back();
      else parts.back().push_back(ch);
    }
    out.insert(parts);
  }
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return out;
}

std::string index_problems(const std::string& data_dir, const json& records) {
  std::set<std::vector<std::string>> want_tool, want_user;
  for (const auto& r : records) {
    const std::string t = r["tenant"], id = r["id"], tool = r["tool"];
    want_tool.insert({tool, t, id});
    if (r["user"].is_string() && !r["user"].get<std::string>().empty()) {
      want_user.insert({t, r["user"].get<std::string>(), id});
    }
  }
  RawDb db(data_dir, true);
  if (!db.status().ok()) return "cannot open " + data_dir + ": " + db.status().ToString();
  if (!db.cf("by_tool") || !db.cf("by_user")) return "no by_tool or by_user column family";
  std::string problems;
  auto compare = [&](const char* cf, const std::set<std::vector<std::string>>& want) {
    auto have = raw_keys(db, cf);
    auto show = [](const std::vector<std::string>& k) {
      std::string s;
      for (const auto& p : k) s += (s.empty() ? "" : "\\0") + p;
      return s;
    };
    size_t shown = 0;
    for (const auto& k : have) {
      if (!want.count(k) && shown++ < 10) problems += std::string(cf) + " stale: " + show(k) + "\n";
    }
    for (const auto& k : want) {
      if (!have.count(k) && shown++ < 10) problems += std::string(cf) + " missing: " + show(k) + "\n";
    }
    if (have.size() != want.size()) {
      problems += std::string(cf) + ": " + std::to_string(have.size()) + " entries for " +
                  std::to_string(want.size()) + " records\n";
    }
  };
  compare("by_tool", want_tool);
  compare("by_user", want_user);
  return problems;
}

// ------------------------------------------------------------------------------------------
// The sever CLI

std::string Cli::key_file() const { return data + ".key"; }

std::vector<std::string> Cli::argv(const std::vector<std::string>& args) const {
  std::vector<std::string> a = {bin_path("sever"), "--data", data};
  if (key_source) {
    a.push_back("--key-source");
    a.push_back(*key_source);
  }
  a.insert(a.end(), args.begin(), args.end());
  return a;
}

RunResult Cli::run(const std::vector<std::string>& args, const RunOptions& o) const {
  return run_process(argv(args), o);
}

RunResult Cli::run_stdin(const std::vector<std::string>& args, std::string input) const {
  RunOptions o;
  o.stdin_data = std::move(input);
  return run(args, o);
}

void CliTest::SetUp() {
  ASSERT_FALSE(tmp_.path().empty()) << "cannot create a temporary directory";
  ASSERT_TRUE(fs::exists(bin_path("sever"))) << "no sever binary at " << bin_path("sever");
  store_.data = tmp_ / "data";
}

Cli CliTest::other(const std::string& name) const { return Cli{tmp_ / name, std::nullopt}; }

void CliTest::init(const Cli& c) {
  auto r = c.run({"init"});
  SEVER_ASSERT_EXIT(r, 0);
}

std::string CliTest::put_file(const std::string& name, const std::string& content) {
  std::string p = tmp_ / name;
  write_file(p, content);
  return p;
}

void CliTest::import(const Cli& c, const std::vector<Cred>& creds, bool upsert) {
  std::string p = put_file("import-" + std::to_string(++imports_) + ".jsonl", jsonl(creds));
  std::vector<std::string> args = {"import", p};
  if (upsert) args.push_back("--upsert");
  auto r = c.run(args);
  SEVER_ASSERT_EXIT(r, 0);
}

int64_t CliTest::count(const Cli& c, std::vector<std::string> filters) {
  std::vector<std::string> args = {"inventory", "--count"};
  args.insert(args.end(), filters.begin(), filters.end());
  auto r = c.run(args);
  EXPECT_EQ(r.code, 0) << r.describe();
  if (r.code != 0) return -1;
  return std::stoll(r.out);
}

json CliTest::inventory_json(const Cli& c, std::vector<std::string> filters) {
  std::vector<std::string> args = {"inventory", "--format", "json"};
  args.insert(args.end(), filters.begin(), filters.end());
  auto r = c.run(args);
  EXPECT_EQ(r.code, 0) << r.describe();
  json j = parse_json(r.out, "inventory --format json");
  EXPECT_TRUE(j.is_array()) << r.describe();
  return j;
}

json CliTest::audit_json(const Cli& c) {
  auto r = c.run({"audit", "tail", "-n", "100000000", "--format", "json"});
  EXPECT_EQ(r.code, 0) << r.describe();
  json j = parse_json(r.out, "audit tail --format json");
  EXPECT_TRUE(j.is_array()) << r.describe();
  return j;
}

json CliTest::keys_json(const Cli& c) {
  auto r = c.run({"keys", "list", "--format", "json"});
  EXPECT_EQ(r.code, 0) << r.describe();
  json j = parse_json(r.out, "keys list --format json");
  EXPECT_TRUE(j.is_array()) << r.describe();
  return j;
}

void CliTest::copy_store(const Cli& from, const Cli& to) {
  std::error_code ec;
  fs::copy(from.data, to.data, fs::copy_options::recursive, ec);
  ASSERT_FALSE(ec) << "copy " << from.data << ": " << ec.message();
  fs::copy_file(from.key_file(), to.key_file(), ec);
  ASSERT_FALSE(ec) << "copy " << from.key_file() << ": " << ec.message();
  ::chmod(to.key_file().c_str(), 0600);
}

void CliTest::expect_indexes_agree(const Cli& c) {
  json all = inventory_json(c);
  EXPECT_EQ(index_problems(c.data, all), "") << "indexes disagree with the records of " << c.data;
}

std::vector<std::string> CliTest::ids_of(const json& rows) {
  std::vector<std::string> out;
  for (const auto& r : rows) {
    out.push_back(r.value("tenant", std::string()) + "/" + r.value("id", std::string()));
  }
  return out;
}

}  // namespace sever::itest

// Integration tests of what sever leaves on disk: no plaintext secret and no master key in the
// data directory, and a tamper-evident audit log (tampered directly in RocksDB, then checked
// with `sever audit verify`).
#include <rocksdb/db.h>
#include <rocksdb/merge_operator.h>

#include <cstring>
#include <memory>

#include "integration/harness.h"

namespace sever::itest {
namespace {

// ---- no plaintext on disk -----------------------------------------------------------------

class DiskTest : public CliTest {};

std::string hex(const std::string& bytes) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (unsigned char c : bytes) {
    s += d[c >> 4];
    s += d[c & 15];
  }
  return s;
}

TEST_F(DiskTest, NoSecretAndNoMasterKeyInTheDataDirectory) {
  init(store());
  std::mt19937_64 rng(20261123);
  std::vector<Cred> creds;
  for (int i = 0; i < 500; ++i) {
    creds.push_back({"tenant" + std::to_string(i % 7), "cred" + std::to_string(i),
                     i % 2 ? "github" : "slack", "oauth_access", random_token(rng, 40),
                     {"read:user"}, "user" + std::to_string(i % 11)});
  }
  // Half by file, half on stdin.
  std::vector<Cred> first(creds.begin(), creds.begin() + 250), second(creds.begin() + 250,
                                                                      creds.end());
  const std::string in = put_file("first.jsonl", jsonl(first));
  SEVER_ASSERT_EXIT(store().run({"import", in}), 0);
  SEVER_ASSERT_EXIT(store().run_stdin({"import", "-"}, jsonl(second)), 0);
  ASSERT_EQ(::unlink(in.c_str()), 0);  // the input file is the user's business, not the store's
  ASSERT_EQ(count(store()), 500);
  // A few reads (each writes an audit entry through the WAL) and a replacement by upsert.
  for (int i : {0, 1, 250, 499}) {
    auto g = store().run({"get", creds[i].tenant, creds[i].id});
    SEVER_ASSERT_EXIT(g, 0);
    ASSERT_EQ(g.out, creds[i].secret + "\n");
  }
  Cred replaced = creds[3];
  replaced.secret = random_token(rng, 40);
  SEVER_ASSERT_EXIT(store().run_stdin({"import", "-", "--upsert"}, jsonl({replaced})), 0);
  creds.push_back(replaced);

  // Every sever process has exited: whatever it wrote is on disk now. Read every byte.
  std::string all;
  std::vector<std::pair<std::string, size_t>> spans;  // file, end offset in `all`
  for (const auto& f : files_under(store().data)) {
    auto content = read_file(f);
    ASSERT_TRUE(content.has_value()) << "cannot read " << f;
    all += *content;
    spans.push_back({f.string(), all.size()});
  }
  ASSERT_GT(all.size(), 0u);
  auto where = [&](size_t pos) {
    for (const auto& [f, end] : spans) {
      if (pos < end) return f;
    }
    return std::string("?");
  };
  for (const auto& c : creds) {
    for (const std::string& needle : {c.secret, c.secret.substr(0, 20), c.secret.substr(20)}) {
      auto pos = all.find(needle);
      EXPECT_EQ(pos, std::string::npos)
          << "plaintext of " << c.tenant << "/" << c.id << " found in " << where(pos);
    }
  }
  const std::string key = read_file(store().key_file()).value();
  ASSERT_EQ(key.size(), 32u);
  auto kp = all.find(key);
  EXPECT_EQ(kp, std::string::npos) << "the master key is in " << where(kp);
  EXPECT_EQ(all.find(key.substr(0, 16)), std::string::npos) << "half the master key on disk";
  EXPECT_EQ(all.find(hex(key)), std::string::npos) << "the master key, hex, on disk";
  // The secrets still open after all this.
  auto g = store().run({"get", replaced.tenant, replaced.id});
  SEVER_EXPECT_EXIT(g, 0);
  EXPECT_EQ(g.out, replaced.secret + "\n");
}

TEST_F(DiskTest, FailedImportLeavesNoPlaintextBehind) {
  init(store());
  std::mt19937_64 rng(99);
  std::vector<Cred> creds;
  for (int i = 0; i < 50; ++i) {
    creds.push_back({"acme", "c" + std::to_string(i), "github", "pat", random_token(rng, 40), {},
                     std::nullopt});
  }
  std::string content = jsonl(creds) + "{\"tenant\":\"acme\"}\n";  // line 51 is bad
  auto r = store().run_stdin({"import", "-"}, content);
  SEVER_ASSERT_EXIT(r, 2);
  EXPECT_NE(r.err.find("line 51:"), std::string::npos) << r.describe();
  std::string all;
  for (const auto& f : files_under(tmp().path())) all += read_file(f).value_or("");
  for (const auto& c : creds) {
    EXPECT_EQ(all.find(c.secret), std::string::npos) << c.id << " left on disk";
  }
}

// ---- audit tamper, through RocksDB directly -----------------------------------------------

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

// The store's RocksDB opened with every column family, for tampering.
class RawDb {
 public:
  explicit RawDb(const std::string& dir) {
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
    status_ = rocksdb::DB::Open(rocksdb::DBOptions(), dir, descs, &handles_, &db);
    db_.reset(db);
    names_ = names;
  }
  ~RawDb() { Close(); }
  void Close() {
    if (!db_) return;
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    handles_.clear();
    db_->Close();
    db_.reset();
  }
  const rocksdb::Status& status() const { return status_; }
  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf(const std::string& name) {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return handles_[i];
    }
    return nullptr;
  }

 private:
  rocksdb::Status status_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<std::string> names_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

std::string be64(uint64_t v) {
  std::string k;
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>(v >> (8 * i)));
  return k;
}

// Returns the offset and length of the detail field in an audit entry value:
// u8 format | be64 seq | varint time | (varint len, bytes) × actor, action, target, detail |
// prev_mac[32] | mac[32].
bool locate_detail(const std::string& v, size_t* off, size_t* len) {
  size_t p = 1 + 8;
  auto varint = [&](uint64_t* out) {
    uint64_t x = 0;
    for (int shift = 0; p < v.size() && shift < 64; shift += 7) {
      uint8_t b = static_cast<uint8_t>(v[p++]);
      x |= uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) {
        *out = x;
        return true;
      }
    }
    return false;
  };
  uint64_t n;
  if (!varint(&n)) return false;  // time
  for (int field = 0; field < 4; ++field) {
    if (!varint(&n) || p + n > v.size()) return false;
    if (field == 3) {
      *off = p;
      *len = n;
      return p + n + 64 == v.size();
    }
    p += n;
  }
  return false;
}

class AuditTamperTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    init(store());
    import(store(), {{"acme", "c1", "github", "pat", "s1", {}, std::nullopt},
                     {"acme", "c2", "github", "pat", "s2", {}, std::nullopt},
                     {"beta", "c3", "slack", "bot_token", "s3", {}, std::nullopt}});
    SEVER_ASSERT_EXIT(store().run({"get", "acme", "c1"}), 0);
    SEVER_ASSERT_EXIT(store().run({"get", "beta", "c3"}), 0);
    // 1 store.init, 2-3 dek.create (acme, beta), 4 import, 5-6 secret.read.
    json audit = audit_json(store());
    ASSERT_EQ(audit.size(), 6u) << audit.dump(1);
    ASSERT_EQ(audit[2]["action"], "dek.create");
  }
  static constexpr uint64_t kEntries = 6;
};

TEST_F(AuditTamperTest, UntouchedLogVerifies) {
  auto v = store().run({"audit", "verify"});
  SEVER_EXPECT_EXIT(v, 0);
  EXPECT_EQ(v.out, "audit log intact: 6 entries\n");
  // Opening and closing the raw database changes nothing either.
  {
    RawDb raw(store().data);
    ASSERT_TRUE(raw.status().ok()) << raw.status().ToString();
    ASSERT_NE(raw.cf("audit"), nullptr);
  }
  auto again = store().run({"audit", "verify"});
  SEVER_EXPECT_EXIT(again, 0);
  EXPECT_EQ(again.out, "audit log intact: 6 entries\n");
}

TEST_F(AuditTamperTest, FlippedByteInEntryThreeIsNamed) {
  {
    RawDb raw(store().data);
    ASSERT_TRUE(raw.status().ok()) << raw.status().ToString();
    std::string v;
    ASSERT_TRUE(raw.db()->Get(rocksdb::ReadOptions(), raw.cf("audit"), be64(3), &v).ok());
    size_t off = 0, len = 0;
    ASSERT_TRUE(locate_detail(v, &off, &len)) << "unexpected audit entry layout";
    ASSERT_GT(len, 2u);
    const std::string detail = v.substr(off, len);
    ASSERT_NE(detail.find("\"version\":1"), std::string::npos) << detail;
    const size_t at = off + detail.find("1");  // the DEK version: 1 -> 0
    v[at] ^= 0x01;
    ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), raw.cf("audit"), be64(3), v).ok());
  }
  auto r = store().run({"audit", "verify"});
  SEVER_EXPECT_EXIT(r, 3);
  EXPECT_NE(r.err.find("entry 3"), std::string::npos) << r.describe();
  EXPECT_EQ(r.out.find("intact: 6"), std::string::npos) << r.describe();
  // The altered detail is what tail shows; verify is what catches it.
  json audit = audit_json(store());
  ASSERT_EQ(audit.size(), kEntries);
  EXPECT_EQ(audit[2]["detail"]["version"], 0) << audit[2].dump();
}

TEST_F(AuditTamperTest, FlippedMacByteIsNamed) {
  {
    RawDb raw(store().data);
    ASSERT_TRUE(raw.status().ok()) << raw.status().ToString();
    std::string v;
    ASSERT_TRUE(raw.db()->Get(rocksdb::ReadOptions(), raw.cf("audit"), be64(5), &v).ok());
    v[v.size() - 1] ^= 0x80;
    ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), raw.cf("audit"), be64(5), v).ok());
  }
  auto r = store().run({"audit", "verify"});
  SEVER_EXPECT_EXIT(r, 3);
  EXPECT_NE(r.err.find("entry 5"), std::string::npos) << r.describe();
}

TEST_F(AuditTamperTest, DeletedEntryTwoIsNamed) {
  {
    RawDb raw(store().data);
    ASSERT_TRUE(raw.status().ok()) << raw.status().ToString();
    ASSERT_TRUE(raw.db()->Delete(rocksdb::WriteOptions(), raw.cf("audit"), be64(2)).ok());
  }
  auto r = store().run({"audit", "verify"});
  SEVER_EXPECT_EXIT(r, 3);
  EXPECT_NE(r.err.find("entry 2"), std::string::npos) << r.describe();
}

TEST_F(AuditTamperTest, DeletedLastEntryIsDetected) {
  {
    RawDb raw(store().data);
    ASSERT_TRUE(raw.status().ok()) << raw.status().ToString();
    ASSERT_TRUE(raw.db()->Delete(rocksdb::WriteOptions(), raw.cf("audit"), be64(kEntries)).ok());
  }
  auto r = store().run({"audit", "verify"});
  SEVER_EXPECT_EXIT(r, 3);
  EXPECT_NE(r.err.find("entry " + std::to_string(kEntries)), std::string::npos) << r.describe();
  EXPECT_EQ(r.out.find("intact"), std::string::npos) << r.describe();
}

TEST_F(AuditTamperTest, TruncatedLogThenNewEntriesIsStillDetected) {
  // Remove the last two entries, then let sever append more: the chain from the recorded head
  // no longer meets the entries, and verify must still fail.
  {
    RawDb raw(store().data);
    ASSERT_TRUE(raw.status().ok()) << raw.status().ToString();
    ASSERT_TRUE(raw.db()->Delete(rocksdb::WriteOptions(), raw.cf("audit"), be64(5)).ok());
    ASSERT_TRUE(raw.db()->Delete(rocksdb::WriteOptions(), raw.cf("audit"), be64(6)).ok());
  }
  SEVER_ASSERT_EXIT(store().run({"get", "acme", "c2"}), 0);
  auto r = store().run({"audit", "verify"});
  SEVER_EXPECT_EXIT(r, 3);
  EXPECT_NE(r.err.find("entry 5"), std::string::npos) << r.describe();
}

TEST_F(AuditTamperTest, SwappedEntriesAreDetected) {
  {
    RawDb raw(store().data);
    ASSERT_TRUE(raw.status().ok()) << raw.status().ToString();
    std::string v5, v6;
    ASSERT_TRUE(raw.db()->Get(rocksdb::ReadOptions(), raw.cf("audit"), be64(5), &v5).ok());
    ASSERT_TRUE(raw.db()->Get(rocksdb::ReadOptions(), raw.cf("audit"), be64(6), &v6).ok());
    ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), raw.cf("audit"), be64(5), v6).ok());
    ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), raw.cf("audit"), be64(6), v5).ok());
  }
  auto r = store().run({"audit", "verify"});
  SEVER_EXPECT_EXIT(r, 3);
  EXPECT_NE(r.err.find("entry 5"), std::string::npos) << r.describe();
}

}  // namespace
}  // namespace sever::itest

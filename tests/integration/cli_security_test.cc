// Integration tests of what sever leaves on disk: no plaintext secret and no master key in the
// data directory, and a tamper-evident audit log (tampered directly in RocksDB, then checked
// with `sever audit verify`).
#include <cstring>
#include <memory>

#include "integration/harness.h"
#include "sever/store/record.h"

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

// ---- refused reads and sealed blobs bound to their row --------------------------------------

class SealedRecordTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    init(store());
    import(store(), {{"acme", "c1", "github", "pat", "ghp_first_secret", {}, "alice"},
                     {"acme", "c2", "github", "pat", "ghp_second_secret", {}, "alice"},
                     {"beta", "c1", "github", "pat", "ghp_beta_secret", {}, "bob"}});
  }
  // Reads, changes and writes back one record directly in the database.
  void edit(const std::string& tenant, const std::string& id,
            const std::function<void(Credential&)>& change) {
    RawDb raw(store().data);
    ASSERT_TRUE(raw.status().ok()) << raw.status().ToString();
    const std::string key = tenant + std::string(1, '\0') + id;
    std::string v;
    ASSERT_TRUE(raw.db()->Get(rocksdb::ReadOptions(), raw.cf("creds"), key, &v).ok());
    Credential c;
    ASSERT_TRUE(decode_record(tenant, id, v, &c).ok());
    change(c);
    ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), raw.cf("creds"), key, encode_record(c)).ok());
  }
  std::string sealed_of(const std::string& tenant, const std::string& id) {
    RawDb raw(store().data, true);
    std::string v;
    EXPECT_TRUE(raw.db()->Get(rocksdb::ReadOptions(), raw.cf("creds"),
                              tenant + std::string(1, '\0') + id, &v).ok());
    Credential c;
    EXPECT_TRUE(decode_record(tenant, id, v, &c).ok());
    return c.sealed;
  }
};

TEST_F(SealedRecordTest, RevokedCredentialIsRefusedAndTheRefusalAudited) {
  edit("acme", "c1", [](Credential& c) { c.state = State::revoked; });
  auto g = store().run({"get", "acme", "c1"});
  SEVER_EXPECT_EXIT(g, 3);
  EXPECT_EQ(g.out, "");
  EXPECT_NE(g.err.find("revoked"), std::string::npos) << g.describe();
  json audit = audit_json(store());
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit.back()["action"], "secret.read.refused") << audit.back().dump();
  EXPECT_EQ(audit.back()["target"], "acme/c1");
  EXPECT_EQ(ids_of(inventory_json(store(), {"--state", "revoked"})),
            std::vector<std::string>{"acme/c1"});
  // The other credentials still read.
  EXPECT_EQ(store().run({"get", "acme", "c2"}).out, "ghp_second_secret\n");
}

TEST_F(SealedRecordTest, ErasedSecretIsRefused) {
  edit("acme", "c2", [](Credential& c) { c.sealed.clear(); });
  auto g = store().run({"get", "acme", "c2"});
  SEVER_EXPECT_EXIT(g, 3);
  EXPECT_EQ(g.out, "");
  json audit = audit_json(store());
  EXPECT_EQ(audit.back()["action"], "secret.read.refused") << audit.back().dump();
}

TEST_F(SealedRecordTest, SealedBlobCopiedToAnotherRowDoesNotOpen) {
  const std::string c1 = sealed_of("acme", "c1");
  ASSERT_FALSE(c1.empty());
  ASSERT_EQ(c1.find("ghp_first_secret"), std::string::npos);
  // Same tenant, same DEK, another id: the AAD binds the blob to its row.
  edit("acme", "c2", [&](Credential& c) { c.sealed = c1; });
  auto g = store().run({"get", "acme", "c2"});
  EXPECT_NE(g.code, 0) << g.describe();
  EXPECT_EQ(g.out.find("ghp_first_secret"), std::string::npos) << g.describe();
  EXPECT_EQ(g.out, "");
  // Another tenant, same id.
  edit("beta", "c1", [&](Credential& c) { c.sealed = c1; });
  auto h = store().run({"get", "beta", "c1"});
  EXPECT_NE(h.code, 0) << h.describe();
  EXPECT_EQ(h.out, "");
  // A flipped ciphertext byte does not open either.
  edit("acme", "c1", [](Credential& c) { c.sealed[c.sealed.size() / 2] ^= 0x01; });
  auto f = store().run({"get", "acme", "c1"});
  EXPECT_NE(f.code, 0) << f.describe();
  EXPECT_EQ(f.out, "");
}

// ---- audit tamper, through RocksDB directly -----------------------------------------------

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

TEST_F(AuditTamperTest, TailJsonStaysValidWhenADetailIsNoLongerJson) {
  // An attacker who breaks an entry's detail text must not break `audit tail --format json`
  // (a listing that monitoring parses); verify is what names the entry.
  {
    RawDb raw(store().data);
    ASSERT_TRUE(raw.status().ok()) << raw.status().ToString();
    std::string v;
    ASSERT_TRUE(raw.db()->Get(rocksdb::ReadOptions(), raw.cf("audit"), be64(3), &v).ok());
    size_t off = 0, len = 0;
    ASSERT_TRUE(locate_detail(v, &off, &len));
    ASSERT_EQ(v[off + len - 1], '}');
    v[off + len - 1] = '|';
    ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), raw.cf("audit"), be64(3), v).ok());
  }
  auto t = store().run({"audit", "tail", "--format", "json"});
  if (t.code == 0) {
    json j = json::parse(t.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "audit tail --format json printed invalid JSON:\n"
                                   << t.describe();
  } else {
    EXPECT_NE(t.code, 1) << "an internal error for a malformed entry\n" << t.describe();
  }
  auto r = store().run({"audit", "verify"});
  SEVER_EXPECT_EXIT(r, 3);
  EXPECT_NE(r.err.find("entry 3"), std::string::npos) << r.describe();
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

// The index check used by the import and inventory tests sees stale and missing entries.
TEST_F(AuditTamperTest, IndexCheckSeesStaleAndMissingEntries) {
  expect_indexes_agree(store());
  {
    RawDb raw(store().data);
    ASSERT_TRUE(raw.status().ok()) << raw.status().ToString();
    ASSERT_TRUE(raw.db()->Put(rocksdb::WriteOptions(), raw.cf("by_tool"),
                              std::string("gitlab\0acme\0c1", 14), "").ok());
    ASSERT_TRUE(raw.db()->Delete(rocksdb::WriteOptions(), raw.cf("by_tool"),
                                 std::string("slack\0beta\0c3", 13)).ok());
  }
  const std::string problems = index_problems(store().data, inventory_json(store()));
  EXPECT_NE(problems.find("by_tool stale: gitlab\\0acme\\0c1"), std::string::npos) << problems;
  EXPECT_NE(problems.find("by_tool missing: slack\\0beta\\0c3"), std::string::npos) << problems;
}

}  // namespace
}  // namespace sever::itest

#include "sever/store/audit.h"

#include "coding.h"
#include "schema.h"
#include "sever/store/crypto.h"

namespace sever {
namespace {

constexpr uint8_t kAuditFormat = 1;
constexpr size_t kMacBytes = 32;

}  // namespace

std::string encode_audit_entry(const AuditEntry& e, bool with_mac) {
  std::string v;
  v.push_back(static_cast<char>(kAuditFormat));
  coding::put_be64(&v, e.seq);
  coding::put_varint_signed(&v, e.time_ms);
  coding::put_bytes(&v, e.event.actor);
  coding::put_bytes(&v, e.event.action);
  coding::put_bytes(&v, e.event.target);
  coding::put_bytes(&v, e.event.detail);
  v.append(e.prev_mac);
  if (with_mac) v.append(e.mac);
  return v;
}

Status decode_audit_entry(std::string_view value, AuditEntry* out) {
  coding::Reader r(value);
  uint8_t format;
  std::string_view actor, action, target, detail, prev, mac;
  AuditEntry e;
  if (!r.u8(&format) || format != kAuditFormat || !r.be64(&e.seq) ||
      !r.varint_signed(&e.time_ms) || !r.bytes(&actor) || !r.bytes(&action) ||
      !r.bytes(&target) || !r.bytes(&detail) || !r.raw(kMacBytes, &prev) ||
      !r.raw(kMacBytes, &mac) || !r.done()) {
    return Status::Corruption("malformed audit entry");
  }
  e.event = {std::string(actor), std::string(action), std::string(target), std::string(detail)};
  e.prev_mac = prev;
  e.mac = mac;
  *out = std::move(e);
  return Status::Ok();
}

AuditLog::AuditLog(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* audit_cf,
                   rocksdb::ColumnFamilyHandle* meta_cf, SecretBytes chain_key, AuditHead head)
    : db_(db), audit_cf_(audit_cf), meta_cf_(meta_cf), key_(std::move(chain_key)),
      head_(std::move(head)) {}

std::string AuditLog::Mac(std::string_view body) const {
  std::string input = "sever.audit.v1";
  input.append(body);
  return crypto::hmac_sha256(key_, input);
}

std::vector<std::pair<std::string, std::string>> AuditLog::Prepare(
    const std::vector<AuditEvent>& events, int64_t time_ms, AuditHead* next,
    std::string* head_value) const {
  std::vector<std::pair<std::string, std::string>> rows;
  rows.reserve(events.size());
  AuditHead h = head_;
  for (const auto& ev : events) {
    AuditEntry e;
    e.seq = h.seq + 1;
    e.time_ms = time_ms;
    e.event = ev;
    e.prev_mac = h.mac;
    e.mac = Mac(encode_audit_entry(e, false));
    rows.emplace_back(schema::audit_key(e.seq), encode_audit_entry(e, true));
    h.seq = e.seq;
    h.mac = e.mac;
  }
  *head_value = EncodeHead(h);
  *next = std::move(h);
  return rows;
}

std::string AuditLog::EncodeHead(const AuditHead& h) {
  std::string v;
  coding::put_be64(&v, h.seq);
  v.append(h.mac);
  return v;
}

Status AuditLog::DecodeHead(std::string_view v, AuditHead* out) {
  if (v.size() != 8 + kMacBytes) return Status::Corruption("malformed audit head");
  out->seq = coding::get_be64(v.data());
  out->mac = std::string(v.substr(8));
  return Status::Ok();
}

Result<AuditVerdict> AuditLog::Verify() const {
  AuditVerdict verdict;
  auto fail = [&](uint64_t seq, std::string problem) {
    verdict.first_bad = seq;
    verdict.problem = std::move(problem);
    return verdict;
  };
  // Read the stored head first, from the same snapshot as the entries.
  const rocksdb::Snapshot* snap = db_->GetSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  struct Release {
    rocksdb::DB* db;
    const rocksdb::Snapshot* s;
    ~Release() { db->ReleaseSnapshot(s); }
  } release{db_, snap};
  std::string head_value;
  AuditHead stored;
  auto hs = db_->Get(ro, meta_cf_, schema::kMetaAuditHead, &head_value);
  if (!hs.ok() && !hs.IsNotFound()) return Status::IoError("read audit head: " + hs.ToString());
  if (hs.ok()) SEVER_RETURN_IF_ERROR(DecodeHead(head_value, &stored));

  AuditHead prev;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, audit_cf_));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const uint64_t expect = prev.seq + 1;
    std::string_view k = it->key().ToStringView();
    if (k.size() != 8) return fail(expect, "malformed audit key");
    const uint64_t seq = coding::get_be64(k.data());
    if (seq != expect) {
      return fail(expect, seq > expect ? "entry missing (next present is " + std::to_string(seq) + ")"
                                       : "entry out of order");
    }
    AuditEntry e;
    if (!decode_audit_entry(it->value().ToStringView(), &e).ok()) {
      return fail(seq, "entry is malformed");
    }
    if (e.seq != seq) return fail(seq, "entry's sequence number does not match its key");
    if (!constant_time_equal(e.prev_mac, prev.mac)) {
      return fail(seq, "entry does not chain from entry " + std::to_string(prev.seq));
    }
    if (!constant_time_equal(e.mac, Mac(encode_audit_entry(e, false)))) {
      return fail(seq, "entry was modified (MAC mismatch)");
    }
    prev.seq = seq;
    prev.mac = e.mac;
    ++verdict.entries;
  }
  if (!it->status().ok()) return Status::IoError("scan audit log: " + it->status().ToString());
  if (stored.seq != prev.seq || !constant_time_equal(stored.mac, prev.mac)) {
    return fail(prev.seq + 1, "log ends at entry " + std::to_string(prev.seq) +
                                  " but the recorded head is entry " +
                                  std::to_string(stored.seq) + " (entries removed from the end)");
  }
  return verdict;
}

Status AuditLog::Tail(size_t n, const std::function<void(const AuditEntry&)>& fn) const {
  std::vector<AuditEntry> last;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), audit_cf_));
  for (it->SeekToLast(); it->Valid() && last.size() < n; it->Prev()) {
    AuditEntry e;
    SEVER_RETURN_IF_ERROR(decode_audit_entry(it->value().ToStringView(), &e));
    last.push_back(std::move(e));
  }
  if (!it->status().ok()) return Status::IoError("scan audit log: " + it->status().ToString());
  for (auto r = last.rbegin(); r != last.rend(); ++r) fn(*r);
  return Status::Ok();
}

}  // namespace sever

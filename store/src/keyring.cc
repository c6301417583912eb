#include "sever/store/keyring.h"

#include <rocksdb/merge_operator.h>

#include <cstring>

#include "coding.h"
#include "sever/store/crypto.h"
#include "rocks_status.h"
#include "schema.h"

namespace sever {
namespace {

constexpr uint8_t kDekFormat = 1;

uint64_t load_le64(std::string_view v) {
  uint64_t x = 0;
  if (v.size() == 8) std::memcpy(&x, v.data(), 8);
  return x;
}

class CounterMerge final : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger*) const override {
    uint64_t sum = (existing ? load_le64(existing->ToStringView()) : 0) +
                   load_le64(value.ToStringView());
    new_value->assign(reinterpret_cast<const char*>(&sum), 8);
    return true;
  }
  const char* Name() const override { return "sever.u64add"; }
};


}  // namespace

std::shared_ptr<rocksdb::MergeOperator> make_counter_merge_operator() {
  return std::make_shared<CounterMerge>();
}

std::string_view to_string(DekState s) {
  switch (s) {
    case DekState::primary: return "primary";
    case DekState::decrypt_only: return "decrypt_only";
    case DekState::retired: return "retired";
    case DekState::destroyed: return "destroyed";
  }
  return "unknown";
}

Keyring::Keyring(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* keys_cf,
                 rocksdb::ColumnFamilyHandle* counters_cf, KeySource* kek, size_t cache_capacity)
    : db_(db), keys_cf_(keys_cf), counters_cf_(counters_cf), kek_(kek),
      capacity_(cache_capacity == 0 ? 1 : cache_capacity) {}

std::string Keyring::Encode(const DekEntry& e) {
  std::string v;
  v.push_back(static_cast<char>(kDekFormat));
  v.push_back(static_cast<char>(e.state));
  coding::put_varint_signed(&v, e.created_at);
  coding::put_varint_signed(&v, e.state_changed_at);
  coding::put_varint(&v, e.kek_version);
  coding::put_bytes(&v, e.wrapped);
  return v;
}

Status Keyring::Decode(std::string_view tenant, uint32_t version, std::string_view value,
                       DekEntry* out) {
  coding::Reader r(value);
  uint8_t format, state;
  std::string_view wrapped;
  DekEntry e;
  if (!r.u8(&format) || format != kDekFormat || !r.u8(&state) || state < 1 || state > 4 ||
      !r.varint_signed(&e.created_at) || !r.varint_signed(&e.state_changed_at) ||
      !r.varint32(&e.kek_version) || !r.bytes(&wrapped) || !r.done()) {
    return Status::Corruption("DEK entry " + std::string(tenant) + " v" + std::to_string(version) +
                              " is malformed");
  }
  e.tenant = tenant;
  e.version = version;
  e.state = static_cast<DekState>(state);
  e.wrapped = wrapped;
  *out = std::move(e);
  return Status::Ok();
}

std::string Keyring::CounterDelta(uint64_t n) {
  return std::string(reinterpret_cast<const char*>(&n), 8);
}

std::string Keyring::WrapContext(std::string_view tenant, uint32_t version) {
  std::string c = "sever.dek.v1";
  coding::put_bytes(&c, tenant);
  coding::put_be32(&c, version);
  return c;
}

Result<uint64_t> Keyring::Encryptions(const std::string& key) const {
  std::string v;
  auto s = db_->Get(rocksdb::ReadOptions(), counters_cf_, key, &v);
  if (s.IsNotFound()) return uint64_t{0};
  SEVER_RETURN_IF_ERROR(detail::from_rocks(s, "read DEK counter"));
  return load_le64(v);
}

Status Keyring::Scan(std::string_view tenant, bool counters,
                     const std::function<void(DekEntry&&)>& fn) const {
  const std::string pfx = tenant.empty() ? "" : schema::prefix(tenant);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), keys_cf_));
  for (it->Seek(pfx); it->Valid() && it->key().starts_with(pfx); it->Next()) {
    std::string_view k = it->key().ToStringView();
    if (k.size() < 5 || k[k.size() - 5] != '\0') {
      return Status::Corruption("malformed DEK key in the keys column family");
    }
    DekEntry e;
    uint32_t version = coding::get_be32(k.data() + k.size() - 4);
    SEVER_RETURN_IF_ERROR(Decode(k.substr(0, k.size() - 5), version, it->value().ToStringView(), &e));
    if (counters) {
      SEVER_ASSIGN_OR_RETURN(e.encryptions, Encryptions(std::string(k)));
    }
    fn(std::move(e));
  }
  return detail::from_rocks(it->status(), "scan DEKs");
}

Result<std::vector<DekEntry>> Keyring::List(std::string_view tenant, bool counters) const {
  std::vector<DekEntry> out;
  SEVER_RETURN_IF_ERROR(Scan(tenant, counters, [&](DekEntry&& e) { out.push_back(std::move(e)); }));
  return out;
}

Result<uint32_t> Keyring::PrimaryVersion(std::string_view tenant) const {
  uint32_t version = 0;
  SEVER_RETURN_IF_ERROR(Scan(tenant, false, [&](DekEntry&& e) {
    if (e.state == DekState::primary) version = e.version;
  }));
  return version;
}

Result<std::optional<DekEntry>> Keyring::Primary(std::string_view tenant) const {
  SEVER_ASSIGN_OR_RETURN(auto all, List(tenant));
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (it->state == DekState::primary) return std::optional<DekEntry>(std::move(*it));
  }
  return std::optional<DekEntry>();
}

Result<std::shared_ptr<const SecretBytes>> Keyring::Key(std::string_view tenant,
                                                        uint32_t version) {
  const std::string key = schema::dek_key(tenant, version);
  {
    std::lock_guard lock(cache_mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.pos);
      return it->second.key;
    }
  }
  std::shared_lock kek_lock(kek_mu_);  // the entry read and the key that unwraps it agree
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), keys_cf_, key, &value);
  if (s.IsNotFound()) {
    return Status::NotFound("tenant " + std::string(tenant) + " has no DEK version " +
                            std::to_string(version));
  }
  SEVER_RETURN_IF_ERROR(detail::from_rocks(s, "read DEK"));
  DekEntry e;
  SEVER_RETURN_IF_ERROR(Decode(tenant, version, value, &e));
  if (e.state == DekState::destroyed || e.wrapped.empty()) {
    return Status::NotFound("DEK " + std::string(tenant) + " v" + std::to_string(version) +
                            " was destroyed");
  }
  SEVER_ASSIGN_OR_RETURN(SecretBytes plain, kek_->Unwrap(e.wrapped, WrapContext(tenant, version)));
  auto dek = std::make_shared<const SecretBytes>(std::move(plain));
  CachePut(key, dek);
  return dek;
}

Result<NewDek> Keyring::Generate(std::string_view tenant, uint32_t version, int64_t now) {
  SEVER_ASSIGN_OR_RETURN(SecretBytes plain, crypto::random_key());
  NewDek d;
  d.entry.tenant = tenant;
  d.entry.version = version;
  d.entry.state = DekState::primary;
  d.entry.created_at = now;
  d.entry.state_changed_at = now;
  {
    std::shared_lock kek_lock(kek_mu_);
    SEVER_ASSIGN_OR_RETURN(d.entry.wrapped, kek_->Wrap(plain, WrapContext(tenant, version)));
  }
  d.key = std::make_shared<const SecretBytes>(std::move(plain));
  CachePut(schema::dek_key(tenant, version), d.key);
  return d;
}

void Keyring::Forget(std::string_view tenant, uint32_t version) {
  const std::string key = schema::dek_key(tenant, version);
  std::lock_guard lock(cache_mu_);
  auto it = cache_.find(key);
  if (it == cache_.end()) return;
  lru_.erase(it->second.pos);
  cache_.erase(it);  // the SecretBytes zeroizes once its last user lets go
}

void Keyring::BeginKekSwap() {
  std::unique_lock lock(kek_mu_);
  if (kek_generation_.load() % 2 == 0) ++kek_generation_;
}

Status Keyring::FinishKekSwap(KeySource* next, const std::function<Status()>& commit) {
  std::unique_lock lock(kek_mu_);
  Status s = commit();
  if (s.ok()) kek_ = next;
  if (kek_generation_.load() % 2 == 1) ++kek_generation_;
  return s;
}

void Keyring::CachePut(const std::string& key, std::shared_ptr<const SecretBytes> dek) {
  std::lock_guard lock(cache_mu_);
  auto it = cache_.find(key);
  if (it != cache_.end()) {
    it->second.key = std::move(dek);
    lru_.splice(lru_.begin(), lru_, it->second.pos);
    return;
  }
  lru_.push_front(key);
  cache_.emplace(key, Slot{std::move(dek), lru_.begin()});
  while (cache_.size() > capacity_) {
    cache_.erase(lru_.back());  // the SecretBytes zeroizes once its last user lets go
    lru_.pop_back();
  }
}

}  // namespace sever

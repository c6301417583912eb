// The steps of a rotation shard: re-seal a batch, verify and retire, destroy (see rotation.h).
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "reseal.h"
#include "rocks_status.h"
#include "rotation_shards.h"
#include "schema.h"
#include "sever/store/rotation.h"
#include "sever/store/time.h"

namespace sever {

std::function<void()> detail::g_before_reseal_commit;

namespace {

constexpr uint32_t kMaxPasses = 8;
// A batch also ends after examining this many records per record it may re-seal, so that a
// walk over records already re-sealed (a resumed job) still checkpoints often.
constexpr size_t kExaminedPerResealed = 8;

std::string rotator(const RotationShard& s) { return "rotator:" + s.job; }

// One re-seal batch of a shard: walks tenants from the checkpoint, each under its TenantLock.
class ResealBatch {
 public:
  ResealBatch(Store& store, RotationShard& shard, size_t max_records)
      : store_(store), shard_(shard), max_records_(std::max<size_t>(max_records, 1)),
        max_examined_(max_records_ * kExaminedPerResealed) {}

  Result<uint64_t> Run() {
    while (shard_.tenant_pos < shard_.tenants.size() && !Full()) {
      const std::string& tenant = shard_.tenants[shard_.tenant_pos];
      if (!Lock(tenant)) break;  // another writer holds it: commit what we have first
      SEVER_ASSIGN_OR_RETURN(bool finished, Walk(tenant));
      if (!finished) break;
      ++shard_.tenant_pos;
      shard_.cursor.clear();
    }
    if (shard_.tenant_pos >= shard_.tenants.size()) shard_.phase = ShardPhase::verify;
    shard_.resealed += resealed_;
    for (const auto& [key, n] : counters_) {
      batch_.Merge(store_.cf(schema::kDekCounters), key, Keyring::CounterDelta(n));
    }
    detail::put_shard(store_, shard_, false, &batch_);
    if (detail::g_before_reseal_commit) detail::g_before_reseal_commit();
    SEVER_RETURN_IF_ERROR(store_.Commit(&batch_, {}));
    return resealed_;
  }

 private:
  bool Full() const { return resealed_ >= max_records_ || examined_ >= max_examined_; }

  // Takes the tenant's lock: blocking for the first tenant of the batch, else only if it is
  // free (a writer never waits for a lock while it holds another, so none can deadlock).
  bool Lock(const std::string& tenant) {
    std::mutex* m = &store_.TenantLock(tenant);
    for (const auto& l : held_) {
      if (l.mutex() == m) return true;
    }
    std::unique_lock<std::mutex> l(*m, std::defer_lock);
    if (held_.empty()) l.lock();
    else if (!l.try_lock()) return false;
    held_.push_back(std::move(l));
    return true;
  }

  // Re-seals the tenant's records on an older version from the cursor on. Under the lock, so
  // the iterator made here sees every write committed before it. Returns true at its end.
  Result<bool> Walk(const std::string& tenant) {
    SEVER_ASSIGN_OR_RETURN(const uint32_t primary, store_.keyring().PrimaryVersion(tenant));
    if (primary == 0) return true;  // no DEK, so nothing sealed
    std::optional<detail::TenantSealer> sealer;
    const std::string prefix = schema::prefix(tenant);
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;  // a pass over every record: keep the foreground's blocks cached
    std::unique_ptr<rocksdb::Iterator> it(store_.db()->NewIterator(ro, store_.cf(schema::kCreds)));
    it->Seek(prefix + shard_.cursor);
    if (!shard_.cursor.empty() && it->Valid() && it->key() == prefix + shard_.cursor) it->Next();
    uint64_t seals = 0;
    for (; it->Valid() && it->key().starts_with(prefix); it->Next()) {
      if (Full()) break;
      ++examined_;
      std::string_view id = it->key().ToStringView().substr(prefix.size());
      shard_.cursor.assign(id);
      uint32_t version;
      if (!peek_dek_version(it->value().ToStringView(), &version)) {
        return Status::Corruption("record " + tenant + "/" + std::string(id) + " is malformed");
      }
      if (version >= primary) continue;
      if (!sealer) {
        SEVER_ASSIGN_OR_RETURN(auto made, detail::TenantSealer::Create(store_, tenant, primary));
        sealer.emplace(std::move(made));
      }
      bool sealed;
      SEVER_ASSIGN_OR_RETURN(std::string value, sealer->Reseal(id, it->value().ToStringView(), &sealed));
      batch_.Put(store_.cf(schema::kCreds), it->key(), value);
      ++resealed_;
      seals += sealed;
    }
    if (seals > 0) counters_[schema::dek_key(tenant, primary)] += seals;
    SEVER_RETURN_IF_ERROR(detail::from_rocks(it->status(), "walk records of " + tenant));
    return !(it->Valid() && it->key().starts_with(prefix));  // false: the batch is full
  }

  Store& store_;
  RotationShard& shard_;
  const size_t max_records_;
  const size_t max_examined_;
  std::vector<std::unique_lock<std::mutex>> held_;
  rocksdb::WriteBatch batch_;
  std::map<std::string, uint64_t> counters_;  // dek_key → seals
  uint64_t resealed_ = 0, examined_ = 0;
};

// Rewrites the DEK entries of the shard's tenants that `change` alters (it returns true for
// those), with an audit event each, and the checkpoint, in one batch under the DEK lock.
Status update_deks(Store& store, RotationShard& shard, ShardPhase next, const char* action,
                   const std::function<bool(DekEntry&)>& change, std::vector<DekEntry>* changed) {
  return store.WithDekLock([&]() -> Status {
    rocksdb::WriteBatch b;
    std::vector<AuditEvent> events;
    const int64_t now = now_unix();
    for (const auto& tenant : shard.tenants) {
      SEVER_ASSIGN_OR_RETURN(auto deks, store.keyring().List(tenant, false));
      for (DekEntry& e : deks) {
        if (!change(e)) continue;
        e.state_changed_at = now;
        b.Put(store.cf(schema::kKeys), schema::dek_key(e.tenant, e.version), Keyring::Encode(e));
        events.push_back({rotator(shard), action, tenant,
                          nlohmann::json{{"version", e.version}, {"job", shard.job}}.dump()});
        changed->push_back(std::move(e));
      }
    }
    shard.phase = next;
    detail::put_shard(store, shard, false, &b);
    return store.Commit(&b, events);
  });
}

// Reads every tenant of the shard; returns the records on a version below the primary, and
// sets each tenant's primary as verified.
Result<uint64_t> count_left(Store& store, const RotationShard& shard,
                            std::map<std::string, uint32_t>* verified) {
  // A pass over what was just rewritten: no block checksums (each sealed secret carries its
  // own tag), and it does not push the foreground's blocks out of the cache.
  rocksdb::ReadOptions ro;
  ro.verify_checksums = false;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(ro, store.cf(schema::kCreds)));
  uint64_t left = 0;
  for (const auto& tenant : shard.tenants) {
    SEVER_ASSIGN_OR_RETURN(const uint32_t primary, store.keyring().PrimaryVersion(tenant));
    if (primary == 0) continue;
    (*verified)[tenant] = primary;
    const std::string prefix = schema::prefix(tenant);
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      uint32_t version;
      if (!peek_dek_version(it->value().ToStringView(), &version)) {
        return Status::Corruption("record " + it->key().ToString() + " is malformed");
      }
      if (version < primary) ++left;
    }
    SEVER_RETURN_IF_ERROR(detail::from_rocks(it->status(), "verify records of " + tenant));
  }
  return left;
}

Status verify(Store& store, RotationShard& shard) {
  std::map<std::string, uint32_t> verified;
  SEVER_ASSIGN_OR_RETURN(uint64_t left, count_left(store, shard, &verified));
  if (left > 0) {  // written under an old key after the walk passed: walk again
    if (++shard.passes >= kMaxPasses) {
      return Status::Internal("rotation " + shard.job + ": " + std::to_string(left) +
                              " records are still on an older DEK after " +
                              std::to_string(kMaxPasses) + " passes");
    }
    shard.phase = ShardPhase::reseal;
    shard.tenant_pos = 0;
    shard.cursor.clear();
    rocksdb::WriteBatch b;
    detail::put_shard(store, shard, false, &b);
    return store.Commit(&b, {{rotator(shard), "rotate.reverify", shard.job,
                              nlohmann::json{{"shard", shard.index}, {"left", left}}.dump()}});
  }
  std::vector<DekEntry> retired;
  return update_deks(store, shard, ShardPhase::destroy, "dek.retire",
                     [&](DekEntry& e) {
                       auto v = verified.find(e.tenant);
                       if (e.state != DekState::decrypt_only || v == verified.end() ||
                           e.version >= v->second) {
                         return false;
                       }
                       e.state = DekState::retired;
                       return true;
                     },
                     &retired);
}

Status destroy(Store& store, RotationShard& shard) {
  std::vector<DekEntry> destroyed;
  SEVER_RETURN_IF_ERROR(update_deks(store, shard, ShardPhase::done, "dek.destroy",
                                    [](DekEntry& e) {
                                      if (e.state != DekState::retired) return false;
                                      e.state = DekState::destroyed;
                                      e.wrapped.clear();  // the key can never be unwrapped again
                                      return true;
                                    },
                                    &destroyed));
  for (const auto& e : destroyed) store.keyring().Forget(e.tenant, e.version);
  return Status::Ok();
}

}  // namespace

Result<uint64_t> step_shard(Store& store, RotationShard& shard, size_t max_records) {
  const RotationShard before{shard.job, shard.index, {}, 0, shard.phase, shard.tenant_pos,
                             shard.cursor, shard.resealed, shard.passes};
  Result<uint64_t> r = uint64_t{0};
  switch (shard.phase) {
    case ShardPhase::reseal: r = ResealBatch(store, shard, max_records).Run(); break;
    case ShardPhase::verify: if (Status s = verify(store, shard); !s.ok()) r = s; break;
    case ShardPhase::destroy: if (Status s = destroy(store, shard); !s.ok()) r = s; break;
    case ShardPhase::done: break;
  }
  if (!r.ok()) {  // nothing was committed: back to the stored checkpoint
    shard.phase = before.phase;
    shard.tenant_pos = before.tenant_pos;
    shard.cursor = before.cursor;
    shard.resealed = before.resealed;
    shard.passes = before.passes;
  }
  return r;
}

}  // namespace sever

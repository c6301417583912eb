// Master-key rotation: Store::RewrapUnder and Store::PurgeSupersededKeys (see store.h).
#include <nlohmann/json.hpp>
#include <rocksdb/metadata.h>

#include "master_key.h"
#include "rocks_status.h"
#include "schema.h"
#include "sever/store/store.h"

namespace sever {

Result<uint64_t> Store::RewrapUnder(std::unique_ptr<KeySource> next, const std::string& actor) {
  std::lock_guard dek_lock(dek_mu_);  // no DEK is created, retired or destroyed meanwhile
  keyring_->BeginKekSwap();           // an import that wraps DEKs meanwhile will not commit them
  auto* meta = cfs_[schema::kMeta];
  std::string wrapped_chain, version_text;
  SEVER_RETURN_IF_ERROR(detail::from_rocks(
      db_->Get(rocksdb::ReadOptions(), meta, schema::kMetaAuditKey, &wrapped_chain),
      "read audit key"));
  auto vs = db_->Get(rocksdb::ReadOptions(), meta, schema::kMetaKekVersion, &version_text);
  if (!vs.ok() && !vs.IsNotFound()) return detail::from_rocks(vs, "read KEK version");
  const uint32_t kek_version = (vs.ok() ? std::stoul(version_text) : 1) + 1;

  rocksdb::WriteBatch b;
  SEVER_ASSIGN_OR_RETURN(auto deks, keyring_->List("", false));
  uint64_t rewrapped = 0;
  for (DekEntry& e : deks) {
    if (e.wrapped.empty()) continue;  // destroyed: nothing to carry over
    const std::string context = Keyring::WrapContext(e.tenant, e.version);
    SEVER_ASSIGN_OR_RETURN(SecretBytes key, kek_->Unwrap(e.wrapped, context));
    SEVER_ASSIGN_OR_RETURN(e.wrapped, next->Wrap(key, context));
    e.kek_version = kek_version;
    b.Put(cfs_[schema::kKeys], schema::dek_key(e.tenant, e.version), Keyring::Encode(e));
    ++rewrapped;
  }
  SEVER_ASSIGN_OR_RETURN(SecretBytes chain_key, kek_->Unwrap(wrapped_chain, detail::kAuditKeyContext));
  SEVER_ASSIGN_OR_RETURN(std::string chain, next->Wrap(chain_key, detail::kAuditKeyContext));
  SEVER_ASSIGN_OR_RETURN(std::string check, next->Wrap(SecretBytes(detail::kKekCheckPlain),
                                                       detail::kKekCheckContext));
  b.Put(meta, schema::kMetaAuditKey, chain);
  b.Put(meta, schema::kMetaKekCheck, check);
  b.Put(meta, schema::kMetaKeySource, next->spec());
  b.Put(meta, schema::kMetaKekVersion, std::to_string(kek_version));
  const AuditEvent event{actor, "master.rotate", "*",
                         nlohmann::json{{"from", kek_->spec()}, {"to", next->spec()},
                                        {"kek_version", kek_version}, {"deks", rewrapped}}
                             .dump()};
  // Synced: the old key may be deleted as soon as this returns.
  SEVER_RETURN_IF_ERROR(
      keyring_->FinishKekSwap(next.get(), [&] { return CommitImpl(&b, {event}, true); }));
  kek_ = std::move(next);  // the previous source (and its key) is released here
  SEVER_RETURN_IF_ERROR(PurgeSupersededKeys().Prefixed(
      "the master key was rotated, but the entries wrapped under the old one are still in the "
      "store's files (run the rotation again to purge them)"));
  return rewrapped;
}

Status Store::PurgeSupersededKeys() {
  // Every column family, so that no write-ahead log file (they are shared) is still needed.
  SEVER_RETURN_IF_ERROR(detail::from_rocks(db_->Flush({}, cfs_), "flush"));
  for (size_t cf : {schema::kKeys, schema::kMeta}) {
    // Their files merged into one on the last level, on this thread (a compaction queued in
    // the background would wait behind the records').
    rocksdb::ColumnFamilyMetaData md;
    db_->GetColumnFamilyMetaData(cfs_[cf], &md);
    std::vector<std::string> files;
    for (const auto& level : md.levels) {
      for (const auto& f : level.files) files.push_back(f.name);
    }
    if (files.size() < 2) continue;  // one file holds only the newest entries
    auto s = db_->CompactFiles(rocksdb::CompactionOptions(), cfs_[cf], files,
                               static_cast<int>(md.levels.size()) - 1);
    if (!s.ok()) {  // a file was being compacted meanwhile: a full manual compaction instead
      rocksdb::CompactRangeOptions o;
      o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
      o.exclusive_manual_compaction = false;
      s = db_->CompactRange(o, cfs_[cf], nullptr, nullptr);
    }
    SEVER_RETURN_IF_ERROR(detail::from_rocks(s, "compact keys"));
  }
  return Status::Ok();
}

}  // namespace sever

#include "sever/store/store.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "db_options.h"
#include "master_key.h"
#include "rocks_status.h"
#include "schema.h"
#include "sever/store/crypto.h"
#include "sever/store/lifecycle.h"
#include "sever/store/revocation.h"
#include "sever/store/time.h"
#include "validate.h"

namespace sever {
namespace fs = std::filesystem;
namespace {

using detail::kAuditKeyContext;
using detail::kKekCheckContext;
using detail::kKekCheckPlain;

bool dir_is_empty_or_absent(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return true;
  return fs::is_directory(dir, ec) && fs::is_empty(dir, ec);
}

}  // namespace

std::string default_key_source(const std::string& data_dir) {
  std::string d = data_dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  return "file:" + d + ".key";
}

Store::~Store() {
  for (auto* h : cfs_) db_->DestroyColumnFamilyHandle(h);
  cfs_.clear();
  if (db_) db_->Close();
}

Result<std::unique_ptr<Store>> Store::OpenDb(const StoreOptions& options, bool create,
                                             std::unique_ptr<KeySource> kek) {
  auto store = std::unique_ptr<Store>(new Store());
  store->options_ = options;
  store->kek_ = std::move(kek);
  rocksdb::DBOptions dbo = detail::db_options();
  dbo.create_if_missing = create;
  dbo.create_missing_column_families = create;
  dbo.error_if_exists = create;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(dbo, options.data_dir, detail::cf_descriptors(), &store->cfs_, &raw);
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return Status::Refused("store " + options.data_dir + " is in use by another process");
  }
  SEVER_RETURN_IF_ERROR(detail::from_rocks(s, "open store " + options.data_dir));
  store->db_.reset(raw);
  store->write_options_.sync = options.sync_writes;
  store->keyring_ = std::make_unique<Keyring>(raw, store->cfs_[schema::kKeys],
                                              store->cfs_[schema::kDekCounters],
                                              store->kek_.get(), options.dek_cache_capacity);
  return store;
}

Result<std::unique_ptr<Store>> Store::Create(const StoreOptions& options,
                                             const std::string& actor) {
  if (options.data_dir.empty()) return Status::InvalidArgument("no data directory given");
  if (!dir_is_empty_or_absent(options.data_dir)) {
    return Status::AlreadyExists("data directory " + options.data_dir +
                                 " already exists and is not empty");
  }
  const bool is_file = options.key_source.starts_with("file:");
  for (const fs::path& p : {fs::path(options.data_dir), fs::path(is_file ? options.key_source.substr(5) : "")}) {
    std::error_code ec;
    if (p.empty()) continue;
    fs::path full = fs::absolute(p, ec).lexically_normal();
    if (!full.has_filename()) full = full.parent_path();  // "dir/" names dir
    fs::path parent = full.parent_path();
    if (!fs::is_directory(parent, ec)) {
      return Status::InvalidArgument("directory " + parent.string() + " (for " + p.string() +
                                     ") does not exist");
    }
  }
  auto kek = create_key_source(options.key_source);
  if (!kek.ok() && !is_file && kek.status().code() == Code::already_exists) {
    kek = open_key_source(options.key_source);  // init may adopt an existing HSM key
  }
  if (!kek.ok()) return kek.status();
  std::error_code ec;
  const bool made_dir = !fs::exists(options.data_dir, ec);
  auto undo = [&] {
    if (made_dir) fs::remove_all(options.data_dir, ec);
    else for (auto& e : fs::directory_iterator(options.data_dir, ec)) fs::remove_all(e, ec);
    if (is_file) fs::remove(options.key_source.substr(5), ec);
  };
  fs::create_directories(options.data_dir, ec);
  if (ec || ::chmod(options.data_dir.c_str(), 0700) != 0) {
    undo();
    return Status::IoError("cannot create data directory " + options.data_dir);
  }
  auto build = [&]() -> Result<std::unique_ptr<Store>> {
    SEVER_ASSIGN_OR_RETURN(auto store, OpenDb(options, true, std::move(kek).value()));
    SEVER_ASSIGN_OR_RETURN(std::string check,
                           store->kek_->Wrap(SecretBytes(kKekCheckPlain), kKekCheckContext));
    SEVER_ASSIGN_OR_RETURN(SecretBytes chain_key, crypto::random_key());
    SEVER_ASSIGN_OR_RETURN(std::string wrapped_chain, store->kek_->Wrap(chain_key, kAuditKeyContext));
    store->audit_ = std::make_unique<AuditLog>(store->db(), store->cfs_[schema::kAudit],
                                               store->cfs_[schema::kMeta], std::move(chain_key),
                                               AuditHead{});
    rocksdb::WriteBatch b;
    auto* meta = store->cfs_[schema::kMeta];
    b.Put(meta, schema::kMetaFormat, schema::kLayoutVersion);
    b.Put(meta, schema::kMetaCreatedAt, std::to_string(now_unix()));
    b.Put(meta, schema::kMetaKekCheck, check);
    b.Put(meta, schema::kMetaAuditKey, wrapped_chain);
    b.Put(meta, schema::kMetaKeySource, store->kek_->spec());
    SEVER_RETURN_IF_ERROR(store->CommitImpl(
        &b, {{actor, "store.init", "*", nlohmann::json{{"key_source", store->kek_->spec()}}.dump()}},
        true));
    return store;
  };
  auto r = build();
  if (!r.ok()) undo();
  return r;
}

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  if (options.data_dir.empty()) return Status::InvalidArgument("no data directory given");
  std::error_code ec;
  if (!fs::exists(fs::path(options.data_dir) / "CURRENT", ec)) {
    return Status::NotFound("no sever store at " + options.data_dir + " (run `sever init`)");
  }
  // Check the master key on a read-only handle, so a wrong key writes nothing.
  std::string check, wrapped_chain, format, head_value, recorded_spec;
  {
    rocksdb::DB* ro = nullptr;
    std::vector<rocksdb::ColumnFamilyHandle*> hs;
    auto descs = detail::cf_descriptors();
    auto s = rocksdb::DB::OpenForReadOnly(detail::db_options(), options.data_dir,
                                          {descs[schema::kMeta]}, &hs, &ro);
    SEVER_RETURN_IF_ERROR(detail::from_rocks(s, "open store " + options.data_dir));
    rocksdb::ReadOptions rd;
    auto s1 = ro->Get(rd, hs[0], schema::kMetaFormat, &format);
    auto s2 = ro->Get(rd, hs[0], schema::kMetaKekCheck, &check);
    auto s3 = ro->Get(rd, hs[0], schema::kMetaAuditKey, &wrapped_chain);
    auto s4 = ro->Get(rd, hs[0], schema::kMetaAuditHead, &head_value);
    (void)ro->Get(rd, hs[0], schema::kMetaKeySource, &recorded_spec);
    for (auto* h : hs) ro->DestroyColumnFamilyHandle(h);
    delete ro;
    if (!s1.ok() || !s2.ok() || !s3.ok() || !s4.ok()) {
      return Status::Corruption("store " + options.data_dir + " lacks its metadata (not a sever "
                                "store, or an interrupted init)");
    }
  }
  if (format != schema::kLayoutVersion) {
    return Status::Corruption("store " + options.data_dir + " has layout version " + format +
                              ", this build reads " + std::string(schema::kLayoutVersion));
  }
  // After a master-key rotation the store records the spec it was rotated to: name it.
  const std::string hint =
      !recorded_spec.empty() && recorded_spec != options.key_source
          ? "; this store's master key is " + recorded_spec + " (pass --key-source " +
                recorded_spec + ")"
          : "";
  auto kek = open_key_source(options.key_source);
  if (!kek.ok()) return Status(kek.status().code(), kek.status().message() + hint);
  auto plain = (*kek)->Unwrap(check, kKekCheckContext);
  if (!plain.ok() || !constant_time_equal(plain->view(), kKekCheckPlain)) {
    return Status::KeyMismatch("master key does not match this store (key source " +
                               (*kek)->spec() + ", store " + options.data_dir + ")" + hint);
  }
  SEVER_ASSIGN_OR_RETURN(SecretBytes chain_key, (*kek)->Unwrap(wrapped_chain, kAuditKeyContext));
  AuditHead head;
  SEVER_RETURN_IF_ERROR(AuditLog::DecodeHead(head_value, &head));
  SEVER_ASSIGN_OR_RETURN(auto store, OpenDb(options, false, std::move(kek).value()));
  store->audit_ = std::make_unique<AuditLog>(store->db(), store->cfs_[schema::kAudit],
                                             store->cfs_[schema::kMeta], std::move(chain_key),
                                             std::move(head));
  return store;
}

Status Store::Commit(rocksdb::WriteBatch* batch, const std::vector<AuditEvent>& events) {
  return CommitImpl(batch, events, false);
}

Status Store::CommitImpl(rocksdb::WriteBatch* batch, const std::vector<AuditEvent>& events,
                         bool sync) {
  rocksdb::WriteOptions wo = write_options_;
  wo.sync = wo.sync || sync;
  if (events.empty()) {  // nothing to chain: writers need not queue behind each other
    return detail::from_rocks(db_->Write(wo, batch), "commit");
  }
  std::lock_guard lock(commit_mu_);
  AuditHead next;
  std::string head_value;
  auto rows = audit_->Prepare(events, now_unix_ms(), &next, &head_value);
  for (auto& [k, v] : rows) batch->Put(cfs_[schema::kAudit], k, v);
  if (!rows.empty()) batch->Put(cfs_[schema::kMeta], schema::kMetaAuditHead, head_value);
  SEVER_RETURN_IF_ERROR(detail::from_rocks(db_->Write(wo, batch), "commit"));
  audit_->Advance(std::move(next));
  return Status::Ok();
}

Status Store::WithCommitLock(const std::function<Status(AuditLog&)>& fn) {
  std::lock_guard lock(commit_mu_);
  return fn(*audit_);
}

Result<Credential> Store::GetRecord(std::string_view tenant, std::string_view id) const {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), cfs_[schema::kCreds], schema::cred_key(tenant, id),
                    &value);
  if (s.IsNotFound()) {
    return Status::NotFound("no credential " + std::string(tenant) + "/" + std::string(id));
  }
  SEVER_RETURN_IF_ERROR(detail::from_rocks(s, "read credential"));
  Credential c;
  SEVER_RETURN_IF_ERROR(decode_record(tenant, id, value, &c));
  return c;
}

std::vector<Result<Credential>> Store::GetRecords(
    const std::vector<std::pair<std::string_view, std::string_view>>& keys) const {
  if (keys.empty()) return {};  // a batch of items that all end without a record
  std::vector<std::string> raw;
  raw.reserve(keys.size());
  for (const auto& [tenant, id] : keys) raw.push_back(schema::cred_key(tenant, id));
  std::vector<rocksdb::Slice> slices(raw.begin(), raw.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // see the contract: a bulk pass must not churn the block cache
  db_->MultiGet(ro, cfs_[schema::kCreds], keys.size(), slices.data(),
                values.data(), statuses.data());
  std::vector<Result<Credential>> out;
  out.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const auto& [tenant, id] = keys[i];
    if (statuses[i].IsNotFound()) {
      out.push_back(Status::NotFound("no credential " + std::string(tenant) + "/" + std::string(id)));
      continue;
    }
    if (Status s = detail::from_rocks(statuses[i], "read credential"); !s.ok()) {
      out.push_back(s);
      continue;
    }
    Credential c;
    Status s = decode_record(tenant, id, values[i].ToStringView(), &c);
    out.push_back(s.ok() ? Result<Credential>(std::move(c)) : Result<Credential>(s));
  }
  return out;
}

Result<SecretBytes> Store::GetSecret(std::string_view tenant, std::string_view id,
                                     const std::string& actor) {
  SEVER_ASSIGN_OR_RETURN(Credential c, GetRecord(tenant, id));
  const std::string target = std::string(tenant) + "/" + std::string(id);
  std::string refusal;
  SEVER_ASSIGN_OR_RETURN(auto frozen, frozen_by(*this, c));
  if (c.state == State::revoked) refusal = "credential " + target + " is revoked";
  else if (frozen) refusal = "credential " + target + " is frozen by revocation job " + *frozen;
  else if (c.sealed.empty()) refusal = "credential " + target + " has no secret (erased)";
  if (!refusal.empty()) {
    rocksdb::WriteBatch b;
    SEVER_RETURN_IF_ERROR(Commit(&b, {{actor, "secret.read.refused", target,
                                       nlohmann::json{{"reason", refusal}}.dump()}}));
    return Status::Refused(refusal);
  }
  SEVER_ASSIGN_OR_RETURN(SecretBytes secret, OpenSealed(c));
  rocksdb::WriteBatch b;
  SEVER_RETURN_IF_ERROR(Commit(&b, {{actor, "secret.read", target,
                                     "{\"dek_version\":" + std::to_string(c.dek_version) + "}"}}));
  return secret;
}

Result<SecretBytes> Store::OpenSealed(const Credential& c) {
  auto r = OpenWithItsDek(c);
  // A rotation may have re-sealed the record and destroyed the DEK `c` names since `c` was
  // read: read the record again and open it under the version it names now.
  uint32_t version = c.dek_version;
  for (int again = 0; again < 3 && r.status().code() == Code::not_found; ++again) {
    auto fresh = GetRecord(c.tenant, c.id);
    if (!fresh.ok()) return fresh.status();
    if (fresh->dek_version == version) break;  // not moved: the DEK is really gone
    version = fresh->dek_version;
    r = OpenWithItsDek(*fresh);
  }
  return r;
}

Result<SecretBytes> Store::OpenWithItsDek(const Credential& c) {
  if (c.sealed.empty()) {
    return Status::Refused("credential " + c.tenant + "/" + c.id + " has no secret (erased)");
  }
  SEVER_ASSIGN_OR_RETURN(auto dek, keyring_->Key(c.tenant, c.dek_version));
  SEVER_ASSIGN_OR_RETURN(auto aead, crypto::Aead::Create(*dek));
  SecretBytes secret;
  Status opened = aead.Open(c.sealed, secret_aad(c.tenant, c.id, c.dek_version), &secret);
  if (!opened.ok()) return opened.Prefixed(c.tenant + "/" + c.id);  // named only on failure
  return secret;
}

Result<DekEntry> Store::EnsurePrimaryDek(std::string_view tenant, uint64_t headroom,
                                         const std::string& actor) {
  auto fits = [&](const std::optional<DekEntry>& p) {
    return p && p->encryptions + headroom < kMaxEncryptionsPerDek;
  };
  SEVER_ASSIGN_OR_RETURN(auto primary, keyring_->Primary(tenant));
  if (fits(primary)) return *primary;  // the common case takes no global lock
  std::lock_guard lock(dek_mu_);
  SEVER_ASSIGN_OR_RETURN(primary, keyring_->Primary(tenant));
  if (fits(primary)) return *primary;
  rocksdb::WriteBatch b;
  std::vector<AuditEvent> events;
  SEVER_ASSIGN_OR_RETURN(DekEntry dek, AddNextDek(tenant, primary,
                                                  primary ? "encryption limit" : "new tenant",
                                                  actor, &b, &events));
  SEVER_RETURN_IF_ERROR(Commit(&b, events));
  return dek;
}

Result<DekEntry> Store::AddNextDek(std::string_view tenant, std::optional<DekEntry> primary,
                                   std::string_view reason, const std::string& actor,
                                   rocksdb::WriteBatch* batch, std::vector<AuditEvent>* events) {
  const int64_t now = now_unix();
  const uint32_t version = primary ? primary->version + 1 : 1;
  SEVER_ASSIGN_OR_RETURN(NewDek dek, keyring_->Generate(tenant, version, now));
  batch->Put(cfs_[schema::kKeys], schema::dek_key(tenant, version), Keyring::Encode(dek.entry));
  if (primary) {
    primary->state = DekState::decrypt_only;
    primary->state_changed_at = now;
    batch->Put(cfs_[schema::kKeys], schema::dek_key(tenant, primary->version),
               Keyring::Encode(*primary));
  }
  events->push_back({actor, "dek.create", std::string(tenant),
                     nlohmann::json{{"version", version}, {"reason", reason}}.dump()});
  return dek.entry;
}

Status Store::WithDekLock(const std::function<Status()>& fn) {
  std::lock_guard lock(dek_mu_);
  return fn();
}

std::vector<std::unique_lock<std::mutex>> Store::LockTenants(
    const std::vector<std::string>& tenants) {
  std::vector<std::mutex*> mus;
  for (const auto& t : tenants) mus.push_back(&TenantLock(t));
  std::sort(mus.begin(), mus.end(), std::less<std::mutex*>());
  mus.erase(std::unique(mus.begin(), mus.end()), mus.end());
  std::vector<std::unique_lock<std::mutex>> held;
  for (auto* m : mus) held.emplace_back(*m);
  return held;
}

Status Store::Put(NewCredential cred, bool upsert, const std::string& actor) {
  Credential& c = cred.meta;
  const int64_t now = now_unix();
  SEVER_RETURN_IF_ERROR(detail::validate_credential(c, cred.secret));
  c.state = initial_state(c, now);
  c.state_changed_at = now;
  std::lock_guard row_lock(TenantLock(c.tenant));
  auto old = GetRecord(c.tenant, c.id);
  if (old.ok() && !upsert) {
    return Status::AlreadyExists("credential " + c.tenant + "/" + c.id + " already exists");
  }
  if (!old.ok() && old.status().code() != Code::not_found) return old.status();
  SEVER_ASSIGN_OR_RETURN(DekEntry dek, EnsurePrimaryDek(c.tenant, 1, actor));
  SEVER_ASSIGN_OR_RETURN(auto key, keyring_->Key(c.tenant, dek.version));
  SEVER_ASSIGN_OR_RETURN(auto aead, crypto::Aead::Create(*key));
  c.dek_version = dek.version;
  c.sealed.clear();
  SEVER_RETURN_IF_ERROR(aead.Seal(cred.secret.view(), secret_aad(c.tenant, c.id, dek.version), &c.sealed));
  rocksdb::WriteBatch b;
  if (old.ok()) {
    b.Delete(cfs_[schema::kByTool], schema::tool_key(old->tool, c.tenant, c.id));
    if (!old->user.empty()) {
      b.Delete(cfs_[schema::kByUser], schema::user_key(c.tenant, old->user, c.id));
    }
  }
  b.Put(cfs_[schema::kCreds], schema::cred_key(c.tenant, c.id), encode_record(c));
  b.Put(cfs_[schema::kByTool], schema::tool_key(c.tool, c.tenant, c.id), "");
  if (!c.user.empty()) b.Put(cfs_[schema::kByUser], schema::user_key(c.tenant, c.user, c.id), "");
  b.Merge(cfs_[schema::kDekCounters], schema::dek_key(c.tenant, dek.version),
          Keyring::CounterDelta(1));
  return Commit(&b, {{actor, old.ok() ? "credential.replace" : "credential.create",
                      c.tenant + "/" + c.id, nlohmann::json{{"tool", c.tool}}.dump()}});
}

}  // namespace sever

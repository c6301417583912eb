#include "sever/store/import.h"

#include <unistd.h>

#include <unordered_map>

#include <nlohmann/json.hpp>

#include "json_line.h"
#include "line_reader.h"
#include "schema.h"
#include "staging.h"
#include "sever/store/crypto.h"
#include "sever/store/lifecycle.h"
#include "sever/store/time.h"

namespace sever {
namespace {

// The most one import may seal under one DEK; a primary DEK closer than this to
// kMaxEncryptionsPerDek is replaced by a new version before the import seals with it.
constexpr uint64_t kImportHeadroom = uint64_t{1} << 24;

// The DEK an import seals a tenant's records with.
struct TenantKey {
  uint32_t version = 0;
  crypto::Aead aead;
  uint64_t sealed = 0;
};

class Importer {
 public:
  Importer(Store& store, const ImportOptions& options) : store_(store), options_(options) {}

  Result<ImportStats> Run(std::FILE* in) {
    const std::string staging_dir = store_.options().data_dir + "/.import-staging";
    SEVER_ASSIGN_OR_RETURN(staging_, detail::Staging::Create(staging_dir));
    now_ = now_unix();
    detail::LineReader reader(in);
    detail::JsonLineParser parser;
    NewCredential cred;
    std::string_view line;
    while (reader.Next(&line)) {
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      Status s = parser.Parse(line, &cred);
      if (s.ok()) s = Stage(cred, reader.line_number());
      if (!s.ok()) return LineError(reader.line_number(), s);
    }
    SEVER_RETURN_IF_ERROR(reader.status().Prefixed(options_.source));
    stats_.lines = reader.line_number();
    SEVER_RETURN_IF_ERROR(Commit());
    return stats_;
  }

 private:
  Status LineError(uint64_t line, const Status& s) const {
    return Status(s.code() == Code::io_error || s.code() == Code::crypto_error ? s.code()
                                                                               : Code::invalid_argument,
                  options_.source + " line " + std::to_string(line) + ": " + s.message());
  }

  Result<TenantKey*> KeyFor(const std::string& tenant) {
    auto it = keys_.find(tenant);
    if (it != keys_.end()) {
      if (it->second.sealed >= kImportHeadroom) {
        return Status::InvalidArgument("tenant " + tenant + " has more than " +
                                       std::to_string(kImportHeadroom) +
                                       " credentials in one import; split the file");
      }
      return &it->second;
    }
    SEVER_ASSIGN_OR_RETURN(auto primary, store_.keyring().Primary(tenant));
    std::shared_ptr<const SecretBytes> key;
    uint32_t version;
    if (primary && primary->encryptions + kImportHeadroom < kMaxEncryptionsPerDek) {
      version = primary->version;
      SEVER_ASSIGN_OR_RETURN(key, store_.keyring().Key(tenant, version));
    } else {
      version = primary ? primary->version + 1 : 1;
      SEVER_ASSIGN_OR_RETURN(NewDek dek, store_.keyring().Generate(tenant, version, now_));
      key = dek.key;
      new_deks_.rows[schema::dek_key(tenant, version)] = Keyring::Encode(dek.entry);
      if (primary) {  // the old primary keeps opening its records
        primary->state = DekState::decrypt_only;
        primary->state_changed_at = now_;
        new_deks_.rows[schema::dek_key(tenant, primary->version)] = Keyring::Encode(*primary);
      }
      events_.push_back({options_.actor, "dek.create", tenant,
                         "{\"version\":" + std::to_string(version) + ",\"reason\":\"" +
                             (primary ? "encryption limit" : "new tenant") + "\"}"});
      ++stats_.new_deks;
    }
    SEVER_ASSIGN_OR_RETURN(auto aead, crypto::Aead::Create(*key));
    auto [pos, _] = keys_.emplace(tenant, TenantKey{version, std::move(aead), 0});
    return &pos->second;
  }

  Status Stage(NewCredential& cred, uint64_t line) {
    Credential& c = cred.meta;
    const std::string key = schema::cred_key(c.tenant, c.id);
    std::string old_value;
    auto s = store_.db()->Get(rocksdb::ReadOptions(), store_.cf(schema::kCreds), key, &old_value);
    const bool exists = s.ok();
    if (!exists && !s.IsNotFound()) return Status::IoError("read store: " + s.ToString());
    if (exists && !options_.upsert) {
      return Status::AlreadyExists("credential " + c.tenant + "/" + c.id +
                                   " already exists in the store (use --upsert to replace it)");
    }
    SEVER_ASSIGN_OR_RETURN(TenantKey * tk, KeyFor(c.tenant));
    c.state = initial_state(c, now_);
    c.state_changed_at = now_;
    c.dek_version = tk->version;
    c.sealed.clear();
    SEVER_RETURN_IF_ERROR(
        tk->aead.Seal(cred.secret.view(), secret_aad(c.tenant, c.id, tk->version), &c.sealed));
    cred.secret.clear();
    SEVER_ASSIGN_OR_RETURN(uint64_t first, staging_->PutRecord(key, line, encode_record(c)));
    if (first != 0) {
      return Status::InvalidArgument("credential " + c.tenant + "/" + c.id +
                                     " appears twice (first on line " + std::to_string(first) + ")");
    }
    ++tk->sealed;
    if (exists) {
      Credential old;
      SEVER_RETURN_IF_ERROR(decode_record(c.tenant, c.id, old_value, &old));
      if (old.tool != c.tool) {
        SEVER_RETURN_IF_ERROR(staging_->PutIndex(schema::kByTool,
                                                 schema::tool_key(old.tool, c.tenant, c.id), true));
      }
      if (old.user != c.user && !old.user.empty()) {
        SEVER_RETURN_IF_ERROR(staging_->PutIndex(schema::kByUser,
                                                 schema::user_key(c.tenant, old.user, c.id), true));
      }
      ++stats_.replaced;
    } else {
      ++stats_.created;
    }
    SEVER_RETURN_IF_ERROR(
        staging_->PutIndex(schema::kByTool, schema::tool_key(c.tool, c.tenant, c.id), false));
    if (!c.user.empty()) {
      SEVER_RETURN_IF_ERROR(
          staging_->PutIndex(schema::kByUser, schema::user_key(c.tenant, c.user, c.id), false));
    }
    return Status::Ok();
  }

  // Turns the staging rows into SST files and ingests them, with DEKs, counters and the audit
  // entries, in one atomic step under the store's commit lock.
  Status Commit() {
    detail::SmallRows counters{schema::kDekCounters, detail::SmallRows::Op::merge, {}};
    for (const auto& [tenant, tk] : keys_) {
      if (tk.sealed > 0) counters.rows[schema::dek_key(tenant, tk.version)] =
                             Keyring::CounterDelta(tk.sealed);
    }
    events_.push_back({options_.actor, "import", "*",
                       nlohmann::json{{"source", options_.source},
                                      {"created", stats_.created},
                                      {"replaced", stats_.replaced},
                                      {"new_deks", stats_.new_deks}}
                           .dump()});
    return store_.WithCommitLock([&](AuditLog& audit) -> Status {
      AuditHead next;
      std::string head_value;
      auto rows = audit.Prepare(events_, now_unix_ms(), &next, &head_value);
      detail::SmallRows audit_rows{schema::kAudit, detail::SmallRows::Op::put,
                                   {rows.begin(), rows.end()}};
      detail::SmallRows meta{schema::kMeta, detail::SmallRows::Op::put,
                             {{std::string(schema::kMetaAuditHead), head_value}}};
      std::vector<rocksdb::ColumnFamilyHandle*> cfs;
      for (size_t i = 0; i < schema::kCfCount; ++i) cfs.push_back(store_.cf(i));
      SEVER_ASSIGN_OR_RETURN(auto args,
                             staging_->WriteSsts(cfs, {new_deks_, counters, audit_rows, meta}));
      auto s = store_.db()->IngestExternalFiles(args);
      if (!s.ok()) return Status::IoError("ingest import: " + s.ToString());
      audit.Advance(std::move(next));
      return Status::Ok();
    });
  }

  Store& store_;
  const ImportOptions& options_;
  std::unique_ptr<detail::Staging> staging_;
  int64_t now_ = 0;
  std::unordered_map<std::string, TenantKey> keys_;
  detail::SmallRows new_deks_{schema::kKeys, detail::SmallRows::Op::put, {}};
  std::vector<AuditEvent> events_;
  ImportStats stats_;
};

}  // namespace

Result<ImportStats> import_jsonl(Store& store, std::FILE* in, const ImportOptions& options) {
  Importer importer(store, options);
  return importer.Run(in);
}

}  // namespace sever

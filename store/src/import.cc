#include "sever/store/import.h"

#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "external_sort.h"
#include "json_line.h"
#include "line_reader.h"
#include "schema.h"
#include "sever/store/crypto.h"
#include "sever/store/lifecycle.h"
#include "sever/store/time.h"
#include "sst_sink.h"

namespace sever {
namespace {

// The most one import may seal under one DEK; a primary DEK closer than this to
// kMaxEncryptionsPerDek is replaced by a new version before the import seals with it.
constexpr uint64_t kImportHeadroom = uint64_t{1} << 24;
constexpr uint8_t kPut = 0, kDelete = 1;

using MaybeArg = std::optional<rocksdb::IngestExternalFileArg>;

// The DEK an import seals a tenant's records with.
struct TenantKey {
  uint32_t version = 0;
  crypto::Aead aead;
  uint64_t sealed = 0;
};

// The staging directory beside the store's files, removed however the import ends.
struct StagingDir {
  std::string path;
  explicit StagingDir(std::string p) : path(std::move(p)) {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);  // left by a crashed import
    std::filesystem::create_directories(path, ec);
  }
  ~StagingDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// The first bad line found while merging (the lowest line number wins).
struct LineFault {
  uint64_t line = 0;
  Status status;
  void Offer(uint64_t l, Status s) {
    if (line == 0 || l < line) {
      line = l;
      status = std::move(s);
    }
  }
};

std::string row_name(std::string_view key) {
  std::string_view tenant, id;
  schema::split2(key, &tenant, &id);
  return std::string(tenant) + "/" + std::string(id);
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

class Importer {
 public:
  Importer(Store& store, const ImportOptions& options)
      : store_(store), options_(options),
        staging_(store.options().data_dir + "/.import-staging"),
        creds_(staging_.path, "creds", options.memory_budget_bytes / 3 * 2),
        tools_(staging_.path, "by_tool", options.memory_budget_bytes / 6),
        users_(staging_.path, "by_user", options.memory_budget_bytes / 6) {}

  Result<ImportStats> Run(std::FILE* in) {
    if (!std::filesystem::is_directory(staging_.path)) {
      return Status::IoError("cannot create " + staging_.path);
    }
    now_ = now_unix();
    const auto start = std::chrono::steady_clock::now();
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
    stats_.parse_seconds = Seconds(start);
    SEVER_RETURN_IF_ERROR(Commit());
    return stats_;
  }

 private:
  Status LineError(uint64_t line, const Status& s) const {
    Code code = s.code() == Code::io_error || s.code() == Code::crypto_error
                    ? s.code() : Code::invalid_argument;
    return Status(code, options_.source + " line " + std::to_string(line) + ": " + s.message());
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
      new_deks_[schema::dek_key(tenant, version)] = Keyring::Encode(dek.entry);
      if (primary) {  // the old primary keeps opening its records
        primary->state = DekState::decrypt_only;
        primary->state_changed_at = now_;
        new_deks_[schema::dek_key(tenant, primary->version)] = Keyring::Encode(*primary);
      }
      events_.push_back({options_.actor, "dek.create", tenant,
                         nlohmann::json{{"version", version},
                                        {"reason", primary ? "encryption limit" : "new tenant"}}
                             .dump()});
      ++stats_.new_deks;
    }
    SEVER_ASSIGN_OR_RETURN(auto aead, crypto::Aead::Create(*key));
    auto [pos, _] = keys_.emplace(tenant, TenantKey{version, std::move(aead), 0});
    return &pos->second;
  }

  // Seals one credential and buffers its record and index rows.
  Status Stage(NewCredential& cred, uint64_t line) {
    Credential& c = cred.meta;
    SEVER_ASSIGN_OR_RETURN(TenantKey * tk, KeyFor(c.tenant));
    c.state = initial_state(c, now_);
    c.state_changed_at = now_;
    c.dek_version = tk->version;
    c.sealed.clear();
    SEVER_RETURN_IF_ERROR(
        tk->aead.Seal(cred.secret.view(), secret_aad(c.tenant, c.id, tk->version), &c.sealed));
    cred.secret.clear();
    ++tk->sealed;
    SEVER_RETURN_IF_ERROR(creds_.Add(schema::cred_key(c.tenant, c.id), encode_record(c), line, kPut));
    SEVER_RETURN_IF_ERROR(tools_.Add(schema::tool_key(c.tool, c.tenant, c.id), "", line, kPut));
    if (!c.user.empty()) {
      SEVER_RETURN_IF_ERROR(users_.Add(schema::user_key(c.tenant, c.user, c.id), "", line, kPut));
    }
    return Status::Ok();
  }

  std::string SstPath(size_t cf) const {
    return staging_.path + "/" + schema::kCfNames[cf] + ".sst";
  }

  // Writes the records' SST in key order, joined with the store's records: an id twice in the
  // input, or already stored without upsert, is a fault of its line. Upserts queue deletions of
  // the index entries that the replaced record had and the new one does not.
  Result<MaybeArg> WriteRecords(LineFault* fault) {
    detail::SstSink sink(schema::kCreds, store_.cf(schema::kCreds), SstPath(schema::kCreds));
    SEVER_ASSIGN_OR_RETURN(auto reader, creds_.Read());
    std::unique_ptr<rocksdb::Iterator> stored(
        store_.db()->NewIterator(rocksdb::ReadOptions(), store_.cf(schema::kCreds)));
    stored->SeekToFirst();
    std::string prev_key;
    uint64_t prev_line = 0;
    detail::SortRow row;
    while (reader->Next(&row)) {
      if (row.key == prev_key) {
        fault->Offer(row.line, Status::InvalidArgument(
                                   "credential " + row_name(row.key) + " appears twice (first on line " +
                                   std::to_string(prev_line) + ")"));
        continue;
      }
      prev_key.assign(row.key);
      prev_line = row.line;
      if (stored->Valid() && stored->key().compare(row.key) < 0) stored->Seek(row.key);
      if (stored->Valid() && stored->key() == row.key) {
        SEVER_RETURN_IF_ERROR(Replace(row, stored->value().ToStringView(), fault));
      } else {
        ++stats_.created;
      }
      SEVER_RETURN_IF_ERROR(sink.Put(row.key, row.value));
    }
    SEVER_RETURN_IF_ERROR(reader->status());
    if (!stored->status().ok()) return Status::IoError("scan store: " + stored->status().ToString());
    return sink.Finish();
  }

  Status Replace(const detail::SortRow& row, std::string_view old_value, LineFault* fault) {
    if (!options_.upsert) {
      fault->Offer(row.line, Status::InvalidArgument(
                                 "credential " + row_name(row.key) +
                                 " already exists in the store (use --upsert to replace it)"));
      return Status::Ok();
    }
    std::string_view tenant, id;
    schema::split2(row.key, &tenant, &id);
    Credential old, now;
    SEVER_RETURN_IF_ERROR(decode_record(tenant, id, old_value, &old));
    SEVER_RETURN_IF_ERROR(decode_record(tenant, id, row.value, &now));
    if (old.tool != now.tool) {
      SEVER_RETURN_IF_ERROR(tools_.Add(schema::tool_key(old.tool, tenant, id), "", row.line, kDelete));
    }
    if (old.user != now.user && !old.user.empty()) {
      SEVER_RETURN_IF_ERROR(users_.Add(schema::user_key(tenant, old.user, id), "", row.line, kDelete));
    }
    ++stats_.replaced;
    return Status::Ok();
  }

  Result<MaybeArg> WriteIndex(size_t cf, detail::ExternalSorter& rows) {
    detail::SstSink sink(cf, store_.cf(cf), SstPath(cf));
    SEVER_ASSIGN_OR_RETURN(auto reader, rows.Read());
    detail::SortRow row;
    while (reader->Next(&row)) {
      SEVER_RETURN_IF_ERROR(row.op == kDelete ? sink.Delete(row.key) : sink.Put(row.key, ""));
    }
    SEVER_RETURN_IF_ERROR(reader->status());
    return sink.Finish();
  }

  Result<MaybeArg> WriteSmall(size_t cf, const std::map<std::string, std::string>& rows,
                              bool merge) {
    detail::SstSink sink(cf, store_.cf(cf), SstPath(cf));
    for (const auto& [k, v] : rows) {
      SEVER_RETURN_IF_ERROR(merge ? sink.Merge(k, v) : sink.Put(k, v));
    }
    return sink.Finish();
  }

  // Under the store's commit lock: writes every SST, then ingests them all in one atomic step
  // with the DEKs, their counters and the audit entries.
  Status Commit() {
    return store_.WithCommitLock([&](AuditLog& audit) -> Status {
      std::vector<rocksdb::IngestExternalFileArg> args;
      auto take = [&](Result<MaybeArg> r) -> Status {
        if (!r.ok()) return r.status();
        if (r->has_value()) args.push_back(std::move(**r));
        return Status::Ok();
      };
      const auto start = std::chrono::steady_clock::now();
      LineFault fault;
      if (options_.upsert) {  // upserts add index deletions while the records are merged
        SEVER_RETURN_IF_ERROR(take(WriteRecords(&fault)));
        if (fault.line != 0) return LineError(fault.line, fault.status);
        SEVER_RETURN_IF_ERROR(take(WriteIndex(schema::kByTool, tools_)));
        SEVER_RETURN_IF_ERROR(take(WriteIndex(schema::kByUser, users_)));
      } else {  // the indexes merge on a second core beside the records
        std::future<Result<MaybeArg>> tool_sst =
            std::async(std::launch::async, [&] { return WriteIndex(schema::kByTool, tools_); });
        auto user_sst = WriteIndex(schema::kByUser, users_);
        auto records = WriteRecords(&fault);
        auto tools = tool_sst.get();
        SEVER_RETURN_IF_ERROR(take(std::move(records)));
        if (fault.line != 0) return LineError(fault.line, fault.status);
        SEVER_RETURN_IF_ERROR(take(std::move(tools)));
        SEVER_RETURN_IF_ERROR(take(std::move(user_sst)));
      }
      std::map<std::string, std::string> counters;
      for (const auto& [tenant, tk] : keys_) {
        if (tk.sealed) counters[schema::dek_key(tenant, tk.version)] = Keyring::CounterDelta(tk.sealed);
      }
      events_.push_back({options_.actor, "import", "*",
                         nlohmann::json{{"source", options_.source}, {"created", stats_.created},
                                        {"replaced", stats_.replaced}, {"new_deks", stats_.new_deks}}
                             .dump()});
      AuditHead next;
      std::string head_value;
      auto rows = audit.Prepare(events_, now_unix_ms(), &next, &head_value);
      SEVER_RETURN_IF_ERROR(take(WriteSmall(schema::kKeys, new_deks_, false)));
      SEVER_RETURN_IF_ERROR(take(WriteSmall(schema::kDekCounters, counters, true)));
      SEVER_RETURN_IF_ERROR(take(WriteSmall(schema::kAudit, {rows.begin(), rows.end()}, false)));
      SEVER_RETURN_IF_ERROR(take(WriteSmall(
          schema::kMeta, {{std::string(schema::kMetaAuditHead), head_value}}, false)));
      stats_.write_seconds = Seconds(start);
      const auto ingest_start = std::chrono::steady_clock::now();
      auto s = store_.db()->IngestExternalFiles(args);
      if (!s.ok()) return Status::IoError("ingest import: " + s.ToString());
      stats_.ingest_seconds = Seconds(ingest_start);
      audit.Advance(std::move(next));
      return Status::Ok();
    });
  }

  Store& store_;
  const ImportOptions& options_;
  StagingDir staging_;
  detail::ExternalSorter creds_, tools_, users_;
  int64_t now_ = 0;
  std::unordered_map<std::string, TenantKey> keys_;
  std::map<std::string, std::string> new_deks_;
  std::vector<AuditEvent> events_;
  ImportStats stats_;
};

}  // namespace

Result<ImportStats> import_jsonl(Store& store, std::FILE* in, const ImportOptions& options) {
  Importer importer(store, options);
  return importer.Run(in);
}

}  // namespace sever

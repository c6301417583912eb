#include "sever/store/import.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "blocking_queue.h"
#include "external_sort.h"
#include "import_keys.h"
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
constexpr size_t kBatchBytes = 1 << 20;  // lines handed to a worker at once
constexpr size_t kMaxLine = 1 << 20;     // the LineReader's limit

using MaybeArg = std::optional<rocksdb::IngestExternalFileArg>;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

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

// The bad line with the lowest number found so far.
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

// Consecutive input lines, '\n'-separated; zeroized once parsed (they hold plaintext secrets).
struct Batch {
  uint64_t first_line = 0;
  std::string text;
};

std::string row_name(std::string_view key) {
  std::string_view tenant, id;
  schema::split2(key, &tenant, &id);
  return std::string(tenant) + "/" + std::string(id);
}

// Parses, validates and seals the lines of its batches into its own sorted rows.
class Worker {
 public:
  Worker(size_t index, const std::string& dir, size_t budget, detail::ImportKeys& keys,
         int64_t now, std::atomic<uint64_t>& first_fault)
      : creds(dir, "creds-" + std::to_string(index), budget / 3 * 2),
        tools(dir, "by_tool-" + std::to_string(index), budget / 6),
        users(dir, "by_user-" + std::to_string(index), budget / 6),
        queue(4), keys_(keys), now_(now), first_fault_(first_fault) {}

  void Start() { thread_ = std::thread([this] { Loop(); }); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  detail::ExternalSorter creds, tools, users;
  detail::BlockingQueue<Batch> queue;
  LineFault fault;
  std::unordered_map<std::string, uint64_t> sealed;  // dek_key(tenant, version) → seals

 private:
  struct SealKey {
    uint32_t version;
    crypto::Aead aead;
  };

  void Loop() {
    while (auto batch = queue.Pop()) {
      if (batch->first_line < first_fault_.load()) Parse(*batch);
      OPENSSL_cleanse(batch->text.data(), batch->text.size());
    }
  }

  void Parse(const Batch& b) {
    std::string_view rest = b.text;
    for (uint64_t line = b.first_line; !rest.empty(); ++line) {
      size_t nl = rest.find('\n');
      std::string_view l = rest.substr(0, nl);
      rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
      if (l.find_first_not_of(" \t") == std::string_view::npos) continue;
      Status s = parser_.Parse(l, &cred_);
      if (s.ok()) s = Stage(line);
      if (!s.ok()) {
        fault.Offer(line, s);
        uint64_t cur = first_fault_.load();
        while (line < cur && !first_fault_.compare_exchange_weak(cur, line)) {
        }
        return;
      }
    }
  }

  Result<SealKey*> KeyFor(const std::string& tenant) {
    if (auto it = aeads_.find(tenant); it != aeads_.end()) return &it->second;
    SEVER_ASSIGN_OR_RETURN(detail::ImportDek dek, keys_.Get(tenant, kImportHeadroom));
    SEVER_ASSIGN_OR_RETURN(auto aead, crypto::Aead::Create(*dek.key));
    return &aeads_.emplace(tenant, SealKey{dek.version, std::move(aead)}).first->second;
  }

  // Seals one credential and buffers its record and index rows.
  Status Stage(uint64_t line) {
    Credential& c = cred_.meta;
    SEVER_ASSIGN_OR_RETURN(SealKey * k, KeyFor(c.tenant));
    c.state = initial_state(c, now_);
    c.state_changed_at = now_;
    c.dek_version = k->version;
    c.sealed.clear();
    SEVER_RETURN_IF_ERROR(
        k->aead.Seal(cred_.secret.view(), secret_aad(c.tenant, c.id, k->version), &c.sealed));
    cred_.secret.clear();
    ++sealed[schema::dek_key(c.tenant, k->version)];
    SEVER_RETURN_IF_ERROR(creds.Add(schema::cred_key(c.tenant, c.id), encode_record(c), line, kPut));
    SEVER_RETURN_IF_ERROR(tools.Add(schema::tool_key(c.tool, c.tenant, c.id), "", line, kPut));
    if (!c.user.empty()) {
      SEVER_RETURN_IF_ERROR(users.Add(schema::user_key(c.tenant, c.user, c.id), "", line, kPut));
    }
    return Status::Ok();
  }

  detail::ImportKeys& keys_;
  const int64_t now_;
  std::atomic<uint64_t>& first_fault_;
  std::thread thread_;
  detail::JsonLineParser parser_;
  NewCredential cred_;
  std::unordered_map<std::string, SealKey> aeads_;
};

class Importer {
 public:
  Importer(Store& store, const ImportOptions& options)
      : store_(store), options_(options),
        staging_(store.options().data_dir + "/.import-staging"), now_(now_unix()),
        keys_(store, options.actor, now_) {
    const size_t n = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4);
    for (size_t i = 0; i < n; ++i) {
      workers_.push_back(std::make_unique<Worker>(i, staging_.path, options.memory_budget_bytes / n,
                                                  keys_, now_, first_fault_));
    }
  }

  ~Importer() {
    for (auto& w : workers_) w->queue.Close();
    for (auto& w : workers_) w->Join();
  }

  Result<ImportStats> Run(std::FILE* in) {
    if (!std::filesystem::is_directory(staging_.path)) {
      return Status::IoError("cannot create " + staging_.path);
    }
    const auto start = std::chrono::steady_clock::now();
    for (auto& w : workers_) w->Start();
    Status read_status = Distribute(in);
    for (auto& w : workers_) w->queue.Close();
    for (auto& w : workers_) w->Join();
    LineFault fault;
    for (auto& w : workers_) {
      if (w->fault.line) fault.Offer(w->fault.line, w->fault.status);
    }
    if (fault.line) {
      // An earlier line may be bad only in relation to others (a duplicate id, an id already
      // stored): every line before the parse fault was staged, so merging finds it.
      SEVER_RETURN_IF_ERROR(WriteRecords(&fault, /*write=*/false).status());
      return LineError(fault.line, fault.status);
    }
    SEVER_RETURN_IF_ERROR(read_status.Prefixed(options_.source));
    stats_.parse_seconds = seconds_since(start);
    SEVER_RETURN_IF_ERROR(Commit());
    return stats_;
  }

 private:
  // Reads lines and deals them to the workers in batches, round robin; stops at a fault.
  Status Distribute(std::FILE* in) {
    detail::LineReader reader(in, kMaxLine);
    std::string_view line;
    Batch batch;
    size_t next = 0;
    auto send = [&] {
      if (batch.text.empty()) return;
      workers_[next++ % workers_.size()]->queue.Push(std::move(batch));
      batch = Batch{};
    };
    while (first_fault_.load() == UINT64_MAX && reader.Next(&line)) {
      if (batch.text.empty()) {
        batch.first_line = reader.line_number();
        // Room for the largest batch up front: a reallocation would free a copy of plaintext
        // secrets without zeroizing it.
        batch.text.reserve(kBatchBytes + kMaxLine + 1);
      }
      batch.text.append(line).push_back('\n');
      if (batch.text.size() >= kBatchBytes) send();
    }
    send();
    stats_.lines = reader.line_number();
    return reader.status();
  }

  Status LineError(uint64_t line, const Status& s) const {
    Code code = s.code() == Code::io_error || s.code() == Code::crypto_error
                    ? s.code() : Code::invalid_argument;
    return Status(code, options_.source + " line " + std::to_string(line) + ": " + s.message());
  }

  std::string SstPath(size_t cf) const {
    return staging_.path + "/" + schema::kCfNames[cf] + ".sst";
  }

  Result<std::unique_ptr<detail::RowReader>> Merged(detail::ExternalSorter Worker::*sorter) {
    std::vector<std::unique_ptr<detail::RowReader>> in;
    for (auto& w : workers_) {
      SEVER_ASSIGN_OR_RETURN(auto r, ((*w).*sorter).Read());
      in.push_back(std::move(r));
    }
    return detail::merge_readers(std::move(in));
  }

  // Writes the records' SST in key order, joined with the store's records: an id twice in the
  // input, or already stored without upsert, is a fault of its line. Upserts queue deletions of
  // the index entries that the replaced record had and the new one does not.
  // With write=false it only looks for faults.
  Result<MaybeArg> WriteRecords(LineFault* fault, bool write = true) {
    detail::SstSink sink(schema::kCreds, store_.cf(schema::kCreds), SstPath(schema::kCreds));
    SEVER_ASSIGN_OR_RETURN(auto reader, Merged(&Worker::creds));
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
        if (!options_.upsert) {
          fault->Offer(row.line, Status::InvalidArgument(
                                     "credential " + row_name(row.key) +
                                     " already exists in the store (use --upsert to replace it)"));
        } else if (write) {
          SEVER_RETURN_IF_ERROR(Replace(row, stored->value().ToStringView()));
        }
      } else {
        ++stats_.created;
      }
      if (write) SEVER_RETURN_IF_ERROR(sink.Put(row.key, row.value));
    }
    SEVER_RETURN_IF_ERROR(reader->status());
    if (!stored->status().ok()) return Status::IoError("scan store: " + stored->status().ToString());
    if (!write) return MaybeArg();
    return sink.Finish();
  }

  // Queues the deletion of index entries the replaced record had and the new one lacks.
  Status Replace(const detail::SortRow& row, std::string_view old_value) {
    std::string_view tenant, id;
    schema::split2(row.key, &tenant, &id);
    Credential old, now;
    SEVER_RETURN_IF_ERROR(decode_record(tenant, id, old_value, &old));
    SEVER_RETURN_IF_ERROR(decode_record(tenant, id, row.value, &now));
    // Deletions join the first worker's index rows, which are read after the records.
    Worker& w = *workers_.front();
    if (old.tool != now.tool) {
      SEVER_RETURN_IF_ERROR(w.tools.Add(schema::tool_key(old.tool, tenant, id), "", row.line, kDelete));
    }
    if (old.user != now.user && !old.user.empty()) {
      SEVER_RETURN_IF_ERROR(w.users.Add(schema::user_key(tenant, old.user, id), "", row.line, kDelete));
    }
    ++stats_.replaced;
    return Status::Ok();
  }

  Result<MaybeArg> WriteIndex(size_t cf, detail::ExternalSorter Worker::*sorter) {
    detail::SstSink sink(cf, store_.cf(cf), SstPath(cf));
    SEVER_ASSIGN_OR_RETURN(auto reader, Merged(sorter));
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

  // Writes the records' and indexes' SSTs; the indexes on a second core unless upserts must
  // first add their deletions.
  Status WriteLarge(std::vector<rocksdb::IngestExternalFileArg>* args) {
    auto take = [&](Result<MaybeArg> r) -> Status {
      if (!r.ok()) return r.status();
      if (r->has_value()) args->push_back(std::move(**r));
      return Status::Ok();
    };
    LineFault fault;
    if (options_.upsert) {
      SEVER_RETURN_IF_ERROR(take(WriteRecords(&fault)));
      if (fault.line != 0) return LineError(fault.line, fault.status);
      SEVER_RETURN_IF_ERROR(take(WriteIndex(schema::kByTool, &Worker::tools)));
      return take(WriteIndex(schema::kByUser, &Worker::users));
    }
    auto indexes = std::async(std::launch::async, [&] {
      auto tools = WriteIndex(schema::kByTool, &Worker::tools);
      return std::make_pair(std::move(tools), WriteIndex(schema::kByUser, &Worker::users));
    });
    auto records = WriteRecords(&fault);
    auto [tools, users] = indexes.get();
    SEVER_RETURN_IF_ERROR(take(std::move(records)));
    if (fault.line != 0) return LineError(fault.line, fault.status);
    SEVER_RETURN_IF_ERROR(take(std::move(tools)));
    return take(std::move(users));
  }

  // Under the store's commit lock: writes every SST, then ingests them all in one atomic step
  // with the DEKs, their counters and the audit entries.
  Status Commit() {
    std::map<std::string, std::string> counters;
    std::map<std::string, uint64_t> per_tenant;
    for (auto& w : workers_) {
      for (const auto& [key, n] : w->sealed) {
        uint64_t sum = 0;
        auto cur = counters.find(key);
        if (cur != counters.end()) std::memcpy(&sum, cur->second.data(), 8);
        counters[key] = Keyring::CounterDelta(sum + n);
        if (sum + n > kImportHeadroom) {
          return Status::InvalidArgument("tenant " + key.substr(0, key.find('\0')) + " has more than " +
                                         std::to_string(kImportHeadroom) +
                                         " credentials in one import; split the file");
        }
      }
    }
    return store_.WithCommitLock([&](AuditLog& audit) -> Status {
      SEVER_RETURN_IF_ERROR(keys_.StillCurrent());
      const auto start = std::chrono::steady_clock::now();
      std::vector<rocksdb::IngestExternalFileArg> args;
      SEVER_RETURN_IF_ERROR(WriteLarge(&args));
      std::vector<AuditEvent> events = keys_.events();
      stats_.new_deks = keys_.created();
      events.push_back({options_.actor, "import", "*",
                        nlohmann::json{{"source", options_.source}, {"created", stats_.created},
                                       {"replaced", stats_.replaced}, {"new_deks", stats_.new_deks}}
                            .dump()});
      AuditHead next;
      std::string head_value;
      auto rows = audit.Prepare(events, now_unix_ms(), &next, &head_value);
      for (auto r : {WriteSmall(schema::kKeys, keys_.rows(), false),
                     WriteSmall(schema::kDekCounters, counters, true),
                     WriteSmall(schema::kAudit, {rows.begin(), rows.end()}, false),
                     WriteSmall(schema::kMeta, {{std::string(schema::kMetaAuditHead), head_value}},
                                false)}) {
        if (!r.ok()) return r.status();
        if (r->has_value()) args.push_back(std::move(**r));
      }
      stats_.write_seconds = seconds_since(start);
      const auto ingest_start = std::chrono::steady_clock::now();
      auto s = store_.db()->IngestExternalFiles(args);
      if (!s.ok()) return Status::IoError("ingest import: " + s.ToString());
      stats_.ingest_seconds = seconds_since(ingest_start);
      audit.Advance(std::move(next));
      return Status::Ok();
    });
  }

  Store& store_;
  const ImportOptions& options_;
  StagingDir staging_;
  const int64_t now_;
  detail::ImportKeys keys_;
  std::atomic<uint64_t> first_fault_{UINT64_MAX};
  std::vector<std::unique_ptr<Worker>> workers_;
  ImportStats stats_;
};

}  // namespace

Result<ImportStats> import_jsonl(Store& store, std::FILE* in, const ImportOptions& options) {
  Importer importer(store, options);
  return importer.Run(in);
}

}  // namespace sever

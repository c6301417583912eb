#include "staging.h"

#include <rocksdb/sst_file_writer.h>

#include <filesystem>

#include "coding.h"
#include "db_options.h"
#include "schema.h"

namespace sever::detail {
namespace {

constexpr char kIndexPut = 'p';
constexpr char kIndexDelete = 'd';

Status rocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  return Status::IoError(what + ": " + s.ToString());
}

// The staging handle for a store column family.
size_t staging_slot(size_t cf) {
  switch (cf) {
    case schema::kCreds: return 1;
    case schema::kByTool: return 2;
    case schema::kByUser: return 3;
    default: return 0;
  }
}

class SstOut {
 public:
  SstOut(const rocksdb::Options& o, rocksdb::ColumnFamilyHandle* cf, std::string path)
      : w_(rocksdb::EnvOptions(), o, cf), path_(std::move(path)) {}
  Status Open() { return rocks(w_.Open(path_), "create " + path_); }
  rocksdb::SstFileWriter& w() { return w_; }
  Result<bool> Finish() {  // false when nothing was written
    if (w_.FileSize() == 0 && entries_ == 0) return false;
    SEVER_RETURN_IF_ERROR(rocks(w_.Finish(), "finish " + path_));
    return true;
  }
  void count() { ++entries_; }
  const std::string& path() const { return path_; }

 private:
  rocksdb::SstFileWriter w_;
  std::string path_;
  uint64_t entries_ = 0;
};

}  // namespace

Result<std::unique_ptr<Staging>> Staging::Create(const std::string& dir) {
  auto st = std::unique_ptr<Staging>(new Staging());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create staging directory " + dir + ": " + ec.message());
  st->dir_ = dir;
  rocksdb::DBOptions o;
  o.create_if_missing = true;
  o.create_missing_column_families = true;
  o.max_background_jobs = 2;
  o.info_log_level = rocksdb::InfoLogLevel::ERROR_LEVEL;
  rocksdb::ColumnFamilyOptions cfo;
  cfo.compression = rocksdb::kNoCompression;
  cfo.write_buffer_size = 64 << 20;
  std::vector<rocksdb::ColumnFamilyDescriptor> d = {
      {"default", cfo}, {"creds", cfo}, {"by_tool", cfo}, {"by_user", cfo}};
  rocksdb::DB* raw = nullptr;
  SEVER_RETURN_IF_ERROR(rocks(rocksdb::DB::Open(o, dir + "/db", d, &st->handles_, &raw),
                              "open staging database"));
  st->db_.reset(raw);
  st->wo_.disableWAL = true;  // a crash discards the staging database anyway
  return st;
}

Staging::~Staging() {
  if (db_) {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_->Close();
    db_.reset();
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

Result<uint64_t> Staging::PutRecord(const std::string& key, uint64_t line,
                                    const std::string& value) {
  std::string prev;
  auto s = db_->Get(rocksdb::ReadOptions(), handles_[1], key, &prev);
  if (s.ok()) {
    coding::Reader r(prev);
    uint64_t first = 0;
    return r.varint(&first) ? first : uint64_t{1};
  }
  if (!s.IsNotFound()) SEVER_RETURN_IF_ERROR(rocks(s, "staging read"));
  std::string v;
  v.reserve(value.size() + 5);
  coding::put_varint(&v, line);
  v.append(value);
  SEVER_RETURN_IF_ERROR(rocks(db_->Put(wo_, handles_[1], key, v), "staging write"));
  return uint64_t{0};
}

Status Staging::PutIndex(size_t cf, const std::string& key, bool is_delete) {
  auto* h = handles_[staging_slot(cf)];
  if (is_delete) {
    std::string prev;
    if (db_->Get(rocksdb::ReadOptions(), h, key, &prev).ok()) return Status::Ok();
  }
  return rocks(db_->Put(wo_, h, key, std::string(1, is_delete ? kIndexDelete : kIndexPut)),
               "staging write");
}

Result<std::vector<rocksdb::IngestExternalFileArg>> Staging::WriteSsts(
    const std::vector<rocksdb::ColumnFamilyHandle*>& cfs, const std::vector<SmallRows>& extra) {
  const auto descs = cf_descriptors();
  const rocksdb::DBOptions dbo = db_options();
  std::vector<rocksdb::IngestExternalFileArg> args;
  auto add = [&](SstOut& out, size_t cf) -> Status {
    SEVER_ASSIGN_OR_RETURN(bool wrote, out.Finish());
    if (!wrote) return Status::Ok();
    rocksdb::IngestExternalFileArg a;
    a.column_family = cfs[cf];
    a.external_files = {out.path()};
    a.options.move_files = true;
    a.options.snapshot_consistency = true;
    a.options.allow_global_seqno = true;
    a.options.allow_blocking_flush = true;
    args.push_back(std::move(a));
    return Status::Ok();
  };
  // Large column families: stream the sorted staging rows.
  for (size_t cf : {size_t{schema::kCreds}, size_t{schema::kByTool}, size_t{schema::kByUser}}) {
    SstOut out(rocksdb::Options(dbo, descs[cf].options), cfs[cf],
               dir_ + "/" + schema::kCfNames[cf] + ".sst");
    SEVER_RETURN_IF_ERROR(out.Open());
    rocksdb::ReadOptions ro;
    ro.readahead_size = 4 << 20;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, handles_[staging_slot(cf)]));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string_view v = it->value().ToStringView();
      rocksdb::Status s;
      if (cf == schema::kCreds) {
        coding::Reader r(v);  // strip the staging line number
        uint64_t line;
        if (!r.varint(&line)) return Status::Internal("malformed staging row");
        s = out.w().Put(it->key(), r.rest());
      } else if (!v.empty() && v[0] == kIndexDelete) {
        s = out.w().Delete(it->key());
      } else {
        s = out.w().Put(it->key(), rocksdb::Slice());
      }
      SEVER_RETURN_IF_ERROR(rocks(s, "write " + out.path()));
      out.count();
    }
    SEVER_RETURN_IF_ERROR(rocks(it->status(), "scan staging database"));
    it.reset();
    SEVER_RETURN_IF_ERROR(add(out, cf));
  }
  // Small column families from memory.
  for (const auto& x : extra) {
    if (x.rows.empty()) continue;
    SstOut out(rocksdb::Options(dbo, descs[x.cf].options), cfs[x.cf],
               dir_ + "/" + schema::kCfNames[x.cf] + ".sst");
    SEVER_RETURN_IF_ERROR(out.Open());
    for (const auto& [k, v] : x.rows) {
      auto s = x.op == SmallRows::Op::merge ? out.w().Merge(k, v) : out.w().Put(k, v);
      SEVER_RETURN_IF_ERROR(rocks(s, "write " + out.path()));
      out.count();
    }
    SEVER_RETURN_IF_ERROR(add(out, x.cf));
  }
  return args;
}

}  // namespace sever::detail

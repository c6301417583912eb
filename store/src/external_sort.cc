#include "external_sort.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <queue>

#include <openssl/crypto.h>

#include "coding.h"

namespace sever::detail {
namespace {

// A run file: per row varint key_len, key, varint val_len, value, varint line, op byte.
class RunFile {
 public:
  explicit RunFile(std::string path) : path_(std::move(path)) {}
  ~RunFile() {
    if (f_) std::fclose(f_);
  }
  Status Open() {
    f_ = std::fopen(path_.c_str(), "rb");
    if (!f_) return Status::IoError("cannot open sort run " + path_ + ": " + std::strerror(errno));
    std::setvbuf(f_, nullptr, _IOFBF, 1 << 20);
    return Status::Ok();
  }
  // Reads the next row into this file's buffer; false at end of file.
  bool Next(SortRow* row) {
    uint64_t klen, vlen;
    if (!varint(&klen)) return false;
    buf_.resize(klen);
    if (std::fread(buf_.data(), 1, klen, f_) != klen || !varint(&vlen)) return fail();
    buf_.resize(klen + vlen);
    if (std::fread(buf_.data() + klen, 1, vlen, f_) != vlen) return fail();
    uint64_t line;
    int op;
    if (!varint(&line) || (op = std::fgetc(f_)) == EOF) return fail();
    row->key = std::string_view(buf_.data(), klen);
    row->value = std::string_view(buf_.data() + klen, vlen);
    row->line = line;
    row->op = static_cast<uint8_t>(op);
    return true;
  }
  const Status& status() const { return status_; }

 private:
  bool varint(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int c = std::fgetc(f_);
      if (c == EOF) return false;
      r |= static_cast<uint64_t>(c & 0x7f) << shift;
      if (!(c & 0x80)) {
        *v = r;
        return true;
      }
    }
    return false;
  }
  bool fail() {
    status_ = Status::IoError("sort run " + path_ + " is truncated");
    return false;
  }
  std::string path_;
  std::FILE* f_ = nullptr;
  std::string buf_;
  Status status_;
};

}  // namespace

// Merges the sorted runs and the sorted in-memory buffer with a min-heap.
class ExternalSorter::MergeReader final : public ExternalSorter::Reader {
 public:
  explicit MergeReader(const ExternalSorter& s) : s_(s) {}

  Status Init() {
    for (const auto& path : s_.runs_) {
      auto f = std::make_unique<RunFile>(path);
      SEVER_RETURN_IF_ERROR(f->Open());
      files_.push_back(std::move(f));
    }
    heads_.resize(files_.size() + 1);
    for (size_t i = 0; i <= files_.size(); ++i) Advance(i);
    return status_;
  }

  bool Next(SortRow* row) override {
    if (!status_.ok()) return false;
    if (pending_ != kNone) Advance(pending_);
    if (heap_.empty()) return false;
    size_t src = heap_.top();
    heap_.pop();
    *row = heads_[src];
    pending_ = src;  // its buffer stays valid until the next call
    return status_.ok();
  }
  Status status() const override { return status_; }

 private:
  static constexpr size_t kNone = SIZE_MAX;
  // Source files_.size() is the in-memory buffer.
  void Advance(size_t src) {
    pending_ = kNone;
    SortRow r;
    bool ok;
    if (src < files_.size()) {
      ok = files_[src]->Next(&r);
      if (!ok && !files_[src]->status().ok()) status_ = files_[src]->status();
    } else {
      ok = mem_pos_ < s_.entries_.size();
      if (ok) {
        const Entry& e = s_.entries_[mem_pos_++];
        r = {s_.Key(e), s_.Value(e), e.line, e.op};
      }
    }
    if (ok) {
      heads_[src] = r;
      heap_.push(src);
    }
  }

  struct Greater {
    const MergeReader* m;
    bool operator()(size_t a, size_t b) const {  // earlier runs first among equal keys
      int c = m->heads_[a].key.compare(m->heads_[b].key);
      return c != 0 ? c > 0 : a > b;
    }
  };

  const ExternalSorter& s_;
  std::vector<std::unique_ptr<RunFile>> files_;
  std::vector<SortRow> heads_;
  std::priority_queue<size_t, std::vector<size_t>, Greater> heap_{Greater{this}};
  size_t mem_pos_ = 0;
  size_t pending_ = kNone;
  Status status_;
};

ExternalSorter::ExternalSorter(std::string dir, std::string name, size_t budget_bytes)
    : dir_(std::move(dir)), name_(std::move(name)), budget_(budget_bytes) {}

ExternalSorter::~ExternalSorter() {
  OPENSSL_cleanse(arena_.data(), arena_.size());
  for (const auto& r : runs_) std::remove(r.c_str());
}

Status ExternalSorter::Add(std::string_view key, std::string_view value, uint64_t line,
                           uint8_t op) {
  if (arena_.size() + key.size() + value.size() > budget_ && !entries_.empty()) {
    SEVER_RETURN_IF_ERROR(Spill());
  }
  if (arena_.capacity() == 0) arena_.reserve(budget_ + key.size() + value.size());
  // The first 16 key bytes as two big-endian words: most comparisons end there.
  std::array<uint64_t, 2> prefix{};
  for (size_t i = 0; i < 16; ++i) {
    prefix[i / 8] = prefix[i / 8] << 8 | (i < key.size() ? static_cast<uint8_t>(key[i]) : 0);
  }
  entries_.push_back({arena_.size(), static_cast<uint32_t>(key.size()),
                      static_cast<uint32_t>(value.size()), line, op, prefix, seq_++});
  arena_.append(key).append(value);
  ++count_;
  return Status::Ok();
}

void ExternalSorter::SortBuffer() {
  // Equal keys keep their insertion order (a duplicate names its first line).
  std::sort(entries_.begin(), entries_.end(), [this](const Entry& a, const Entry& b) {
    if (a.prefix[0] != b.prefix[0]) return a.prefix[0] < b.prefix[0];
    if (a.prefix[1] != b.prefix[1]) return a.prefix[1] < b.prefix[1];
    int c = Key(a).compare(Key(b));
    return c != 0 ? c < 0 : a.seq < b.seq;
  });
}

Status ExternalSorter::Spill() {
  SortBuffer();
  std::string path = dir_ + "/" + name_ + "-" + std::to_string(runs_.size()) + ".run";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return Status::IoError("cannot create sort run " + path + ": " + std::strerror(errno));
  runs_.push_back(path);
  std::string out;
  out.reserve(4 << 20);
  bool ok = true;
  for (const Entry& e : entries_) {
    coding::put_bytes(&out, Key(e));
    coding::put_bytes(&out, Value(e));
    coding::put_varint(&out, e.line);
    out.push_back(static_cast<char>(e.op));
    if (out.size() > (4 << 20) - 1024) {
      ok = ok && std::fwrite(out.data(), 1, out.size(), f) == out.size();
      out.clear();
    }
  }
  ok = ok && std::fwrite(out.data(), 1, out.size(), f) == out.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok) return Status::IoError("cannot write sort run " + path);
  OPENSSL_cleanse(arena_.data(), arena_.size());
  arena_.clear();
  entries_.clear();
  return Status::Ok();
}

Result<std::unique_ptr<ExternalSorter::Reader>> ExternalSorter::Read() {
  SortBuffer();
  auto r = std::make_unique<MergeReader>(*this);
  SEVER_RETURN_IF_ERROR(r->Init());
  return std::unique_ptr<Reader>(std::move(r));
}

}  // namespace sever::detail

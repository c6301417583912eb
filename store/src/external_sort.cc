#include "external_sort.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <queue>

#include <openssl/crypto.h>

#include "coding.h"

namespace sever::detail {
namespace {

constexpr size_t kIoBuffer = 1 << 20;     // spill writes
constexpr size_t kReadBuffer = 128 << 10;  // per run while merging: runs can be many

// A run file: per row varint key_len, key, varint val_len, value, varint line, op byte.
class RunReader final : public RowReader {
 public:
  explicit RunReader(std::string path) : path_(std::move(path)) {}
  ~RunReader() override {
    if (f_) std::fclose(f_);
  }
  Status Open() {
    f_ = std::fopen(path_.c_str(), "rb");
    if (!f_) return Status::IoError("cannot open sort run " + path_ + ": " + std::strerror(errno));
    buf_.resize(kReadBuffer);
    return Status::Ok();
  }
  bool Next(SortRow* row) override {
    uint64_t klen, vlen, line;
    if (!Varint(&klen)) return false;  // the end, unless status_ says otherwise
    row_.resize(klen);
    if (!Read(row_.data(), klen) || !Varint(&vlen)) return Fail();
    row_.resize(klen + vlen);
    uint8_t op;
    if (!Read(row_.data() + klen, vlen) || !Varint(&line) || !Read(&op, 1)) return Fail();
    *row = {std::string_view(row_.data(), klen), std::string_view(row_.data() + klen, vlen),
            line, op};
    return true;
  }
  Status status() const override { return status_; }

 private:
  bool Fill() {
    if (pos_ < end_) return true;
    end_ = std::fread(buf_.data(), 1, buf_.size(), f_);
    pos_ = 0;
    return end_ > 0;
  }
  bool Read(void* out, size_t n) {
    auto* o = static_cast<char*>(out);
    while (n > 0) {
      if (!Fill()) return false;
      size_t k = std::min(n, end_ - pos_);
      std::memcpy(o, buf_.data() + pos_, k);
      pos_ += k;
      o += k;
      n -= k;
    }
    return true;
  }
  bool Varint(uint64_t* v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!Fill()) return false;
      auto c = static_cast<uint8_t>(buf_[pos_++]);
      r |= static_cast<uint64_t>(c & 0x7f) << shift;
      if (!(c & 0x80)) {
        *v = r;
        return true;
      }
    }
    return false;
  }
  bool Fail() {
    status_ = Status::IoError("sort run " + path_ + " is truncated");
    return false;
  }

  std::string path_;
  std::FILE* f_ = nullptr;
  std::string buf_, row_;
  size_t pos_ = 0, end_ = 0;
  Status status_;
};

// Merges sorted inputs with a min-heap on (key, line), earlier inputs first on full ties.
class MergeReader final : public RowReader {
 public:
  explicit MergeReader(std::vector<std::unique_ptr<RowReader>> in) : in_(std::move(in)) {
    heads_.resize(in_.size());
    for (size_t i = 0; i < in_.size(); ++i) Advance(i);
  }
  bool Next(SortRow* row) override {
    if (pending_ != kNone) Advance(pending_);
    if (!status_.ok() || heap_.empty()) return false;
    pending_ = heap_.top();  // its row stays valid until the next call
    heap_.pop();
    *row = heads_[pending_];
    return true;
  }
  Status status() const override { return status_; }

 private:
  static constexpr size_t kNone = SIZE_MAX;
  void Advance(size_t i) {
    pending_ = kNone;
    if (in_[i]->Next(&heads_[i])) {
      heap_.push(i);
    } else if (!in_[i]->status().ok()) {
      status_ = in_[i]->status();
    }
  }
  struct Greater {
    const MergeReader* m;
    bool operator()(size_t a, size_t b) const {
      const SortRow& x = m->heads_[a];
      const SortRow& y = m->heads_[b];
      int c = x.key.compare(y.key);
      if (c != 0) return c > 0;
      return x.line != y.line ? x.line > y.line : a > b;
    }
  };
  std::vector<std::unique_ptr<RowReader>> in_;
  std::vector<SortRow> heads_;
  std::priority_queue<size_t, std::vector<size_t>, Greater> heap_{Greater{this}};
  size_t pending_ = kNone;
  Status status_;
};

}  // namespace

std::unique_ptr<RowReader> merge_readers(std::vector<std::unique_ptr<RowReader>> inputs) {
  return std::make_unique<MergeReader>(std::move(inputs));
}

// The sorted in-memory buffer.
class ExternalSorter::BufferReader final : public RowReader {
 public:
  explicit BufferReader(const ExternalSorter& s) : s_(s) {}
  bool Next(SortRow* row) override {
    if (pos_ == s_.entries_.size()) return false;
    const Entry& e = s_.entries_[pos_++];
    *row = {s_.Key(e), s_.Value(e), e.line, e.op};
    return true;
  }
  Status status() const override { return Status::Ok(); }

 private:
  const ExternalSorter& s_;
  size_t pos_ = 0;
};

ExternalSorter::ExternalSorter(std::string dir, std::string name, size_t budget_bytes)
    : dir_(std::move(dir)), name_(std::move(name)), budget_(budget_bytes) {}

ExternalSorter::~ExternalSorter() {
  OPENSSL_cleanse(arena_.data(), arena_.size());
  for (const auto& r : runs_) std::remove(r.c_str());
}

Status ExternalSorter::Add(std::string_view key, std::string_view value, uint64_t line,
                           uint8_t op) {
  // The budget covers the bytes and their index entries.
  const size_t used = arena_.size() + key.size() + value.size() + entries_.size() * sizeof(Entry);
  if (used > budget_ && !entries_.empty()) SEVER_RETURN_IF_ERROR(Spill());
  if (arena_.capacity() == 0) {  // reserved once, never moved: pages count only when written
    arena_.reserve(budget_ + key.size() + value.size());
    entries_.reserve(budget_ / (sizeof(Entry) + 32));
  }
  // The first 16 key bytes as two big-endian words: most comparisons end there.
  std::array<uint64_t, 2> prefix{};
  for (size_t i = 0; i < 16; ++i) {
    prefix[i / 8] = prefix[i / 8] << 8 | (i < key.size() ? static_cast<uint8_t>(key[i]) : 0);
  }
  entries_.push_back({arena_.size(), static_cast<uint32_t>(key.size()),
                      static_cast<uint32_t>(value.size()), line, op, prefix});
  arena_.append(key).append(value);
  ++count_;
  return Status::Ok();
}

void ExternalSorter::SortBuffer() {
  std::sort(entries_.begin(), entries_.end(), [this](const Entry& a, const Entry& b) {
    if (a.prefix[0] != b.prefix[0]) return a.prefix[0] < b.prefix[0];
    if (a.prefix[1] != b.prefix[1]) return a.prefix[1] < b.prefix[1];
    int c = Key(a).compare(Key(b));
    return c != 0 ? c < 0 : a.line < b.line;
  });
}

Status ExternalSorter::Spill() {
  SortBuffer();
  std::string path = dir_ + "/" + name_ + "-" + std::to_string(runs_.size()) + ".run";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return Status::IoError("cannot create sort run " + path + ": " + std::strerror(errno));
  runs_.push_back(path);
  std::string out;
  out.reserve(kIoBuffer + 1024);
  bool ok = true;
  for (const Entry& e : entries_) {
    coding::put_bytes(&out, Key(e));
    coding::put_bytes(&out, Value(e));
    coding::put_varint(&out, e.line);
    out.push_back(static_cast<char>(e.op));
    if (out.size() >= kIoBuffer) {
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

Result<std::unique_ptr<RowReader>> ExternalSorter::Read() {
  SortBuffer();
  std::vector<std::unique_ptr<RowReader>> in;
  for (const auto& path : runs_) {
    auto r = std::make_unique<RunReader>(path);
    SEVER_RETURN_IF_ERROR(r->Open());
    in.push_back(std::move(r));
  }
  in.push_back(std::make_unique<BufferReader>(*this));
  return merge_readers(std::move(in));
}

}  // namespace sever::detail

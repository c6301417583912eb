#include "record.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "sever/store/crypto.h"

namespace sever::fake {

size_t RecordBook::KeyHash::operator()(const Key& k) const {
  uint64_t h;
  std::memcpy(&h, k.hash.data(), sizeof h);  // already uniformly distributed
  return static_cast<size_t>(h ^ (static_cast<uint64_t>(k.provider) * 0x9e3779b97f4a7c15ULL));
}

TokenRecord& RecordBook::at(AdapterId provider, std::string_view sha256) {
  Key k{};
  std::memcpy(k.hash.data(), sha256.data(), std::min(sha256.size(), k.hash.size()));
  k.provider = provider;
  return records_[k];
}

std::string RecordBook::jsonl() const {
  std::vector<const std::pair<const Key, TokenRecord>*> rows;
  rows.reserve(records_.size());
  for (const auto& kv : records_) rows.push_back(&kv);
  std::sort(rows.begin(), rows.end(), [](const auto* a, const auto* b) {
    if (a->first.provider != b->first.provider) return a->first.provider < b->first.provider;
    return a->first.hash < b->first.hash;
  });
  std::string out;
  out.reserve(rows.size() * 180);
  for (const auto* row : rows) {
    const TokenRecord& r = row->second;
    const std::string hex = crypto::to_hex(std::string_view(
        reinterpret_cast<const char*>(row->first.hash.data()), row->first.hash.size()));
    out += "{\"provider\":\"";
    out += adapter(row->first.provider).name;
    out += "\",\"token_sha256\":\"" + hex + "\",\"attempts\":" + std::to_string(r.attempts) +
           ",\"revoked\":" + (r.revoked ? "true" : "false") +
           ",\"limited\":" + std::to_string(r.limited) +
           ",\"already_gone\":" + std::to_string(r.already_gone) + ",\"first_revoked_ms\":" +
           (r.first_revoked_ms < 0 ? std::string("null") : std::to_string(r.first_revoked_ms)) +
           "}\n";
  }
  return out;
}

Status RecordBook::write_file(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return Status::IoError("cannot write record file " + tmp);
  const std::string text = jsonl();
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) return Status::IoError("cannot write record file " + tmp);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IoError("cannot rename " + tmp + " to " + path);
  }
  return Status::Ok();
}

}  // namespace sever::fake

// Job items: their encoding (job_items.h), and the public functions of revocation.h that
// read, count and commit them.
#include "job_items.h"

#include <chrono>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "coding.h"
#include "record_merge.h"
#include "rocks_status.h"
#include "schema.h"
#include "sever/store/store.h"
#include "sever/store/time.h"

namespace sever {
namespace detail {
namespace {

// 4: the sealed secret copied at materialization follows the detail. 3 (read only): without
// it. 2 (read only): without the credential's kind either.
constexpr uint8_t kItemFormat = 4;
constexpr uint8_t kItemFormatWithoutSealed = 3;
constexpr uint8_t kItemFormatWithoutKind = 2;

// 0 stands for "not stored" (format 2).
bool known_kind(uint8_t k) { return k == 0 || to_string(static_cast<Kind>(k)) != "unknown"; }

}  // namespace

std::string item_prefix(std::string_view job) { return schema::prefix(job); }

std::string tool_prefix(std::string_view job, std::string_view tool) {
  return schema::join(job, tool) + '\0';
}

std::string item_key(const JobItem& it) {
  std::string k = tool_prefix(it.job, it.tool);
  coding::put_be32(&k, it.rank);
  k.append(schema::cred_key(it.tenant, it.id));
  return k;
}

std::string encode_item(const JobItem& it) {
  std::string v;
  v.push_back(static_cast<char>(kItemFormat));
  v.push_back(static_cast<char>(it.state));
  v.push_back(static_cast<char>(it.kind ? static_cast<uint8_t>(*it.kind) : 0));  // 0: unknown
  coding::put_varint(&v, it.attempts);
  coding::put_varint_signed(&v, it.next_at_ms);
  coding::put_varint_signed(&v, it.updated_ms);
  coding::put_bytes(&v, it.client);
  coding::put_bytes(&v, it.detail);
  // A final item keeps no copy of the secret: it is revoked, or a person or a retry takes over
  // (a retried item reads the record).
  const bool copy = !is_final(it.state) && !it.sealed.empty();
  coding::put_varint(&v, copy ? it.dek_version : 0);
  coding::put_bytes(&v, copy ? std::string_view(it.sealed) : std::string_view());
  return v;
}

Status decode_item(std::string_view job, std::string_view key, std::string_view value,
                   JobItem* out) {
  const size_t t = job.size() + 1;
  const size_t end = key.find('\0', t);
  const size_t p = end + 1;
  std::string_view tenant, id, client, detail, sealed;
  if (end == std::string_view::npos || key.size() < p + 4 ||
      !schema::split2(key.substr(p + 4), &tenant, &id)) {
    return Status::Corruption("malformed job item key in job " + std::string(job));
  }
  coding::Reader r(value);
  uint8_t format, state, kind = 0;
  JobItem it;
  if (!r.u8(&format) || format < kItemFormatWithoutKind || format > kItemFormat ||
      !r.u8(&state) || state < 1 || state > kItemStateCount ||
      (format >= kItemFormatWithoutSealed && (!r.u8(&kind) || !known_kind(kind))) ||
      !r.varint32(&it.attempts) || !r.varint_signed(&it.next_at_ms) ||
      !r.varint_signed(&it.updated_ms) || !r.bytes(&client) || !r.bytes(&detail) ||
      (format == kItemFormat && (!r.varint32(&it.dek_version) || !r.bytes(&sealed))) ||
      !r.done()) {
    return Status::Corruption("malformed job item " + std::string(tenant) + "/" +
                              std::string(id) + " in job " + std::string(job));
  }
  it.job = job;
  it.rank = coding::get_be32(key.data() + p);
  it.tenant = tenant;
  it.id = id;
  it.tool = key.substr(t, end - t);
  it.client = client;
  it.state = static_cast<ItemState>(state);
  if (kind != 0) it.kind = static_cast<Kind>(kind);
  it.detail = detail;
  it.sealed = sealed;
  *out = std::move(it);
  return Status::Ok();
}

}  // namespace detail

using detail::decode_item;
using detail::encode_item;
using detail::item_key;
using detail::item_prefix;
using detail::tool_prefix;

Status scan_items(const Store& store, const std::string& job,
                  const std::function<bool(const JobItem&)>& fn) {
  const std::string prefix = item_prefix(job);
  rocksdb::ReadOptions ro;
  ro.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(ro, store.cf(schema::kJobItems)));
  JobItem item;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    SEVER_RETURN_IF_ERROR(decode_item(job, it->key().ToStringView(), it->value().ToStringView(), &item));
    if (!fn(item)) break;
  }
  return detail::from_rocks(it->status(), "scan job items");
}

Result<std::vector<std::string>> job_tools(const Store& store, const std::string& job) {
  const std::string prefix = item_prefix(job);
  std::vector<std::string> tools;
  std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator({}, store.cf(schema::kJobItems)));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);) {
    const std::string_view k = it->key().ToStringView().substr(prefix.size());
    const size_t end = k.find('\0');
    if (end == std::string_view::npos) {
      return Status::Corruption("malformed job item key in job " + job);
    }
    tools.emplace_back(k.substr(0, end));
    it->Seek(tool_prefix(job, tools.back()) + std::string(5, '\xff'));  // past the tool's items
  }
  SEVER_RETURN_IF_ERROR(detail::from_rocks(it->status(), "scan job tools"));
  return tools;
}

struct ToolItemReader::Impl {
  const Store* store;
  std::string job, prefix, upper, until;
  rocksdb::Slice upper_slice;
  std::unique_ptr<rocksdb::Iterator> it;
  std::chrono::steady_clock::time_point made;
};

ToolItemReader::ToolItemReader(const Store& store, std::string job, std::string tool,
                               std::string until)
    : impl_(std::make_unique<Impl>()) {
  impl_->store = &store;
  impl_->until = std::move(until);
  impl_->prefix = tool_prefix(job, tool);
  impl_->upper = impl_->prefix;
  impl_->upper.back() = '\1';  // job\0 tool\1: just past the tool's keys
  impl_->upper_slice = impl_->upper;
  impl_->job = std::move(job);
}

ToolItemReader::~ToolItemReader() = default;
ToolItemReader::ToolItemReader(ToolItemReader&&) noexcept = default;
ToolItemReader& ToolItemReader::operator=(ToolItemReader&&) noexcept = default;

Result<bool> ToolItemReader::Next(size_t max, std::vector<JobItem>* out) {
  Impl& m = *impl_;
  const auto now = std::chrono::steady_clock::now();
  if (m.it == nullptr || now - m.made > std::chrono::seconds(1)) {
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &m.upper_slice;
    // No fixed readahead: the iterator is renewed every second, and a 1 MiB readahead read
    // (and copied) a megabyte per renewal per tool. RocksDB's own grows from 8 KiB as the
    // reads prove sequential.
    m.it.reset(m.store->db()->NewIterator(ro, m.store->cf(schema::kJobItems)));
    m.made = now;
    if (cursor_.empty()) {
      m.it->Seek(m.prefix);
    } else {
      m.it->Seek(cursor_);
      if (m.it->Valid() && m.it->key() == rocksdb::Slice(cursor_)) m.it->Next();
    }
  }
  for (size_t n = 0; m.it->Valid(); m.it->Next(), ++n) {
    if (!m.until.empty() && m.it->key().compare(m.until) > 0) break;
    if (n == max) return false;
    JobItem item;
    SEVER_RETURN_IF_ERROR(
        decode_item(m.job, m.it->key().ToStringView(), m.it->value().ToStringView(), &item));
    cursor_.assign(m.it->key().data(), m.it->key().size());
    out->push_back(std::move(item));
  }
  SEVER_RETURN_IF_ERROR(detail::from_rocks(m.it->status(), "read job items"));
  Release();
  return true;
}

void ToolItemReader::Release() { impl_->it.reset(); }

Result<JobCounts> count_items(const Store& store, const std::string& job) {
  JobCounts c;
  SEVER_RETURN_IF_ERROR(scan_items(store, job, [&](const JobItem& it) {
    const size_t s = static_cast<size_t>(it.state) - 1;
    ++c.all[s];
    ++c.by_tool[it.tool][s];
    return true;
  }));
  return c;
}

Status commit_items(Store& store, const std::vector<JobItem>& items, const std::string& actor) {
  if (items.empty()) return Status::Ok();
  rocksdb::WriteBatch b;
  std::map<std::string, nlohmann::json> moved;  // state → ["tenant/id", …]
  std::vector<std::string> tenants;             // of the credentials revoked here
  const std::string operand = detail::revoke_operand(now_unix());
  for (const JobItem& it : items) {
    b.Put(store.cf(schema::kJobItems), item_key(it), encode_item(it));
    moved[std::string(to_string(it.state))].push_back(it.tenant + "/" + it.id);
    if (it.state != ItemState::revoked && it.state != ItemState::already_gone) continue;
    // Confirmed upstream: keep no secret for it. A merge operand, not a read-modify-write.
    b.Merge(store.cf(schema::kCreds), schema::cred_key(it.tenant, it.id), operand);
    tenants.push_back(it.tenant);
  }
  nlohmann::json detail = {{"job", items.front().job}, {"items", moved}};
  // Under the tenants' locks: a concurrent read-modify-write (an upsert, a rotation's re-seal)
  // either sees the revocation or is followed by it.
  auto locks = store.LockTenants(tenants);
  return store.Commit(&b, {{actor, "revoke.items", items.front().job, detail.dump()}});
}

}  // namespace sever

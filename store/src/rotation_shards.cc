#include "rotation_shards.h"

#include <memory>

#include "coding.h"
#include "rocks_status.h"
#include "schema.h"

namespace sever {
namespace {

constexpr uint8_t kShardFormat = 1;
constexpr char kTenantsRow = 's', kCheckpointRow = 'p';

std::string shard_key(const std::string& job, uint32_t index, char row) {
  std::string k = schema::prefix(job);
  coding::put_be32(&k, index);
  k.push_back(row);
  return k;
}

Status decode_tenants(std::string_view v, RotationShard* s) {
  coding::Reader r(v);
  uint8_t format;
  uint64_t n;
  if (!r.u8(&format) || format != kShardFormat || !r.varint(&s->estimate) || !r.varint(&n) ||
      n > v.size()) {
    return Status::Corruption("malformed shard " + std::to_string(s->index) + " of " + s->job);
  }
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view t;
    if (!r.bytes(&t)) return Status::Corruption("malformed tenant list of a shard of " + s->job);
    s->tenants.emplace_back(t);
  }
  return r.done() ? Status::Ok() : Status::Corruption("trailing bytes in a shard of " + s->job);
}

Status decode_checkpoint(std::string_view v, RotationShard* s) {
  coding::Reader r(v);
  uint8_t format, phase;
  std::string_view cursor;
  if (!r.u8(&format) || format != kShardFormat || !r.u8(&phase) || phase < 1 || phase > 4 ||
      !r.varint32(&s->tenant_pos) || !r.bytes(&cursor) || !r.varint(&s->resealed) ||
      !r.varint32(&s->passes) || !r.done()) {
    return Status::Corruption("malformed checkpoint of shard " + std::to_string(s->index) +
                              " of " + s->job);
  }
  s->phase = static_cast<ShardPhase>(phase);
  s->cursor = cursor;
  return Status::Ok();
}

}  // namespace

namespace detail {

void put_shard(Store& store, const RotationShard& s, bool with_tenants,
               rocksdb::WriteBatch* batch) {
  auto* cf = store.cf(schema::kJobItems);
  if (with_tenants) {
    std::string v(1, static_cast<char>(kShardFormat));
    coding::put_varint(&v, s.estimate);
    coding::put_varint(&v, s.tenants.size());
    for (const auto& t : s.tenants) coding::put_bytes(&v, t);
    batch->Put(cf, shard_key(s.job, s.index, kTenantsRow), v);
  }
  std::string v(1, static_cast<char>(kShardFormat));
  v.push_back(static_cast<char>(s.phase));
  coding::put_varint(&v, s.tenant_pos);
  coding::put_bytes(&v, s.cursor);
  coding::put_varint(&v, s.resealed);
  coding::put_varint(&v, s.passes);
  batch->Put(cf, shard_key(s.job, s.index, kCheckpointRow), v);
}

}  // namespace detail

Result<std::vector<RotationShard>> load_shards(const Store& store, const std::string& job) {
  std::vector<RotationShard> out;
  const std::string prefix = schema::prefix(job);
  std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator({}, store.cf(schema::kJobItems)));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view k = it->key().ToStringView();
    if (k.size() != prefix.size() + 5) return Status::Corruption("malformed shard key of " + job);
    const uint32_t index = coding::get_be32(k.data() + prefix.size());
    if (out.empty() || out.back().index != index) {
      out.emplace_back();
      out.back().job = job;
      out.back().index = index;
    }
    const char row = k.back();
    SEVER_RETURN_IF_ERROR(row == kTenantsRow ? decode_tenants(it->value().ToStringView(), &out.back())
                                             : decode_checkpoint(it->value().ToStringView(), &out.back()));
  }
  SEVER_RETURN_IF_ERROR(detail::from_rocks(it->status(), "scan shards of " + job));
  return out;
}

}  // namespace sever

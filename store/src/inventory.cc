#include "sever/store/inventory.h"

#include <atomic>
#include <memory>
#include <thread>
#include <unordered_set>
#include <vector>

#include "coding.h"
#include "rocks_status.h"
#include "schema.h"

namespace sever {
namespace {

bool matches(const Credential& c, State effective, const InventoryFilter& f, int64_t now) {
  if (!f.tenant.empty() && c.tenant != f.tenant) return false;
  if (!f.tool.empty() && c.tool != f.tool) return false;
  if (!f.user.empty() && c.user != f.user) return false;
  if (f.state && effective != *f.state) return false;
  if (f.dormant_days && !is_dormant_for(c, now, *f.dormant_days)) return false;
  if (f.overprivileged && catalog::excess_scopes(c.tool, c.scopes).empty()) return false;
  return true;
}


// Walks an index column family under `prefix`, looking each record up by (tenant, id).
Status scan_index(const Store& store, size_t cf, const std::string& prefix, bool tool_index,
                  const std::function<Status(std::string_view, std::string_view, bool*)>& visit) {
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(ro, store.cf(cf)));
  bool go = true;
  for (it->Seek(prefix); go && it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view a, b, c;
    if (!schema::split3(it->key().ToStringView(), &a, &b, &c)) {
      return Status::Corruption("malformed index key in " + std::string(schema::kCfNames[cf]));
    }
    // by_tool: tool\0tenant\0id; by_user: tenant\0user\0id.
    SEVER_RETURN_IF_ERROR(tool_index ? visit(b, c, &go) : visit(a, c, &go));
  }
  return detail::from_rocks(it->status(), "scan index");
}

// Visits the records under `prefix` from key `from` up to `to` ("": to the prefix's end).
Status scan_records(const Store& store, const std::string& prefix, const std::string& from,
                    const std::string& to,
                    const std::function<void(const Credential&, bool*)>& emit) {
  rocksdb::ReadOptions ro;
  ro.readahead_size = 2 << 20;
  rocksdb::Slice upper(to);
  if (!to.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(ro, store.cf(schema::kCreds)));
  bool go = true;
  Credential c;
  for (it->Seek(from); go && it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view tenant, id;
    if (!schema::split2(it->key().ToStringView(), &tenant, &id)) {
      return Status::Corruption("malformed record key");
    }
    SEVER_RETURN_IF_ERROR(decode_record(tenant, id, it->value().ToStringView(), &c));
    emit(c, &go);
  }
  return detail::from_rocks(it->status(), "scan records");
}

uint64_t be64_at(std::string_view k, size_t from) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = v << 8 | (from + i < k.size() ? static_cast<uint8_t>(k[from + i]) : 0);
  return v;
}

// Returns up to parts - 1 increasing keys that cut the keys of column family `cf` under
// `prefix` into ranges of about the same size on disk (binary searches on approximate sizes,
// over the 8 bytes after the first and last keys' common prefix); fewer when it is small.
std::vector<std::string> split_range(const Store& store, size_t cf, const std::string& prefix,
                                     size_t parts) {
  std::vector<std::string> out;
  std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator({}, store.cf(cf)));
  it->Seek(prefix);
  if (!it->Valid() || !it->key().starts_with(prefix)) return out;
  const std::string first = it->key().ToString();
  if (prefix.empty()) {
    it->SeekToLast();
  } else {
    std::string after = prefix;  // the prefix ends in '\0': the next prefix ends in '\1'
    after.back() = '\1';
    it->SeekForPrev(after);
    if (it->Valid() && it->key() == after) it->Prev();
  }
  if (!it->Valid()) return out;
  const std::string last = it->key().ToString();
  size_t common = 0;
  while (common < first.size() && common < last.size() && first[common] == last[common]) ++common;
  auto key_at = [&](uint64_t at) {
    std::string k = first.substr(0, common);
    coding::put_be64(&k, at);
    return k;
  };
  auto size_to = [&](uint64_t at) {  // approximate bytes from the first key to key_at(at)
    const std::string k = key_at(at);
    rocksdb::Range r(first, k);
    rocksdb::SizeApproximationOptions o;
    o.include_memtables = true;
    uint64_t size = 0;
    return store.db()->GetApproximateSizes(o, store.cf(cf), &r, 1, &size).ok() ? size : 0;
  };
  const uint64_t lo = be64_at(first, common), hi = be64_at(last, common);
  const uint64_t total = size_to(hi);
  if (hi - lo < parts || total < (uint64_t{1} << 20)) return out;  // not worth threads
  uint64_t from = lo;
  for (size_t p = 1; p < parts; ++p) {
    const uint64_t want = total / parts * p;
    uint64_t a = from, b = hi;
    while (b - a > 1) {
      const uint64_t m = a + (b - a) / 2;
      (size_to(m) < want ? a : b) = m;
    }
    out.push_back(key_at(b));
    from = b;
  }
  return out;
}

}  // namespace

Status scan_inventory(const Store& store, const InventoryFilter& filter, int64_t now,
                      const std::function<bool(const Credential&, State)>& fn,
                      const LifecyclePolicy& policy) {
  auto emit = [&](const Credential& c, bool* go) {
    State eff = effective_state(c, now, policy);
    if (matches(c, eff, filter, now)) *go = fn(c, eff);
  };
  auto lookup = [&](std::string_view tenant, std::string_view id, bool* go) -> Status {
    auto r = store.GetRecord(tenant, id);
    if (!r.ok()) {
      return r.status().code() == Code::not_found
                 ? Status::Corruption("index names " + std::string(tenant) + "/" +
                                      std::string(id) + " but no such record exists")
                 : r.status();
    }
    emit(*r, go);
    return Status::Ok();
  };
  if (!filter.tenant.empty() && !filter.user.empty()) {
    return scan_index(store, schema::kByUser, schema::join(filter.tenant, filter.user) + '\0',
                      false, lookup);
  }
  if (!filter.tool.empty()) {
    std::string prefix = schema::prefix(filter.tool);
    if (!filter.tenant.empty()) prefix += schema::prefix(filter.tenant);
    return scan_index(store, schema::kByTool, prefix, true, lookup);
  }
  const std::string prefix = filter.tenant.empty() ? "" : schema::prefix(filter.tenant);
  return scan_records(store, prefix, prefix, "", emit);
}

Status scan_inventory_parts(const Store& store, const InventoryFilter& filter, int64_t now,
                            size_t parts,
                            const std::function<bool(size_t, const Credential&, State)>& fn,
                            const LifecyclePolicy& policy) {
  if (parts <= 1 || !filter.tool.empty() || !filter.user.empty()) {
    return scan_inventory(store, filter, now, [&](const Credential& c, State s) {
      return fn(0, c, s);
    }, policy);
  }
  const std::string prefix = filter.tenant.empty() ? "" : schema::prefix(filter.tenant);
  std::vector<std::string> bounds = {prefix};  // each part from its bound to the next
  for (std::string& k : split_range(store, schema::kCreds, prefix, parts)) bounds.push_back(std::move(k));
  bounds.push_back("");
  std::atomic<bool> stop{false};
  std::vector<Status> results(bounds.size() - 1);
  auto scan = [&](size_t part) {
    results[part] = scan_records(store, prefix, bounds[part], bounds[part + 1],
                                 [&](const Credential& c, bool* go) {
      const State eff = effective_state(c, now, policy);
      if (matches(c, eff, filter, now) && !fn(part, c, eff)) stop = true;
      *go = !stop;
    });
    if (!results[part].ok()) stop = true;
  };
  std::vector<std::thread> threads;
  for (size_t part = 1; part < results.size(); ++part) threads.emplace_back(scan, part);
  scan(0);
  for (auto& t : threads) t.join();
  for (Status& r : results) SEVER_RETURN_IF_ERROR(r);
  return Status::Ok();
}

Result<Report> build_report(const Store& store, const InventoryFilter& filter, int64_t now,
                            int64_t dormant_days) {
  Report r;
  r.generated_at = now;
  r.dormant_days = dormant_days;
  std::unordered_set<std::string> tenants;
  LifecyclePolicy policy;
  policy.dormant_after_seconds = dormant_days * 86400;
  Status s = scan_inventory(
      store, filter, now,
      [&](const Credential& c, State eff) {
        catalog::Risk risk = catalog::max_risk(c.scopes);
        bool over = !catalog::excess_scopes(c.tool, c.scopes).empty();
        bool dormant = is_dormant_for(c, now, dormant_days);
        bool sensitive = catalog::is_sensitive_category(c.tool);
        for (ReportCounts* rc : {&r.all, &r.by_tool[c.tool]}) {
          ++rc->total;
          rc->high_risk += risk == catalog::Risk::high;
          rc->overprivileged += over;
          rc->dormant += dormant;
          rc->never_used += !c.last_used_at.has_value();
          rc->sensitive_tool += sensitive;
        }
        ++r.by_kind[std::string(to_string(c.kind))];
        ++r.by_state[std::string(to_string(eff))];
        ++r.by_risk[std::string(catalog::to_string(risk))];
        tenants.insert(c.tenant);
        return true;
      },
      policy);
  SEVER_RETURN_IF_ERROR(s);
  r.tenants = tenants.size();
  return r;
}

}  // namespace sever

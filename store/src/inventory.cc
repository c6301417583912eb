#include "sever/store/inventory.h"

#include <memory>
#include <unordered_set>

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
  rocksdb::ReadOptions ro;
  ro.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator(ro, store.cf(schema::kCreds)));
  bool go = true;
  Credential c;
  for (it->Seek(prefix); go && it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view tenant, id;
    if (!schema::split2(it->key().ToStringView(), &tenant, &id)) {
      return Status::Corruption("malformed record key");
    }
    SEVER_RETURN_IF_ERROR(decode_record(tenant, id, it->value().ToStringView(), &c));
    emit(c, &go);
  }
  return detail::from_rocks(it->status(), "scan records");
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

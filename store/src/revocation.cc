#include "sever/store/revocation.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <memory>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "item_sink.h"
#include "job_items.h"
#include "rocks_status.h"
#include "schema.h"
#include "sever/store/catalog.h"
#include "sever/store/crypto.h"
#include "sever/store/inventory.h"
#include "sever/store/lifecycle.h"
#include "sever/store/time.h"

namespace sever {
namespace {

constexpr size_t kBatch = 10'000;
// Memory for sorting a job's items before they are written; past it they spill to disk.
constexpr size_t kMaterializeBudget = size_t{128} << 20;

constexpr std::array<std::string_view, kItemStateCount> kItemStateNames = {
    "pending", "in_flight", "revoked", "already_gone", "manual", "retry_wait", "dead_letter"};


// Freeze marker keys: the scope kind, then its names.
std::string freeze_all() { return "all"; }
std::string freeze_tenant(std::string_view t) { return schema::join("tenant", t); }
std::string freeze_tool(std::string_view x) { return schema::join("tool", x); }
std::string freeze_user(std::string_view t, std::string_view u) { return schema::join("user", t, u); }
std::string freeze_id(std::string_view t, std::string_view id) { return schema::join("id", t, id); }

nlohmann::json job_json(const JobSpec& j) {
  return {{"id", j.id}, {"kind", to_string(j.kind)}, {"params", j.params},
          {"scope", {{"kind", static_cast<int>(j.scope.kind)}, {"tenant", j.scope.tenant},
                     {"tool", j.scope.tool}, {"user", j.scope.user},
                     {"ids_count", j.scope.ids.empty() ? j.scope.ids_count : j.scope.ids.size()},
                     {"describe", j.scope.Describe()}}},
          {"reason", j.reason}, {"actor", j.actor}, {"providers_file", j.providers_file},
          {"created_at", j.created_at}, {"state", static_cast<int>(j.state)},
          {"materialized", j.materialized}, {"items", j.items}, {"unknown_ids", j.unknown_ids},
          {"tool_items", j.tool_items}};
}

Status parse_job(std::string_view value, JobSpec* out) {
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Status::Corruption("malformed job record");
  try {
    JobSpec s;
    s.id = j.at("id").get<std::string>();
    const std::string kind = j.value("kind", "revoke");  // older records have no kind
    if (kind != to_string(JobKind::revoke) && kind != to_string(JobKind::rotate_dek)) {
      return Status::Corruption("job " + s.id + " has an unknown kind " + kind);
    }
    s.kind = kind == to_string(JobKind::revoke) ? JobKind::revoke : JobKind::rotate_dek;
    s.params = j.value("params", "");
    const auto& sc = j.at("scope");
    s.scope.kind = static_cast<RevokeScope::Kind>(sc.at("kind").get<int>());
    s.scope.tenant = sc.at("tenant").get<std::string>();
    s.scope.tool = sc.at("tool").get<std::string>();
    s.scope.user = sc.at("user").get<std::string>();
    s.scope.ids_count = sc.value("ids_count", uint64_t{0});
    s.reason = j.at("reason").get<std::string>();
    s.actor = j.at("actor").get<std::string>();
    s.providers_file = j.at("providers_file").get<std::string>();
    s.created_at = j.at("created_at").get<int64_t>();
    s.state = static_cast<JobState>(j.at("state").get<int>());
    s.materialized = j.at("materialized").get<bool>();
    s.items = j.at("items").get<uint64_t>();
    s.unknown_ids = j.at("unknown_ids").get<uint64_t>();
    if (j.contains("tool_items")) {
      s.tool_items = j.at("tool_items").get<std::map<std::string, uint64_t>>();
    }
    *out = std::move(s);
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("malformed job record: ") + e.what());
  }
  return Status::Ok();
}

}  // namespace

std::string new_job_id(std::string_view prefix, int64_t now) {
  std::string ts = format_rfc3339(now);  // 2026-11-23T15:04:05Z
  std::string id = std::string(prefix) + "-";
  for (char c : ts) {
    if (c >= '0' && c <= '9') id.push_back(c);
    if (c == 'T') id.push_back('-');
  }
  uint8_t rnd[3];
  (void)crypto::random_bytes(rnd, sizeof rnd);
  return id + "-" + crypto::to_hex(std::string_view(reinterpret_cast<char*>(rnd), 3));
}

std::string RevokeScope::Describe() const {
  switch (kind) {
    case Kind::tenant: return "tenant " + tenant;
    case Kind::tool: return "tool " + tool;
    case Kind::user: return "user " + tenant + ":" + user;
    case Kind::ids: return std::to_string(ids.empty() ? ids_count : ids.size()) + " ids";
    case Kind::all: return "all";
  }
  return "?";
}

std::string_view to_string(JobState s) {
  switch (s) {
    case JobState::running: return "running";
    case JobState::done: return "done";
    case JobState::cancelled: return "cancelled";
  }
  return "unknown";
}

std::string_view to_string(JobKind k) {
  return k == JobKind::revoke ? "revoke" : "rotate_dek";
}

std::string_view to_string(ItemState s) {
  auto i = static_cast<size_t>(s) - 1;
  return i < kItemStateNames.size() ? kItemStateNames[i] : "unknown";
}

bool is_final(ItemState s) {
  return s == ItemState::revoked || s == ItemState::already_gone || s == ItemState::manual ||
         s == ItemState::dead_letter;
}

Result<std::vector<std::pair<std::string, std::string>>> read_id_list(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("cannot open id list " + path);
  std::vector<std::pair<std::string, std::string>> ids;
  std::set<std::pair<std::string, std::string>> seen;  // an id listed twice counts once
  std::string line;
  for (uint64_t n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos || line[0] == '#') continue;
    std::string tenant, id;
    if (line[0] == '{') {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.contains("tenant") && j.contains("id") && j["tenant"].is_string() &&
          j["id"].is_string()) {
        tenant = j["tenant"];
        id = j["id"];
      }
    } else if (auto tab = line.find('\t'); tab != std::string::npos) {
      tenant = line.substr(0, tab);
      id = line.substr(tab + 1);
    } else if (auto slash = line.find('/'); slash != std::string::npos) {
      tenant = line.substr(0, slash);
      id = line.substr(slash + 1);
    }
    Status s = validate_name("tenant", tenant);
    if (s.ok()) s = validate_name("id", id);
    if (!s.ok()) {
      return Status::InvalidArgument(path + " line " + std::to_string(n) +
                                     ": expected tenant/id, tenant<TAB>id or "
                                     "{\"tenant\":…,\"id\":…} (" + s.message() + ")");
    }
    if (seen.emplace(tenant, id).second) ids.emplace_back(std::move(tenant), std::move(id));
  }
  return ids;
}

uint32_t revocation_rank(const Credential& c, int64_t now) {
  uint32_t score = 0;
  switch (catalog::max_risk(c.scopes)) {
    case catalog::Risk::high: score += 4; break;
    case catalog::Risk::medium: score += 2; break;
    case catalog::Risk::low: break;
  }
  if (catalog::is_sensitive_category(c.tool)) score += 2;
  if (c.last_used_at) {
    int64_t age = now - *c.last_used_at;
    if (age < 7 * 86400) score += 2;
    else if (age < 90 * 86400) score += 1;
  }
  if (c.kind != Kind::oauth_access) score += 1;  // long-lived: refresh tokens, keys, PATs
  return 16 - score;  // max score 11: ranks 5..16, 0-4 reserved
}

Result<JobSpec> start_revocation(Store& store, const RevokeScope& scope, const std::string& reason,
                                 const std::string& actor, const std::string& providers_file) {
  JobSpec job;
  job.created_at = now_unix();
  job.id = new_job_id("r", job.created_at);
  job.scope = scope;
  job.reason = reason;
  job.actor = actor;
  job.providers_file = providers_file;
  std::vector<std::string> keys;
  switch (scope.kind) {
    case RevokeScope::Kind::all: keys.push_back(freeze_all()); break;
    case RevokeScope::Kind::tenant: keys.push_back(freeze_tenant(scope.tenant)); break;
    case RevokeScope::Kind::tool: keys.push_back(freeze_tool(scope.tool)); break;
    case RevokeScope::Kind::user: keys.push_back(freeze_user(scope.tenant, scope.user)); break;
    case RevokeScope::Kind::ids:
      for (const auto& [t, id] : scope.ids) keys.push_back(freeze_id(t, id));
      break;
  }
  rocksdb::WriteBatch b;
  for (const auto& k : keys) b.Put(store.cf(schema::kFreeze), k, job.id);
  put_job(store, job, &b);
  SEVER_RETURN_IF_ERROR(store.Commit(
      &b, {{actor, "revoke.freeze", scope.Describe(),
            nlohmann::json{{"job", job.id}, {"reason", reason}, {"markers", keys.size()}}.dump()}}));
  return job;
}

Result<std::optional<std::string>> frozen_by(const Store& store, const Credential& c) {
  std::vector<std::string> keys = {freeze_all(), freeze_tenant(c.tenant), freeze_tool(c.tool),
                                   freeze_id(c.tenant, c.id)};
  if (!c.user.empty()) keys.push_back(freeze_user(c.tenant, c.user));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::ColumnFamilyHandle*> cfs(keys.size(), store.cf(schema::kFreeze));
  std::vector<std::string> values;
  auto st = store.db()->MultiGet(rocksdb::ReadOptions(), cfs, slices, &values);
  for (size_t i = 0; i < st.size(); ++i) {
    if (st[i].ok()) return std::optional<std::string>(values[i]);
    if (!st[i].IsNotFound()) SEVER_RETURN_IF_ERROR(detail::from_rocks(st[i], "read freeze markers"));
  }
  return std::optional<std::string>();
}

// A reloaded --ids job: its list is durable as its freeze markers ("id" tenant id → job).
static Status reload_ids(const Store& store, JobSpec& job) {
  const std::string prefix = schema::prefix("id");
  std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator({}, store.cf(schema::kFreeze)));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->value() != job.id) continue;
    std::string_view kind, tenant, id;
    if (schema::split3(it->key().ToStringView(), &kind, &tenant, &id)) {
      job.scope.ids.emplace_back(std::string(tenant), std::string(id));
    }
  }
  return detail::from_rocks(it->status(), "scan freeze markers");
}

Result<uint64_t> materialize_job(Store& store, JobSpec& job, int64_t now) {
  if (job.materialized) return job.items;
  const size_t parts = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4);
  detail::ItemSink sink(store, job.id, kMaterializeBudget, parts);
  std::vector<Status> failures(parts);
  const int64_t now_ms = now * 1000;
  auto add = [&](size_t part, const Credential& c) {
    if (c.state == State::revoked) return true;
    JobItem it;
    it.job = job.id;
    it.rank = revocation_rank(c, now);
    it.tenant = c.tenant;
    it.id = c.id;
    it.tool = c.tool;
    it.client = c.client;
    it.kind = c.kind;
    it.dek_version = c.dek_version;
    it.sealed = c.sealed;
    it.updated_ms = now_ms;
    failures[part] = sink.Add(part, it);
    return failures[part].ok();
  };
  if (job.scope.kind == RevokeScope::Kind::ids) {
    if (job.scope.ids.empty()) SEVER_RETURN_IF_ERROR(reload_ids(store, job));
    job.unknown_ids = 0;
    for (const auto& [tenant, id] : job.scope.ids) {
      auto rec = store.GetRecord(tenant, id);
      if (!rec.ok()) {
        if (rec.status().code() != Code::not_found) return rec.status();
        ++job.unknown_ids;
        continue;
      }
      if (!add(0, *rec)) break;
    }
  } else {
    InventoryFilter f;
    if (job.scope.kind == RevokeScope::Kind::tenant) f.tenant = job.scope.tenant;
    if (job.scope.kind == RevokeScope::Kind::tool) f.tool = job.scope.tool;
    if (job.scope.kind == RevokeScope::Kind::user) {
      f.tenant = job.scope.tenant;
      f.user = job.scope.user;
    }
    // The records' scan takes most of the time: on every core, each into its own sorter.
    SEVER_RETURN_IF_ERROR(scan_inventory_parts(store, f, now, parts,
                                               [&](size_t part, const Credential& c, State) {
      return add(part, c);
    }));
  }
  for (Status& failure : failures) SEVER_RETURN_IF_ERROR(failure);
  SEVER_ASSIGN_OR_RETURN(job.tool_items, sink.Commit());
  job.items = 0;
  for (const auto& [tool, n] : job.tool_items) job.items += n;
  job.materialized = true;
  SEVER_RETURN_IF_ERROR(save_job(store, job, "revoke.materialize"));
  return job.items;
}

Result<JobSpec> load_job(const Store& store, const std::string& id) {
  std::string v;
  auto s = store.db()->Get({}, store.cf(schema::kJobs), id, &v);
  if (s.IsNotFound()) return Status::NotFound("no job " + id);
  SEVER_RETURN_IF_ERROR(detail::from_rocks(s, "read job"));
  JobSpec j;
  SEVER_RETURN_IF_ERROR(parse_job(v, &j));
  return j;
}

Result<std::vector<JobSpec>> list_jobs(const Store& store) {
  std::vector<JobSpec> out;
  std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator({}, store.cf(schema::kJobs)));
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    JobSpec j;
    SEVER_RETURN_IF_ERROR(parse_job(it->value().ToStringView(), &j));
    out.push_back(std::move(j));
  }
  SEVER_RETURN_IF_ERROR(detail::from_rocks(it->status(), "scan jobs"));
  return out;
}

void put_job(Store& store, const JobSpec& job, rocksdb::WriteBatch* batch) {
  batch->Put(store.cf(schema::kJobs), job.id, job_json(job).dump());
}

Status save_job(Store& store, const JobSpec& job, const std::string& audit_action) {
  rocksdb::WriteBatch b;
  put_job(store, job, &b);
  return store.Commit(&b, {{job.actor, audit_action, job.id,
                            nlohmann::json{{"state", to_string(job.state)}, {"items", job.items}}
                                .dump()}});
}

Result<uint64_t> retry_items(Store& store, const std::string& job, bool include_manual) {
  std::vector<JobItem> again;
  SEVER_RETURN_IF_ERROR(scan_items(store, job, [&](const JobItem& it) {
    if (it.state == ItemState::dead_letter || (include_manual && it.state == ItemState::manual)) {
      again.push_back(it);
      again.back().state = ItemState::pending;
      again.back().attempts = 0;
      again.back().next_at_ms = 0;
    }
    return true;
  }));
  for (size_t i = 0; i < again.size(); i += kBatch) {
    std::vector<JobItem> part(again.begin() + i, again.begin() + std::min(again.size(), i + kBatch));
    SEVER_RETURN_IF_ERROR(commit_items(store, part, "sever:retry"));
  }
  return again.size();
}

}  // namespace sever

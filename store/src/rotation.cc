// DEK rotation jobs (begin, shards, finish), the rotation policy and master-key rotation. The
// steps that re-seal, verify and destroy are in rotation_steps.cc.
#include "sever/store/rotation.h"

#include <algorithm>
#include <array>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "rocks_status.h"
#include "rotation_shards.h"
#include "schema.h"
#include "sever/store/time.h"

namespace sever {
namespace {

constexpr uint64_t kMinShardRecords = 1000;
constexpr size_t kMaxShardTenants = 2000;  // bounds a shard's stored tenant list

// Names of the enums' values, from 1.
constexpr std::array<std::string_view, 3> kDueNames = {"age", "encryptions", "leftover"};
constexpr std::array<std::string_view, 3> kScopeNames = {"tenant", "all", "due"};
constexpr std::array<std::string_view, 4> kPhaseNames = {"reseal", "verify", "destroy", "done"};

template <size_t N, typename E>
std::string_view name_of(const std::array<std::string_view, N>& names, E e) {
  const auto i = static_cast<size_t>(e) - 1;
  return i < N ? names[i] : "unknown";
}

Result<RotationScope> parse_scope(std::string_view s) {
  for (size_t i = 0; i < kScopeNames.size(); ++i) {
    if (kScopeNames[i] == s) return static_cast<RotationScope>(i + 1);
  }
  return Status::Corruption("unknown rotation scope " + std::string(s));
}

std::string params_json(const RotationParams& p) {
  return nlohmann::json{{"scope", to_string(p.scope)}, {"tenant", p.tenant},
                        {"tenants", p.tenants},        {"new_deks", p.new_deks},
                        {"estimate", p.estimate},      {"max_rate", p.max_rate}}
      .dump();
}

std::string describe(const RotationRequest& r) {
  return r.scope == RotationScope::tenant ? "--tenant " + r.tenant
                                          : "--" + std::string(to_string(r.scope));
}

// Cuts the job's tenants (sorted, with the records each has on older versions) into shards of
// about a sixteenth of a worker's share, so that workers finish close together.
std::vector<RotationShard> cut_shards(const std::string& job,
                                      const std::vector<std::pair<std::string, uint64_t>>& sized,
                                      size_t workers) {
  uint64_t total = 0;
  for (const auto& [t, n] : sized) total += n;
  const uint64_t target = std::max(kMinShardRecords, total / (std::max<size_t>(workers, 1) * 16));
  std::vector<RotationShard> shards;
  for (const auto& [tenant, n] : sized) {
    if (shards.empty() || shards.back().estimate >= target ||
        shards.back().tenants.size() >= kMaxShardTenants) {
      shards.emplace_back();
      shards.back().job = job;
      shards.back().index = static_cast<uint32_t>(shards.size() - 1);
    }
    shards.back().tenants.push_back(tenant);
    shards.back().estimate += n;
  }
  return shards;
}

}  // namespace

std::string_view to_string(DueReason r) { return name_of(kDueNames, r); }
std::string_view to_string(RotationScope s) { return name_of(kScopeNames, s); }
std::string_view to_string(ShardPhase p) { return name_of(kPhaseNames, p); }

std::string_view tenant_stage(const RotationShard& s, size_t i) {
  switch (s.phase) {
    case ShardPhase::reseal:
      if (i < s.tenant_pos) return "resealed";
      return i == s.tenant_pos && (s.passes > 0 || !s.cursor.empty()) ? "resealing" : "pending";
    case ShardPhase::verify: return "verifying";
    case ShardPhase::destroy: return "retired";
    case ShardPhase::done: return "done";
  }
  return "unknown";
}

Result<std::vector<TenantKeys>> tenant_keys(Store& store, std::string_view tenant,
                                            const RotationPolicy& policy, int64_t now) {
  SEVER_ASSIGN_OR_RETURN(auto all, store.keyring().List(tenant));  // by tenant, then version
  std::vector<TenantKeys> out;
  for (DekEntry& e : all) {
    if (out.empty() || out.back().tenant != e.tenant) out.push_back({e.tenant, {}, {}, {}});
    TenantKeys& k = out.back();
    if (e.state == DekState::primary) {
      if (k.primary) k.older.push_back(std::move(*k.primary));  // never two; keep the newest
      k.primary = std::move(e);
    } else {
      k.older.push_back(std::move(e));
    }
  }
  for (TenantKeys& k : out) {
    std::sort(k.older.begin(), k.older.end(),
              [](const DekEntry& a, const DekEntry& b) { return a.version < b.version; });
    const bool leftover = std::any_of(k.older.begin(), k.older.end(), [](const DekEntry& e) {
      return e.state == DekState::decrypt_only || e.state == DekState::retired;
    });
    if (k.primary && now - k.primary->created_at > policy.max_age_days * 86400) {
      k.due = DueReason::age;
    } else if (k.primary && k.primary->encryptions >= policy.max_encryptions) {
      k.due = DueReason::encryptions;
    } else if (leftover) {
      k.due = DueReason::leftover;
    }
  }
  return out;
}

Result<RotationParams> rotation_params(const JobSpec& job) {
  auto j = nlohmann::json::parse(job.params, nullptr, false);
  if (job.kind != JobKind::rotate_dek || !j.is_object()) {
    return Status::Corruption("job " + job.id + " is not a rotation job");
  }
  try {
    RotationParams p;
    SEVER_ASSIGN_OR_RETURN(p.scope, parse_scope(j.at("scope").get<std::string>()));
    p.tenant = j.at("tenant").get<std::string>();
    p.tenants = j.at("tenants").get<uint64_t>();
    p.new_deks = j.at("new_deks").get<uint64_t>();
    p.estimate = j.at("estimate").get<uint64_t>();
    p.max_rate = j.value("max_rate", 0.0);
    return p;
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption("job " + job.id + " has malformed rotation params: " + e.what());
  }
}

Result<RotationStart> begin_rotation(Store& store, const RotationRequest& req) {
  const int64_t now = now_unix();
  const std::string only = req.scope == RotationScope::tenant ? req.tenant : "";
  if (req.scope == RotationScope::tenant) SEVER_RETURN_IF_ERROR(validate_name("tenant", req.tenant));
  SEVER_ASSIGN_OR_RETURN(auto candidates, tenant_keys(store, only, req.policy, now));
  std::vector<std::string> tenants;
  for (const auto& k : candidates) {
    if (req.scope != RotationScope::due || k.due) tenants.push_back(k.tenant);
  }
  if (req.scope == RotationScope::tenant && tenants.empty()) {
    return Status::NotFound("tenant " + req.tenant + " has no DEK (it holds no credentials)");
  }
  RotationStart out;
  JobSpec& job = out.job;
  job.id = new_job_id("k", now);
  job.kind = JobKind::rotate_dek;
  job.scope.kind = req.scope == RotationScope::tenant ? RevokeScope::Kind::tenant
                                                      : RevokeScope::Kind::all;
  job.scope.tenant = req.tenant;
  job.reason = "rotate dek " + describe(req);
  job.actor = req.actor;
  job.created_at = now;
  job.materialized = true;
  if (tenants.empty()) return out;

  // From here on no write of these tenants can seal with the key that is being replaced.
  auto locks = store.LockTenants(tenants);
  Status s = store.WithDekLock([&]() -> Status {
    SEVER_ASSIGN_OR_RETURN(auto current, tenant_keys(store, only, req.policy, now));
    RotationParams params{req.scope, req.tenant, 0, 0, 0, req.max_rate};
    rocksdb::WriteBatch b;
    std::vector<AuditEvent> events(1);
    std::vector<std::pair<std::string, uint64_t>> sized;
    for (const TenantKeys& k : current) {
      if (!std::binary_search(tenants.begin(), tenants.end(), k.tenant)) continue;
      uint64_t estimate = 0;
      for (const DekEntry& e : k.older) {
        if (e.state != DekState::destroyed) estimate += e.encryptions;
      }
      // A tenant due only for leftovers keeps its fresh primary; the rest get a new one.
      const bool renew = k.primary && (req.scope != RotationScope::due ||
                                       (k.due && *k.due != DueReason::leftover));
      if (renew) {
        estimate += k.primary ? k.primary->encryptions : 0;
        SEVER_RETURN_IF_ERROR(
            store.AddNextDek(k.tenant, k.primary, "rotation " + job.id, req.actor, &b, &events)
                .status());
        ++params.new_deks;
      }
      sized.emplace_back(k.tenant, estimate);
      params.estimate += estimate;
    }
    params.tenants = sized.size();
    job.items = sized.size();
    job.params = params_json(params);
    out.shards = cut_shards(job.id, sized, req.workers);
    put_job(store, job, &b);
    for (const auto& shard : out.shards) detail::put_shard(store, shard, true, &b);
    events[0] = {req.actor, "rotate.begin", job.id,
                 nlohmann::json{{"scope", describe(req)}, {"tenants", params.tenants},
                                {"new_deks", params.new_deks}, {"shards", out.shards.size()}}
                     .dump()};
    return store.Commit(&b, events);
  });
  SEVER_RETURN_IF_ERROR(s);
  return out;
}

Result<std::optional<JobSpec>> find_running_rotation(const Store& store, RotationScope scope,
                                                     std::string_view tenant) {
  SEVER_ASSIGN_OR_RETURN(auto jobs, list_jobs(store));
  for (JobSpec& j : jobs) {
    if (j.kind != JobKind::rotate_dek || j.state != JobState::running) continue;
    SEVER_ASSIGN_OR_RETURN(RotationParams p, rotation_params(j));
    if (p.scope == scope && (scope != RotationScope::tenant || p.tenant == tenant)) {
      return std::optional<JobSpec>(std::move(j));
    }
  }
  return std::optional<JobSpec>();
}

Status finish_rotation(Store& store, JobSpec& job, const std::vector<RotationShard>& shards) {
  for (const auto& s : shards) {
    if (s.phase != ShardPhase::done) {
      return Status::Refused("rotation " + job.id + ": shard " + std::to_string(s.index) +
                             " is at " + std::string(to_string(s.phase)));
    }
  }
  // First the destroyed DEKs' wrapped bytes leave the live files, then the job is done (a
  // crash in between purges again on resume).
  SEVER_RETURN_IF_ERROR(store.PurgeSupersededKeys());
  job.state = JobState::done;
  return save_job(store, job, "rotate.done");
}

Result<MasterRotation> rotate_master(Store& store, const std::string& to_spec,
                                     const std::string& actor) {
  MasterRotation m{store.key_source().spec(), to_spec, 0};
  if (to_spec == m.from) {
    return Status::InvalidArgument("the store's master key is already " + to_spec);
  }
  if (to_spec.starts_with("file:")) {  // beside the data directory, never inside it
    std::error_code ec;
    const auto key = std::filesystem::weakly_canonical(to_spec.substr(5), ec);
    const auto data = std::filesystem::weakly_canonical(store.options().data_dir, ec);
    if (!ec && key.string().starts_with(data.string() + "/")) {
      return Status::InvalidArgument("key file " + to_spec.substr(5) +
                                     " is inside the data directory: every copy of it would "
                                     "carry the key");
    }
  }
  bool created = true;
  auto next = create_key_source(to_spec);
  if (!next.ok() && next.status().code() == Code::already_exists) {
    created = false;
    next = open_key_source(to_spec);  // a key provisioned beforehand
  }
  if (!next.ok()) return next.status();
  m.to = (*next)->spec();
  auto n = store.RewrapUnder(std::move(next).value(), actor);
  if (!n.ok()) {
    std::error_code ec;
    if (created && to_spec.starts_with("file:")) std::filesystem::remove(to_spec.substr(5), ec);
    return n.status();
  }
  m.deks = *n;
  return m;
}

}  // namespace sever

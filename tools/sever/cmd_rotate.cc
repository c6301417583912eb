// sever rotate dek (--tenant T | --all | --due) [--max-rate N] | rotate master --to SPEC |
// rotate status
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "rotate_job.h"
#include "sever/actors/rotation_run.h"
#include "sever/store/rotation.h"
#include "sever/store/time.h"

namespace sever::cli {
namespace {

struct RotateArgs {
  std::string tenant, to;
  bool all = false, due = false;
  RotationPolicy policy;
  RotateFlags run;
};

void add_policy_options(CLI::App* cmd, RotationPolicy& p) {
  cmd->add_option("--max-age-days", p.max_age_days,
                  "a primary DEK older than this is due (default 90)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-encryptions", p.max_encryptions,
                  "a primary DEK that sealed this many secrets is due (default 2^30)")
      ->check(CLI::PositiveNumber);
}

int rotate_dek(const Globals& g, const RotateArgs& a) {
  if (!a.tenant.empty() + a.all + a.due != 1) {
    return fail(Status::InvalidArgument("give exactly one scope: --tenant, --all or --due"));
  }
  int code = kDone;
  auto store = open_store(g, &code);
  if (!store) return code;
  RotationRequest req;
  req.scope = a.all ? RotationScope::all : a.due ? RotationScope::due : RotationScope::tenant;
  req.tenant = a.tenant;
  req.policy = a.policy;
  req.actor = actor();
  req.workers = a.run.workers > 0 ? a.run.workers : actors::RotationOptions().workers;
  req.max_rate = a.run.max_rate;
  // A rotation of the same scope that a crash interrupted resumes from its checkpoint.
  auto running = find_running_rotation(*store, req.scope, req.tenant);
  if (!running.ok()) return fail(running.status());
  JobSpec job;
  if (*running) {
    job = std::move(**running);
    if (a.run.format != Format::json) {
      std::cerr << "resuming rotation " << job.id << " from its checkpoint\n";
    }
  } else {
    auto started = begin_rotation(*store, req);
    if (!started.ok()) return fail(started.status());
    if (started->shards.empty()) {
      if (a.run.format == Format::json) {
        std::cout << nlohmann::json{{"job", nullptr}, {"tenants", 0}}.dump(2) << "\n";
      } else {
        std::cout << "nothing to rotate\n";
      }
      return kDone;
    }
    job = std::move(started->job);
    auto p = rotation_params(job);
    if (a.run.format != Format::json && p.ok()) {
      std::cerr << "rotation " << job.id << ": " << p->new_deks << " new DEKs are primary for "
                << p->tenants << " tenants; re-sealing ~" << p->estimate << " records\n";
    }
  }
  return run_rotation_job(*store, job, a.run);
}

int rotate_master(const Globals& g, const RotateArgs& a) {
  int code = kDone;
  auto store = open_store(g, &code);
  if (!store) return code;
  auto m = sever::rotate_master(*store, a.to, actor());
  if (!m.ok()) return fail(m.status());
  if (a.run.format == Format::json) {
    std::cout << nlohmann::json{{"from", m->from}, {"to", m->to}, {"deks", m->deks}}.dump(2) << "\n";
  } else {
    std::cout << "master key rotated: " << m->deks << " DEKs re-wrapped under " << m->to
              << "; the store no longer needs " << m->from << " (open it with --key-source "
              << m->to << ")\n";
  }
  return kDone;
}

// The stage of every tenant in a running rotation job.
Result<std::map<std::string, std::pair<std::string, std::string>>> stages(Store& store) {
  std::map<std::string, std::pair<std::string, std::string>> out;  // tenant → (job, stage)
  SEVER_ASSIGN_OR_RETURN(auto jobs, list_jobs(store));
  for (const auto& j : jobs) {
    if (j.kind != JobKind::rotate_dek || j.state != JobState::running) continue;
    SEVER_ASSIGN_OR_RETURN(auto shards, load_shards(store, j.id));
    for (const auto& s : shards) {
      for (size_t i = 0; i < s.tenants.size(); ++i) {
        out.emplace(s.tenants[i], std::make_pair(j.id, std::string(tenant_stage(s, i))));
      }
    }
  }
  return out;
}

int rotate_status(const Globals& g, const RotateArgs& a) {
  int code = kDone;
  auto store = open_store(g, &code);
  if (!store) return code;
  const int64_t now = now_unix();
  auto keys = tenant_keys(*store, a.tenant, a.policy, now);
  if (!keys.ok()) return fail(keys.status());
  if (!a.tenant.empty() && keys->empty()) {
    return fail(Status::NotFound("tenant " + a.tenant + " has no DEK"));
  }
  auto running = stages(*store);
  if (!running.ok()) return fail(running.status());
  nlohmann::json tenants = nlohmann::json::array();
  Table t({"TENANT", "PRIMARY", "AGE", "ENCRYPTIONS", "OLDER", "DUE", "ROTATION"});
  uint64_t due = 0;
  for (const auto& k : *keys) {
    nlohmann::json older = nlohmann::json::array();
    std::string older_text;
    for (const auto& e : k.older) {
      older.push_back({{"version", e.version}, {"state", to_string(e.state)}});
      older_text += (older_text.empty() ? "v" : ", v") + std::to_string(e.version) + " " +
                    std::string(to_string(e.state));
    }
    auto st = running->find(k.tenant);
    nlohmann::json j = {{"tenant", k.tenant}, {"older", older},
                        {"due", k.due ? nlohmann::json(to_string(*k.due)) : nlohmann::json()},
                        {"rotation", st == running->end()
                                         ? nlohmann::json()
                                         : nlohmann::json{{"job", st->second.first},
                                                          {"stage", st->second.second}}}};
    const int64_t age_days = k.primary ? (now - k.primary->created_at) / 86400 : 0;
    if (k.primary) {
      j["primary"] = {{"version", k.primary->version},
                      {"created_at", format_rfc3339(k.primary->created_at)},
                      {"age_days", age_days}, {"encryptions", k.primary->encryptions}};
    }
    due += k.due.has_value();
    tenants.push_back(std::move(j));
    t.add({k.tenant, k.primary ? "v" + std::to_string(k.primary->version) : "-",
           k.primary ? std::to_string(age_days) + "d" : "-",
           k.primary ? std::to_string(k.primary->encryptions) : "-",
           older_text.empty() ? "-" : older_text, k.due ? std::string(to_string(*k.due)) : "-",
           st == running->end() ? "-" : st->second.first + " " + st->second.second});
  }
  const std::string spec = store->key_source().spec();
  if (a.run.format == Format::json) {
    std::cout << nlohmann::json{{"master_key", spec},
                                {"policy", {{"max_age_days", a.policy.max_age_days},
                                            {"max_encryptions", a.policy.max_encryptions}}},
                                {"due", due}, {"tenants", tenants}}
                     .dump(2)
              << "\n";
    return kDone;
  }
  std::cout << "master key: " << spec << "\npolicy: rotate a primary DEK older than "
            << a.policy.max_age_days << " days or past " << a.policy.max_encryptions
            << " encryptions; " << due << " of " << keys->size() << " tenants due\n\n";
  t.print_aligned(std::cout);
  return kDone;
}

}  // namespace

void register_rotate(CLI::App& app, Globals& g) {
  auto* rotate = app.add_subcommand("rotate", "rotate data keys (DEKs) or the master key");
  rotate->require_subcommand(1);
  auto a = std::make_shared<RotateArgs>();

  auto* dek = rotate->add_subcommand(
      "dek", "a new primary DEK per tenant, every record re-sealed while the store stays online");
  dek->add_option("--tenant", a->tenant, "one tenant");
  dek->add_flag("--all", a->all, "every tenant");
  dek->add_flag("--due", a->due, "the tenants the policy says are due (see rotate status)");
  dek->add_option("--max-rate", a->run.max_rate,
                  "records re-sealed per second, kept by a resume (default: no limit)")
      ->check(CLI::PositiveNumber);
  dek->add_option("--workers", a->run.workers, "parallel workers (default: the cores)")
      ->check(CLI::Range(1, 64));
  dek->add_flag("--no-progress", a->run.no_progress, "no live progress on the terminal");
  add_policy_options(dek, a->policy);
  add_format_option(dek, &a->run.format, false);
  dek->callback([&g, a] { g.run = [&g, a] { return rotate_dek(g, *a); }; });

  auto* master = rotate->add_subcommand(
      "master", "re-wrap every DEK under a new master key (file: or pkcs11:)");
  master->add_option("--to", a->to, "the new key source: file:PATH or pkcs11:token=T;object=K")
      ->required();
  add_format_option(master, &a->run.format, false);
  master->callback([&g, a] { g.run = [&g, a] { return rotate_master(g, *a); }; });

  auto* status = rotate->add_subcommand(
      "status", "each tenant's DEK versions, what is due, and where running rotations stand");
  status->add_option("--tenant", a->tenant, "only this tenant");
  add_policy_options(status, a->policy);
  add_format_option(status, &a->run.format, false);
  status->callback([&g, a] { g.run = [&g, a] { return rotate_status(g, *a); }; });
}

}  // namespace sever::cli

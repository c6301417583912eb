// sever revoke (--tenant T | --tool X | --user T:U | --ids FILE | --all) --reason TEXT …
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "job_runner.h"
#include "sever/providers/providers_file.h"
#include "sever/providers/registry.h"
#include "sever/store/inventory.h"
#include "sever/store/time.h"

namespace sever::cli {
namespace {

struct RevokeArgs {
  std::string tenant, tool, user, ids_file, reason;
  bool all = false, dry_run = false, yes = false;
  RunFlags run;
};

Result<RevokeScope> scope_of(const RevokeArgs& a) {
  int n = !a.tenant.empty() + !a.tool.empty() + !a.user.empty() + !a.ids_file.empty() + a.all;
  if (n != 1) {
    return Status::InvalidArgument("give exactly one scope: --tenant, --tool, --user, --ids or --all");
  }
  RevokeScope s;
  if (!a.tenant.empty()) s = {RevokeScope::Kind::tenant, a.tenant, "", "", {}};
  if (!a.tool.empty()) s = {RevokeScope::Kind::tool, "", a.tool, "", {}};
  if (!a.user.empty()) {
    auto colon = a.user.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == a.user.size()) {
      return Status::InvalidArgument("--user takes TENANT:USER, got '" + a.user + "'");
    }
    s = {RevokeScope::Kind::user, a.user.substr(0, colon), "", a.user.substr(colon + 1), {}};
  }
  if (!a.ids_file.empty()) {
    SEVER_ASSIGN_OR_RETURN(auto ids, read_id_list(a.ids_file));
    if (ids.empty()) return Status::InvalidArgument(a.ids_file + " lists no ids");
    s.kind = RevokeScope::Kind::ids;
    s.ids = std::move(ids);
  }
  if (a.all) s.kind = RevokeScope::Kind::all;
  return s;
}

InventoryFilter filter_of(const RevokeScope& s) {
  InventoryFilter f;
  if (s.kind == RevokeScope::Kind::tenant || s.kind == RevokeScope::Kind::user) f.tenant = s.tenant;
  if (s.kind == RevokeScope::Kind::user) f.user = s.user;
  if (s.kind == RevokeScope::Kind::tool) f.tool = s.tool;
  return f;
}

// Counts what the scope holds per provider, and the time the known limits need.
int dry_run(Store& store, const RevokeScope& scope, const providers::ProviderSet& ps, Format fmt) {
  std::map<std::string, uint64_t> per;
  uint64_t total = 0;
  auto add = [&](const Credential& c) {
    if (c.state == State::revoked) return true;
    ++per[ps.For(c.tool).name];
    ++total;
    return true;
  };
  Status s;
  if (scope.kind == RevokeScope::Kind::ids) {
    for (const auto& [t, id] : scope.ids) {
      auto rec = store.GetRecord(t, id);
      if (rec.ok()) add(*rec);
    }
  } else {
    s = scan_inventory(store, filter_of(scope), now_unix(), [&](const Credential& c, State) { return add(c); });
  }
  if (!s.ok()) return fail(s);
  double eta = 0;
  nlohmann::json out = {{"scope", scope.Describe()}, {"total", total}, {"providers", nlohmann::json::object()}};
  Table t({"PROVIDER", "ADAPTER", "CREDENTIALS", "RATE/S", "ETA"});
  for (const auto& [name, n] : per) {
    const auto& cfg = ps.For(name);
    const auto* ad = providers::find_adapter(cfg.adapter);
    const bool api = ad != nullptr && ad->has_api();
    double secs = api && cfg.rate_limit_per_s > 0 ? n / cfg.rate_limit_per_s : 0;
    eta = std::max(eta, secs);  // providers run in parallel
    char b[32];
    std::snprintf(b, sizeof b, api ? "%.0fs" : "manual", secs);
    t.add({name, cfg.adapter, std::to_string(n), std::to_string(cfg.rate_limit_per_s), b});
    out["providers"][name] = {{"adapter", cfg.adapter}, {"credentials", n}, {"eta_seconds", secs}};
  }
  out["eta_seconds"] = eta;
  if (fmt == Format::json) {
    std::cout << out.dump(2) << "\n";
  } else {
    t.print_aligned(std::cout);
    std::printf("dry run: %llu credentials in scope (%s); ETA %.0f s at the known limits (per "
                "rate-limit key; several OAuth clients go faster). Nothing was changed.\n",
                static_cast<unsigned long long>(total), scope.Describe().c_str(), eta);
  }
  return kDone;
}

bool confirm_all(Store& store) {
  if (!isatty(0)) return false;
  uint64_t n = 0;
  (void)scan_inventory(store, {}, now_unix(), [&](const Credential&, State) { ++n; return true; });
  std::cerr << "This freezes and revokes ALL " << n << " credentials. Type " << n << " to go on: ";
  std::string answer;
  std::getline(std::cin, answer);
  return answer == std::to_string(n);
}

int run_revoke(const Globals& g, RevokeArgs& a) {
  auto scope = scope_of(a);
  if (!scope.ok()) return fail(scope.status());
  if (a.reason.empty()) return fail(Status::InvalidArgument("--reason is required"));
  providers::register_builtin_providers();
  auto providers = providers::load_providers(a.run.providers_file);
  if (!providers.ok()) return fail(providers.status());
  int code = kDone;
  auto store = open_store(g, &code);
  if (!store) return code;
  if (a.dry_run) return dry_run(*store, *scope, *providers, a.run.format);
  if (scope->kind == RevokeScope::Kind::all && !a.yes && !confirm_all(*store)) {
    return fail(Status::Refused("--all needs --yes (or, on a terminal, typing the count)"));
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto job = start_revocation(*store, *scope, a.reason, actor(), a.run.providers_file);
  if (!job.ok()) return fail(job.status());
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (a.run.format != Format::json) {
    std::cerr << "frozen: " << scope->Describe() << " (job " << job->id << ", " << ms
              << " ms): reads of these credentials are refused from now on\n";
  }
  a.run.freeze_ms = ms;
  return run_job(*store, *job, *providers, a.run);
}

}  // namespace

void register_revoke(CLI::App& app, Globals& g) {
  auto a = std::make_shared<RevokeArgs>();
  auto* cmd = app.add_subcommand("revoke", "freeze a scope at once, then revoke it at every provider");
  cmd->add_option("--tenant", a->tenant, "every credential of a tenant");
  cmd->add_option("--tool", a->tool, "every credential of a tool");
  cmd->add_option("--user", a->user, "every credential a user issued: TENANT:USER");
  cmd->add_option("--ids", a->ids_file, "a file of tenant/id lines");
  cmd->add_flag("--all", a->all, "everything in the store (needs --yes)");
  cmd->add_option("--reason", a->reason, "why (recorded in the audit log)")->required();
  cmd->add_option("--providers", a->run.providers_file, "providers file overriding the built-in catalog");
  cmd->add_flag("--dry-run", a->dry_run, "count per provider and estimate; change nothing");
  cmd->add_flag("--yes", a->yes, "confirm --all");
  cmd->add_flag("--no-progress", a->run.no_progress, "no live progress on the terminal");
  add_format_option(cmd, &a->run.format, false);
  cmd->callback([&g, a] { g.run = [&g, a] { return run_revoke(g, *a); }; });
}

}  // namespace sever::cli

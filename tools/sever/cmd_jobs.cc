// sever jobs list | show ID | resume ID | cancel ID | retry ID
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "job_runner.h"
#include "rotate_job.h"
#include "sever/providers/registry.h"
#include "sever/store/time.h"

namespace sever::cli {
namespace {

struct JobsArgs {
  std::string id;
  RunFlags run;
  Format format = Format::table;
};

int list(const Globals& g, const JobsArgs& a) {
  int code = kDone;
  auto store = open_store(g, &code);
  if (!store) return code;
  auto jobs = list_jobs(*store);
  if (!jobs.ok()) return fail(jobs.status());
  nlohmann::json out = nlohmann::json::array();
  Table t({"JOB", "STATE", "SCOPE", "ITEMS", "CREATED", "BY", "REASON"});
  for (const auto& j : *jobs) {
    out.push_back({{"id", j.id}, {"kind", to_string(j.kind)}, {"state", to_string(j.state)},
                   {"scope", job_scope(j)}, {"items", j.items},
                   {"created_at", format_rfc3339(j.created_at)}, {"actor", j.actor},
                   {"reason", j.reason}});
    t.add({j.id, std::string(to_string(j.state)), job_scope(j), std::to_string(j.items),
           format_rfc3339(j.created_at), j.actor, j.reason});
  }
  if (a.format == Format::json) std::cout << out.dump(2) << "\n";
  else t.print_aligned(std::cout);
  return kDone;
}

int show(const Globals& g, const JobsArgs& a) {
  int code = kDone;
  auto store = open_store(g, &code);
  if (!store) return code;
  auto job = load_job(*store, a.id);
  if (!job.ok()) return fail(job.status());
  if (job->kind == JobKind::rotate_dek) return show_rotation_job(*store, *job, a.format);
  auto counts = count_items(*store, a.id);
  if (!counts.ok()) return fail(counts.status());
  auto row = [](const std::array<uint64_t, kItemStateCount>& c) {
    nlohmann::json j = nlohmann::json::object();
    for (int i = 0; i < kItemStateCount; ++i) j[std::string(to_string(static_cast<ItemState>(i + 1)))] = c[i];
    return j;
  };
  if (a.format == Format::json) {
    nlohmann::json by = nlohmann::json::object();
    for (const auto& [tool, c] : counts->by_tool) by[tool] = row(c);
    std::cout << nlohmann::json{{"id", job->id}, {"state", to_string(job->state)},
                                {"scope", job->scope.Describe()}, {"reason", job->reason},
                                {"actor", job->actor}, {"providers_file", job->providers_file},
                                {"created_at", format_rfc3339(job->created_at)},
                                {"items", row(counts->all)}, {"by_tool", by}}
                     .dump(2)
              << "\n";
    return kDone;
  }
  std::cout << "job " << job->id << " (" << to_string(job->state) << "): " << job->scope.Describe()
            << ", by " << job->actor << " at " << format_rfc3339(job->created_at) << ": "
            << job->reason << "\n\n";
  std::vector<std::string> headers = {"TOOL"};
  for (int i = 0; i < kItemStateCount; ++i) headers.emplace_back(to_string(static_cast<ItemState>(i + 1)));
  Table t(headers);
  auto add = [&](const std::string& name, const std::array<uint64_t, kItemStateCount>& c) {
    std::vector<std::string> r = {name};
    for (auto v : c) r.push_back(std::to_string(v));
    t.add(std::move(r));
  };
  add("(all)", counts->all);
  for (const auto& [tool, c] : counts->by_tool) add(tool, c);
  t.print_aligned(std::cout);
  // The items that need a person, with what to do.
  uint64_t shown = 0;
  Status s = scan_items(*store, a.id, [&](const JobItem& it) {
    if (it.state != ItemState::manual && it.state != ItemState::dead_letter) return true;
    if (shown++ == 0) std::cout << "\nitems needing action:\n";
    std::cout << "  " << to_string(it.state) << "  " << it.tenant << "/" << it.id << " (" << it.tool
              << "): " << it.detail << "\n";
    return shown < 50;
  });
  if (!s.ok()) return fail(s);
  return kDone;
}

int resume(const Globals& g, const JobsArgs& a, bool retry_dead) {
  int code = kDone;
  auto store = open_store(g, &code);
  if (!store) return code;
  auto job = load_job(*store, a.id);
  if (!job.ok()) return fail(job.status());
  if (job->state == JobState::cancelled) return fail(Status::Refused("job " + a.id + " was cancelled"));
  if (job->kind == JobKind::rotate_dek) {
    if (retry_dead) return fail(Status::InvalidArgument("rotation " + a.id + " has no dead letters"));
    if (job->state == JobState::done) {
      std::cerr << "rotation " << a.id << " is already done\n";
      return kDone;
    }
    return run_rotation_job(*store, *job, {0, 0, a.run.no_progress, a.run.format});
  }
  if (retry_dead) {
    auto n = retry_items(*store, a.id, false);
    if (!n.ok()) return fail(n.status());
    std::cerr << "job " << a.id << ": " << *n << " dead-lettered items back to pending\n";
  }
  providers::register_builtin_providers();
  job->state = JobState::running;
  return run_job(*store, *job, a.run);
}

int cancel(const Globals& g, const JobsArgs& a) {
  int code = kDone;
  auto store = open_store(g, &code);
  if (!store) return code;
  auto job = load_job(*store, a.id);
  if (!job.ok()) return fail(job.status());
  job->state = JobState::cancelled;
  const bool rotation = job->kind == JobKind::rotate_dek;
  Status s = save_job(*store, *job, rotation ? "rotate.cancel" : "revoke.cancel");
  if (!s.ok()) return fail(s);
  std::cout << "job " << a.id << " cancelled; "
            << (rotation ? "older DEKs stay decrypt_only until a rotation finishes\n"
                         : "its freeze stays in force\n");
  return kDone;
}

}  // namespace

void register_jobs(CLI::App& app, Globals& g) {
  auto* jobs = app.add_subcommand("jobs", "revocation and rotation jobs");
  jobs->require_subcommand(1);
  auto a = std::make_shared<JobsArgs>();
  auto* l = jobs->add_subcommand("list", "every job, newest first");
  add_format_option(l, &a->format, false);
  l->callback([&g, a] { g.run = [&g, a] { return list(g, *a); }; });
  auto* s = jobs->add_subcommand("show", "counts per state and per provider; items needing action");
  s->add_option("id", a->id, "job id")->required();
  add_format_option(s, &a->format, false);
  s->callback([&g, a] { g.run = [&g, a] { return show(g, *a); }; });
  for (bool retry : {false, true}) {
    auto* r = jobs->add_subcommand(retry ? "retry" : "resume",
                                   retry ? "send dead-lettered items again"
                                         : "finish a job after a crash or stop");
    r->add_option("id", a->id, "job id")->required();
    r->add_option("--providers", a->run.providers_file, "override the job's providers file");
    r->add_flag("--no-progress", a->run.no_progress, "no live progress on the terminal");
    add_format_option(r, &a->run.format, false);
    r->callback([&g, a, retry] { g.run = [&g, a, retry] { return resume(g, *a, retry); }; });
  }
  auto* c = jobs->add_subcommand("cancel", "stop a job (the freeze stays)");
  c->add_option("id", a->id, "job id")->required();
  c->callback([&g, a] { g.run = [&g, a] { return cancel(g, *a); }; });
}

}  // namespace sever::cli

#include "rotate_job.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "sever/actors/rotation_run.h"
#include "sever/store/rotation.h"
#include "sever/store/time.h"

namespace sever::cli {
namespace {

// Test-only hook: SEVER_TEST_ROTATE_PAUSE=POINT:N makes the process stop for good (it blocks
// until killed) when the run reaches POINT for the N-th time, so that a test can kill it with
// SIGKILL at a known point. POINT: "begun" (the job is written, nothing re-sealed yet), "batch",
// "retired", "destroyed" (see actors::RotationOptions::on_step). It says "sever: test pause at
// POINT:N" on stderr first.
struct TestPause {
  std::string point;
  uint64_t n = 0;
};

std::optional<TestPause> test_pause() {
  const char* env = std::getenv("SEVER_TEST_ROTATE_PAUSE");
  if (env == nullptr) return std::nullopt;
  std::string v = env;
  auto colon = v.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return TestPause{v.substr(0, colon), std::strtoull(v.c_str() + colon + 1, nullptr, 10)};
}

void maybe_pause(std::string_view point, uint64_t n) {
  static const std::optional<TestPause> pause = test_pause();
  if (!pause || pause->point != point || pause->n != n) return;
  std::fprintf(stderr, "sever: test pause at %s:%llu\n", pause->point.c_str(),
               static_cast<unsigned long long>(n));
  std::fflush(stderr);
  for (;;) ::pause();
}

// Redraws one progress line in place on a terminal.
class RotationView {
 public:
  explicit RotationView(bool enabled) : enabled_(enabled) {}
  void Draw(const actors::RotationProgress& p) {
    if (!enabled_) return;
    const double rate = p.elapsed_s > 0 ? p.resealed_run / p.elapsed_s : 0;
    const double left = p.estimate > p.resealed ? static_cast<double>(p.estimate - p.resealed) : 0;
    std::fprintf(stderr, "\r\033[2K%.1fs  re-sealed %llu/~%llu  %.0f/s  ETA %.0fs  shards %llu/%llu  "
                 "tenants %llu/%llu",
                 p.elapsed_s, static_cast<unsigned long long>(p.resealed),
                 static_cast<unsigned long long>(p.estimate), rate, rate > 0 ? left / rate : 0.0,
                 static_cast<unsigned long long>(p.shards_done),
                 static_cast<unsigned long long>(p.shards),
                 static_cast<unsigned long long>(p.tenants_done),
                 static_cast<unsigned long long>(p.tenants));
    drawn_ = true;
  }
  ~RotationView() {
    if (drawn_) std::fputs("\n", stderr);
  }

 private:
  bool enabled_;
  bool drawn_ = false;
};

}  // namespace

std::string job_scope(const JobSpec& job) {
  if (job.kind != JobKind::rotate_dek) return job.scope.Describe();
  auto p = rotation_params(job);
  if (!p.ok()) return "dek ?";
  return p->scope == RotationScope::tenant ? "dek tenant " + p->tenant
                                           : "dek " + std::string(to_string(p->scope));
}

int run_rotation_job(Store& store, JobSpec& job, const RotateFlags& flags) {
  maybe_pause("begun", 1);
  actors::RotationOptions o;
  if (flags.workers > 0) o.workers = flags.workers;
  auto params = rotation_params(job);
  if (!params.ok()) return fail(params.status());
  o.max_rate = flags.max_rate > 0 ? flags.max_rate : params->max_rate;
  if (std::getenv("SEVER_TEST_ROTATE_PAUSE") != nullptr) o.on_step = maybe_pause;
  auto r = [&] {
    RotationView view(!flags.no_progress && flags.format != Format::json && isatty(2));
    return actors::run_rotation(store, job, o, [&](const actors::RotationProgress& p) { view.Draw(p); });
  }();
  if (!r.ok()) return fail(r.status().Prefixed("rotation " + job.id));
  const auto& p = *r;
  const char* state = p.cancelled ? "cancelled" : "done";
  if (flags.format == Format::json) {
    std::cout << nlohmann::json{{"job", job.id}, {"state", state}, {"seconds", p.elapsed_s},
                                {"resealed", p.resealed}, {"resealed_this_run", p.resealed_run},
                                {"rate_per_second", p.elapsed_s > 0 ? p.resealed_run / p.elapsed_s : 0},
                                {"tenants", p.tenants}, {"tenants_done", p.tenants_done},
                                {"shards", p.shards}, {"shards_done", p.shards_done}}
                     .dump(2)
              << "\n";
  } else {
    std::printf("rotation %s %s in %.2f s: %llu records re-sealed (%.0f/s), %llu/%llu tenants "
                "done%s\n",
                job.id.c_str(), state, p.elapsed_s, static_cast<unsigned long long>(p.resealed_run),
                p.elapsed_s > 0 ? p.resealed_run / p.elapsed_s : 0.0,
                static_cast<unsigned long long>(p.tenants_done),
                static_cast<unsigned long long>(p.tenants),
                p.cancelled ? "" : "; their previous DEKs are destroyed");
  }
  return p.cancelled ? kRefused : kDone;
}

int show_rotation_job(Store& store, const JobSpec& job, Format format) {
  auto params = rotation_params(job);
  if (!params.ok()) return fail(params.status());
  auto shards = load_shards(store, job.id);
  if (!shards.ok()) return fail(shards.status());
  uint64_t resealed = 0;
  nlohmann::json js = nlohmann::json::array();
  Table t({"SHARD", "PHASE", "TENANTS", "RESEALED", "PASSES", "AT"});
  for (const auto& s : *shards) {
    resealed += s.resealed;
    nlohmann::json tenants = nlohmann::json::object();
    for (size_t i = 0; i < s.tenants.size(); ++i) tenants[s.tenants[i]] = tenant_stage(s, i);
    js.push_back({{"index", s.index}, {"phase", to_string(s.phase)}, {"resealed", s.resealed},
                  {"estimate", s.estimate}, {"passes", s.passes}, {"tenants", tenants}});
    const std::string at = s.phase == ShardPhase::reseal && s.tenant_pos < s.tenants.size()
                               ? s.tenants[s.tenant_pos] + (s.cursor.empty() ? "" : "/" + s.cursor)
                               : "-";
    t.add({std::to_string(s.index), std::string(to_string(s.phase)),
           std::to_string(s.tenants.size()), std::to_string(s.resealed) + "/~" + std::to_string(s.estimate),
           std::to_string(s.passes), at});
  }
  if (format == Format::json) {
    std::cout << nlohmann::json{{"id", job.id}, {"kind", to_string(job.kind)},
                                {"state", to_string(job.state)}, {"scope", job_scope(job)},
                                {"actor", job.actor}, {"created_at", format_rfc3339(job.created_at)},
                                {"tenants", params->tenants}, {"new_deks", params->new_deks},
                                {"estimate", params->estimate}, {"resealed", resealed},
                                {"shards", js}}
                     .dump(2)
              << "\n";
    return kDone;
  }
  std::cout << "rotation " << job.id << " (" << to_string(job.state) << "): " << job_scope(job)
            << ", by " << job.actor << " at " << format_rfc3339(job.created_at) << ": "
            << params->tenants << " tenants, " << params->new_deks << " new DEKs, " << resealed
            << "/~" << params->estimate << " records re-sealed\n\n";
  t.print_aligned(std::cout);
  return kDone;
}

}  // namespace sever::cli

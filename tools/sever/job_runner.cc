#include "job_runner.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "sever/actors/revocation_run.h"

namespace sever::cli {
namespace {

std::string eta(const actors::ProviderProgress& p, double elapsed) {
  const uint64_t done = p.done();
  if (done == 0 || elapsed <= 0) return "-";
  double secs = (p.total - done) / (done / elapsed);
  char b[32];
  std::snprintf(b, sizeof b, "%.0fs", secs);
  return b;
}

// Redraws the progress block in place on a terminal.
class ProgressView {
 public:
  explicit ProgressView(bool enabled) : enabled_(enabled) {}
  void Draw(const actors::RunProgress& p) {
    if (!enabled_) return;
    std::string out;
    for (int i = 0; i < lines_; ++i) out += "\033[1A\033[2K";
    const auto& a = p.all;
    char line[256];
    std::snprintf(line, sizeof line,
                  "%.1fs  %llu/%llu done  %.0f/s  ETA %s  429s %llu  dead %llu  manual %llu\n",
                  p.elapsed_s, (unsigned long long)a.done(), (unsigned long long)a.total,
                  p.elapsed_s > 0 ? a.done() / p.elapsed_s : 0.0, eta(a, p.elapsed_s).c_str(),
                  (unsigned long long)a.limited, (unsigned long long)a.dead_letter,
                  (unsigned long long)a.manual);
    out += line;
    // The providers with the most left first: on a screen, the dozen that decide the ETA.
    std::vector<std::pair<const std::string*, const actors::ProviderProgress*>> rows;
    for (const auto& [name, pp] : p.by_provider) rows.emplace_back(&name, &pp);
    auto left = [](const actors::ProviderProgress* q) {
      return q->total > q->done() ? q->total - q->done() : 0;
    };
    std::stable_sort(rows.begin(), rows.end(),
                     [&](const auto& a, const auto& b) { return left(a.second) > left(b.second); });
    int n = 1;
    for (const auto& [name_ptr, pp_ptr] : rows) {
      if (n > 12) break;
      const std::string& name = *name_ptr;
      const actors::ProviderProgress& pp = *pp_ptr;
      std::snprintf(line, sizeof line, "  %-18s %8llu/%-8llu 429s %-6llu retries %-6llu dead %llu\n",
                    name.c_str(), (unsigned long long)pp.done(), (unsigned long long)pp.total,
                    (unsigned long long)pp.limited, (unsigned long long)pp.retries,
                    (unsigned long long)pp.dead_letter);
      out += line;
      ++n;
    }
    lines_ = n;
    std::fputs(out.c_str(), stderr);
  }

 private:
  bool enabled_;
  int lines_ = 0;
};

nlohmann::json to_json(const actors::ProviderProgress& p) {
  return {{"total", p.total}, {"revoked", p.revoked}, {"already_gone", p.already_gone},
          {"manual", p.manual}, {"dead_letter", p.dead_letter}, {"requests", p.requests},
          {"rate_limited", p.limited}, {"retries", p.retries},
          {"finished_s", p.finished_s >= 0 ? nlohmann::json(p.finished_s) : nlohmann::json()}};
}

}  // namespace

int run_job(Store& store, JobSpec& job, const RunFlags& flags) {
  const std::string file = flags.providers_file.empty() ? job.providers_file : flags.providers_file;
  auto providers = providers::load_providers(file);
  if (!providers.ok()) return fail(providers.status());
  return run_job(store, job, *providers, flags);
}

int run_job(Store& store, JobSpec& job, const providers::ProviderSet& providers,
            const RunFlags& flags) {
  double materialize_s = 0;
  if (!job.materialized) {
    const auto t0 = std::chrono::steady_clock::now();
    auto n = materialize_job(store, job, job.created_at);
    if (!n.ok()) return fail(n.status());
    materialize_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (flags.format != Format::json) {
      std::cerr << "job " << job.id << ": " << *n << " credentials to revoke (items written in "
                << materialize_s << " s)\n";
    }
  }
  ProgressView view(!flags.no_progress && flags.format != Format::json && isatty(2));
  actors::RunOptions o;
  o.actor = "revoker:" + job.id;
  auto r = actors::run_revocation(store, job, providers, o,
                                  [&](const actors::RunProgress& p) { view.Draw(p); });
  if (!r.ok()) return fail(r.status().Prefixed("job " + job.id));
  const auto& a = r->all;
  if (flags.format == Format::json) {
    nlohmann::json by = nlohmann::json::object();
    for (const auto& [name, p] : r->by_provider) by[name] = to_json(p);
    nlohmann::json out = {{"job", job.id}, {"state", to_string(job.state)},
                          {"seconds", r->elapsed_s}, {"materialize_seconds", materialize_s},
                          {"all", to_json(a)}, {"by_provider", by}};
    if (flags.freeze_ms >= 0) out["freeze_ms"] = flags.freeze_ms;
    std::cout << out.dump(2) << "\n";
  } else {
    std::printf("job %s %s in %.2f s: %llu revoked, %llu already gone, %llu manual, %llu dead-lettered "
                "(%llu requests, %llu rate-limited)\n",
                job.id.c_str(), std::string(to_string(job.state)).c_str(), r->elapsed_s,
                (unsigned long long)a.revoked, (unsigned long long)a.already_gone,
                (unsigned long long)a.manual, (unsigned long long)a.dead_letter,
                (unsigned long long)a.requests, (unsigned long long)a.limited);
    if (a.manual + a.dead_letter > 0) {
      std::printf("items needing action: sever jobs show %s (manual: admin steps; dead letters: "
                  "sever jobs retry %s)\n", job.id.c_str(), job.id.c_str());
    }
  }
  return a.manual + a.dead_letter > 0 ? kUnfinished : kDone;
}

}  // namespace sever::cli

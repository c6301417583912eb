// Running a revocation job from the CLI: providers, progress on a terminal, the summary.
#pragma once

#include <string>

#include "cli.h"
#include "sever/providers/providers_file.h"
#include "sever/store/revocation.h"

namespace sever::cli {

struct RunFlags {
  std::string providers_file;  // overrides the job's own when set
  bool no_progress = false;
  Format format = Format::table;
  double freeze_ms = -1;  // set by `revoke`: how long the freeze took, for the JSON summary
};

/// Materializes the job if needed, runs it to the end with `providers`, prints the summary (a
/// table, or JSON with --format json) and returns the exit code: 0, 4 when items ended
/// dead-lettered or manual, or the failure's code.
int run_job(Store& store, JobSpec& job, const providers::ProviderSet& providers,
            const RunFlags& flags);

/// Loads the providers a job runs with (--providers over the job's own file), then run_job.
int run_job(Store& store, JobSpec& job, const RunFlags& flags);

}  // namespace sever::cli

// Running a revocation job from the CLI: providers, progress on a terminal, the summary.
#pragma once

#include <string>

#include "cli.h"
#include "sever/store/revocation.h"

namespace sever::cli {

struct RunFlags {
  std::string providers_file;  // overrides the job's own when set
  bool no_progress = false;
  Format format = Format::table;
};

/// Materializes the job if needed, runs it to the end, prints the summary (a table, or JSON
/// with --format json) and returns the exit code: 0, 4 when items ended dead-lettered or
/// manual, or the failure's code.
int run_job(Store& store, JobSpec& job, const RunFlags& flags);

}  // namespace sever::cli

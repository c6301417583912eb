// Running and showing DEK rotation jobs from the CLI (`rotate dek`, `jobs resume|show ID`).
#pragma once

#include <string>

#include "cli.h"
#include "sever/store/revocation.h"

namespace sever::cli {

struct RotateFlags {
  double max_rate = 0;     // records re-sealed per second; 0: the job's own (else unlimited)
  size_t workers = 0;      // 0: the default (the cores)
  bool no_progress = false;
  Format format = Format::table;
};

/// Runs a rotation job to its end with progress on a terminal, prints the summary (a line, or
/// JSON with --format json) and returns the exit code: 0 done, 3 cancelled, else the failure's.
int run_rotation_job(Store& store, JobSpec& job, const RotateFlags& flags);

/// Prints a rotation job: its state and counts, then each shard's phase and tenants' stages.
int show_rotation_job(Store& store, const JobSpec& job, Format format);

/// Returns what a job covers, for listings: "tenant acme", "all", … ("dek …" for rotation).
std::string job_scope(const JobSpec& job);

}  // namespace sever::cli

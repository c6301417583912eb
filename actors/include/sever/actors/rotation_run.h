// Runs a DEK rotation job on the actor system: a rotation supervisor hands the job's shards to
// a bounded number of worker actors, which re-seal, verify and destroy (see
// sever/store/rotation.h for the steps), held together to --max-rate by a token bucket.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string_view>
#include <thread>

#include "sever/store/revocation.h"
#include "sever/store/rotation.h"
#include "sever/store/status.h"
#include "sever/store/store.h"

namespace sever::actors {

/// Where a run stands.
struct RotationProgress {
  double elapsed_s = 0;
  uint64_t resealed = 0;      // records re-sealed by the job, this run and runs before it
  uint64_t resealed_run = 0;  // by this run
  uint64_t estimate = 0;      // records on older versions when the job began (an estimate)
  uint64_t shards = 0, shards_done = 0;
  uint64_t tenants = 0, tenants_done = 0;  // tenants done: their shard is done
  bool cancelled = false;                  // the job was cancelled in the store meanwhile
};

/// How to run. Every field says its default.
struct RotationOptions {
  /// Worker actors, one shard each at a time. Default: the cores (at least 1).
  size_t workers = std::max(1u, std::thread::hardware_concurrency());
  /// Records re-sealed per second, all workers together; <= 0: unlimited. Default unlimited.
  double max_rate = 0;
  /// Records re-sealed per batch (one write, one checkpoint); fewer under a low max_rate, so
  /// that a batch is about 50 ms of the rate. Default 250: every foreground write (a read's
  /// audit entry too) queues in RocksDB behind the batch being written, and at 1000 records
  /// that wait made read p99 under load 6.9-8.2 ms against 4.8-5.0 ms at 250 (1.7M bench).
  size_t batch = 250;
  /// The workers' CPU priority as a nice value (Linux schedules each thread on its own): 10
  /// by default, so that foreground reads and writes get a core first when they need one.
  int nice = 10;
  double progress_interval_s = 0.5;
  /// Test hook, called from a worker thread after each committed step: point "batch" with the
  /// number of re-seal batches this run has committed, "retired" and "destroyed" with the
  /// number of shards that reached that. Empty: none.
  std::function<void(std::string_view point, uint64_t n)> on_step;
};

/// Runs the job's shards that are not done to their end and marks the job done; shards left
/// mid-way by a crash resume from their checkpoint. Stops early, leaving the job as it is,
/// when the job is cancelled in the store (checked every second; progress says cancelled) or
/// at the first failure (returned: the job stays running, so it can be resumed). `progress` is
/// called from the calling thread every progress_interval_s and once at the end. Blocks.
Result<RotationProgress> run_rotation(Store& store, JobSpec& job, const RotationOptions& options,
                                      const std::function<void(const RotationProgress&)>& progress);

}  // namespace sever::actors

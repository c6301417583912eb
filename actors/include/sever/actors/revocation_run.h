// Runs a revocation job on the actor system: a job supervisor, one dispatcher per (provider,
// rate-limit key), the libcurl client, and a store writer that group-commits item transitions.
#pragma once

#include <algorithm>
#include <cstdint>
#include <thread>
#include <functional>
#include <map>
#include <string>

#include "sever/providers/providers_file.h"
#include "sever/store/revocation.h"
#include "sever/store/status.h"
#include "sever/store/store.h"

namespace sever::actors {

/// Counters of one provider (or of the whole job).
struct ProviderProgress {
  uint64_t total = 0;         // items of this run
  uint64_t revoked = 0;
  uint64_t already_gone = 0;
  uint64_t manual = 0;
  uint64_t dead_letter = 0;
  uint64_t requests = 0;      // HTTP requests sent
  uint64_t limited = 0;       // answered "too many requests"
  uint64_t retries = 0;       // transient failures retried
  /// Seconds into the run when this provider's last item became final (< 0: not yet, or
  /// nothing of it was left for this run).
  double finished_s = -1;
  uint64_t done() const { return revoked + already_gone + manual + dead_letter; }
  /// Counts one item that reached `s` (non-final states count nowhere).
  void count_final(ItemState s) {
    switch (s) {
      case ItemState::revoked: ++revoked; break;
      case ItemState::already_gone: ++already_gone; break;
      case ItemState::manual: ++manual; break;
      case ItemState::dead_letter: ++dead_letter; break;
      default: break;
    }
  }
};

struct RunProgress {
  double elapsed_s = 0;
  ProviderProgress all;
  std::map<std::string, ProviderProgress> by_provider;
};

struct RunOptions {
  size_t max_in_flight = 256;      // HTTP transfers at once, all providers together
  /// HTTP client threads (libcurl multi handles). One was the bottleneck on 2 cores: a 600k
  /// revoke took 24.7-33.5 s with one against 23.6-25.1 s with two, in alternated runs.
  size_t http_threads = 2;
  /// CAF scheduler threads. Half the cores: the curl thread and the store writer need the rest
  /// (on 2 cores, 1 thread measured 22.9k req/s against 15.6k with 2: fewer cross-thread
  /// wake-ups).
  int scheduler_threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / 2);
  /// Items given to one dispatcher and not yet final; a paced one (below twice this rate)
  /// holds one second of its rate instead, at least 16.
  size_t dispatcher_queue = 1024;
  size_t tool_backlog = 4096;      // items read ahead for a tool's busy dispatchers
  /// Items read from the store and not yet durably final, all dispatchers together: bounds
  /// memory when the store writer or the providers are slower than the reads.
  size_t max_live = 65536;
  int max_restarts = 3;            // per dispatcher, then the run fails (resume continues it)
  size_t writer_batch = 2000;      // item transitions per group commit
  double writer_interval_s = 0.05;  // or this often
  double progress_interval_s = 0.5;
  uint64_t seed = 1;
  std::string actor = "revoker";   // audit actor of item transitions
};

/// Runs the job's non-final items to completion (or until the job is cancelled in the store)
/// and returns the final progress. Items left in_flight by a crash are sent again. Items
/// stream from the store tool by tool, riskiest first, each dispatcher holding at most
/// dispatcher_queue of them, so memory does not grow with the job. A dispatcher that dies is
/// restarted from the store's durable item states (up to max_restarts times). `progress` is
/// called from the calling thread every progress_interval_s. Blocks until done.
Result<RunProgress> run_revocation(Store& store, JobSpec& job,
                                   const providers::ProviderSet& providers,
                                   const RunOptions& options,
                                   const std::function<void(const RunProgress&)>& progress);

}  // namespace sever::actors

// Internal: the rotation worker actor. Detached, since its RocksDB and crypto work blocks: it
// steps the shard it is given one batch at a time (a message to itself between steps, so an
// exit is honoured between two batches), waits what the shared token bucket says, and reports
// every step to its supervisor.
#pragma once

#include <atomic>
#include <functional>
#include <string_view>

#include <caf/all.hpp>

#include "sever/actors/token_bucket.h"
#include "sever/store/rotation.h"

namespace sever::actors {

using shard_atom = caf::atom_constant<caf::atom("shard")>;      // supervisor → worker: a shard
using step_atom = caf::atom_constant<caf::atom("rstep")>;       // worker → itself
using stepped_atom = caf::atom_constant<caf::atom("stepped")>;  // worker → supervisor: report
using failed_atom = caf::atom_constant<caf::atom("failed")>;    // worker → supervisor: why

/// What one step did, for the supervisor's counters.
struct StepReport {
  uint32_t shard = 0;
  uint64_t resealed = 0;  // by this step
  ShardPhase phase = ShardPhase::reseal;  // the shard's phase after it
};

struct WorkerSetup {
  Store* store = nullptr;
  caf::actor supervisor;
  TokenBucket* bucket = nullptr;  // outlives the worker
  size_t batch = 1000;
  int nice = 10;  // the worker thread's CPU priority
  std::function<void(std::string_view, uint64_t)> on_step;  // the test hook, may be empty
  std::atomic<uint64_t>* batches = nullptr;  // re-seal batches committed by this run
  std::atomic<uint64_t>* retired = nullptr;  // shards that retired their old DEKs
  std::atomic<uint64_t>* destroyed = nullptr;
};

/// Spawns a worker. It takes `shard_atom, RotationShard` and, when the shard is done, reports
/// that and waits for the next.
caf::actor spawn_rotation_worker(caf::actor_system& sys, WorkerSetup setup);

}  // namespace sever::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sever::Status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sever::RotationShard)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sever::actors::StepReport)

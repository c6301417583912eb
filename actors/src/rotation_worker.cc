#include "rotation_worker.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <optional>

namespace sever::actors {
namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct WorkerState {
  WorkerSetup setup;
  std::optional<RotationShard> shard;
  bool niced = false;
};

using Self = caf::stateful_actor<WorkerState>;

// Calls the test hook for the step that took the shard from `before` to `after`.
void hook(const WorkerSetup& s, ShardPhase before, ShardPhase after) {
  if (before == ShardPhase::reseal) {
    const uint64_t n = ++*s.batches;
    if (s.on_step) s.on_step("batch", n);
  } else if (before == ShardPhase::verify && after == ShardPhase::destroy) {
    const uint64_t n = ++*s.retired;
    if (s.on_step) s.on_step("retired", n);
  } else if (before == ShardPhase::destroy) {
    const uint64_t n = ++*s.destroyed;
    if (s.on_step) s.on_step("destroyed", n);
  }
}

void step(Self* self) {
  auto& st = self->state;
  if (!st.shard) return;
  const ShardPhase before = st.shard->phase;
  auto r = step_shard(*st.setup.store, *st.shard, st.setup.batch);
  if (!r.ok()) {
    self->send(st.setup.supervisor, failed_atom::value, r.status());
    st.shard.reset();
    return;
  }
  const ShardPhase after = st.shard->phase;
  self->send(st.setup.supervisor, stepped_atom::value, StepReport{st.shard->index, *r, after});
  hook(st.setup, before, after);
  if (after == ShardPhase::done) {
    st.shard.reset();
    return;
  }
  const double wait = st.setup.bucket->Take(static_cast<double>(*r), now_s());
  if (wait > 0) {
    self->delayed_send(self, std::chrono::microseconds(static_cast<int64_t>(wait * 1e6)),
                       step_atom::value);
  } else {
    self->send(self, step_atom::value);
  }
}

caf::behavior worker(Self* self, WorkerSetup setup) {
  self->state.setup = std::move(setup);
  return {
      [=](shard_atom, RotationShard& shard) {
        if (!self->state.niced) {  // detached: this thread is the worker's for its whole life
          (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)),
                              self->state.setup.nice);
          self->state.niced = true;
        }
        self->state.shard = std::move(shard);
        self->send(self, step_atom::value);
      },
      [=](step_atom) { step(self); },
  };
}

}  // namespace

caf::actor spawn_rotation_worker(caf::actor_system& sys, WorkerSetup setup) {
  return sys.spawn<caf::detached>(worker, std::move(setup));
}

}  // namespace sever::actors

#include "store_writer.h"

#include <chrono>
#include <vector>

#include "messages.h"

namespace sever::actors {
namespace {

struct WriterState {
  Store* store = nullptr;
  size_t batch = 2000;
  std::chrono::microseconds interval{50000};
  std::string actor;
  std::vector<JobItem> buffer;
  bool timer = false;
  uint64_t committed = 0;
  Status failure;  // the first commit error, reported on flush
};

void commit(WriterState& s) {
  if (s.buffer.empty()) return;
  Status st = commit_items(*s.store, s.buffer, s.actor);
  if (!st.ok()) {
    if (s.failure.ok()) s.failure = st;
    return;  // kept: the next flush tries again
  }
  s.committed += s.buffer.size();
  s.buffer.clear();
}

caf::behavior writer(caf::stateful_actor<WriterState>* self, Store* store, size_t batch,
                     double interval_s, std::string actor) {
  auto& s = self->state;
  s.store = store;
  s.batch = batch;
  s.interval = std::chrono::microseconds(static_cast<int64_t>(interval_s * 1e6));
  s.actor = std::move(actor);
  return {
      [=](update_atom, JobItem& item) {
        auto& st = self->state;
        st.buffer.push_back(std::move(item));
        if (st.buffer.size() >= st.batch) {
          commit(st);
        } else if (!st.timer) {
          st.timer = true;
          self->delayed_send(self, st.interval, tick_atom::value);
        }
      },
      [=](tick_atom) {
        self->state.timer = false;
        commit(self->state);
        if (!self->state.buffer.empty() && !self->state.timer) {  // a failed commit: try again
          self->state.timer = true;
          self->delayed_send(self, self->state.interval, tick_atom::value);
        }
      },
      [=](flush_atom) -> caf::result<uint64_t> {
        auto& st = self->state;
        commit(st);
        if (!st.failure.ok()) {
          return caf::make_error(caf::sec::runtime_error, st.failure.ToString());
        }
        return st.committed;
      },
  };
}

}  // namespace

caf::actor spawn_store_writer(caf::actor_system& sys, Store& store, size_t batch,
                              double interval_s, std::string actor) {
  return sys.spawn<caf::detached>(writer, &store, batch, interval_s, std::move(actor));
}

}  // namespace sever::actors

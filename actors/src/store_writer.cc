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
  caf::actor notify;
  std::vector<JobItem> buffer;
  bool timer = false;
  uint64_t committed = 0;
  Status failure;  // the first commit error, reported on flush
};

void commit(caf::stateful_actor<WriterState>* self) {
  auto& s = self->state;
  if (s.buffer.empty()) return;
  Status st = commit_items(*s.store, s.buffer, s.actor);
  if (!st.ok()) {
    if (s.failure.ok()) s.failure = st;
    return;  // kept: the next flush tries again
  }
  uint64_t final = 0;
  for (const JobItem& it : s.buffer) final += is_final(it.state) ? 1 : 0;
  s.committed += s.buffer.size();
  s.buffer.clear();
  if (final > 0 && s.notify) self->send(s.notify, committed_atom::value, final);
}

caf::behavior writer(caf::stateful_actor<WriterState>* self, Store* store, size_t batch,
                     double interval_s, std::string actor, caf::actor notify) {
  auto& s = self->state;
  s.notify = std::move(notify);
  s.store = store;
  s.batch = batch;
  s.interval = std::chrono::microseconds(static_cast<int64_t>(interval_s * 1e6));
  s.actor = std::move(actor);
  return {
      [=](update_atom, ItemBatch& items) {
        auto& st = self->state;
        if (st.buffer.empty()) {
          st.buffer.swap(items);
        } else {
          st.buffer.insert(st.buffer.end(), std::make_move_iterator(items.begin()),
                           std::make_move_iterator(items.end()));
        }
        if (st.buffer.size() >= st.batch) {
          commit(self);
        } else if (!st.timer) {
          st.timer = true;
          self->delayed_send(self, st.interval, tick_atom::value);
        }
      },
      [=](tick_atom) {
        self->state.timer = false;
        commit(self);
        if (!self->state.buffer.empty() && !self->state.timer) {  // a failed commit: try again
          self->state.timer = true;
          self->delayed_send(self, self->state.interval, tick_atom::value);
        }
      },
      [=](flush_atom) -> caf::result<uint64_t> {
        auto& st = self->state;
        commit(self);
        if (!st.failure.ok()) {
          return caf::make_error(caf::sec::runtime_error, st.failure.ToString());
        }
        return st.committed;
      },
  };
}

}  // namespace

caf::actor spawn_store_writer(caf::actor_system& sys, Store& store, size_t batch,
                              double interval_s, std::string actor, caf::actor notify) {
  return sys.spawn<caf::detached>(writer, &store, batch, interval_s, std::move(actor),
                                  std::move(notify));
}

}  // namespace sever::actors

// Deadlines for delayed responses and housekeeping: a binary min-heap, no thread per timer.
#pragma once

#include <cstdint>
#include <cstddef>
#include <queue>
#include <vector>

namespace sever::fake {

/// What a timer refers to: a pending response on a connection. A connection is named by its
/// fd and a generation number, so a timer that outlives its connection is recognised as stale.
struct TimerTarget {
  int fd = -1;
  uint64_t generation = 0;
  uint64_t seq = 0;  // the pending response's sequence number on that connection
};

/// A min-heap of deadlines (microseconds of a monotonic clock). Not thread-safe: one per loop.
class TimerHeap {
 public:
  /// Schedules `target` to fire at `deadline_us`.
  void add(int64_t deadline_us, const TimerTarget& target);

  /// Returns the earliest deadline, or -1 if no timer is scheduled.
  int64_t next_deadline() const { return heap_.empty() ? -1 : heap_.top().deadline_us; }

  /// Removes and returns in `out` the target of the earliest timer if it is due at `now_us`.
  /// Returns false if none is due.
  bool pop_due(int64_t now_us, TimerTarget* out);

  /// Returns how many timers are scheduled.
  size_t size() const { return heap_.size(); }

 private:
  struct Entry {
    int64_t deadline_us;
    uint64_t order;  // FIFO among equal deadlines
    TimerTarget target;
    bool operator>(const Entry& o) const {
      return deadline_us != o.deadline_us ? deadline_us > o.deadline_us : order > o.order;
    }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
  uint64_t order_ = 0;
};

}  // namespace sever::fake

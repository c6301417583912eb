#include "timers.h"

namespace sever::fake {

void TimerHeap::add(int64_t deadline_us, const TimerTarget& target) {
  heap_.push(Entry{deadline_us, order_++, target});
}

bool TimerHeap::pop_due(int64_t now_us, TimerTarget* out) {
  if (heap_.empty() || heap_.top().deadline_us > now_us) return false;
  *out = heap_.top().target;
  heap_.pop();
  return true;
}

}  // namespace sever::fake

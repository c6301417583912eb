#include "dispatcher.h"

#include <chrono>
#include <deque>
#include <optional>
#include <queue>
#include <unordered_map>

#include "messages.h"
#include "sever/store/time.h"

namespace sever::actors {
namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

constexpr double kPumpInterval = 0.02;  // seconds
// While requests are in flight their completions pump as they come: the timer is only a
// fallback (the pacer's bucket holds more than this many seconds of its rate, so no token is lost).
constexpr double kBusyPumpInterval = 0.1;
// Transitions and counters go out in batches of this many, or this often, or when nothing is
// in flight: each message wakes the writer's or the supervisor's thread.
constexpr size_t kFlushItems = 256;
constexpr double kFlushInterval = 0.02;

struct Waiting {
  double at;
  Work work;
  bool operator>(const Waiting& o) const { return at > o.at; }
};

struct DispatcherState {
  DispatcherSetup setup;
  std::unique_ptr<Pacer> pacer;
  std::shared_ptr<Inbox> inbox = std::make_shared<Inbox>();
  std::deque<Work> ready;
  /// The next item to send, its request built and waiting for the pacer: an item that ends
  /// without a request (manual, unreadable) never takes a token of the provider's rate.
  std::optional<std::pair<Work, providers::HttpRequest>> next;
  std::priority_queue<Waiting, std::vector<Waiting>, std::greater<>> waiting;  // retry_wait
  std::unordered_map<uint64_t, Work> in_flight;
  uint64_t next_slot = 0;
  double pump_at = 0;  // a pump is scheduled for this time (0: none)
  double flushed_at = 0;  // last flush that sent
  std::string gave_up;  // why the queue was dead-lettered: so are later items, while down
  ItemBatch updates;   // transitions not yet sent to the writer
  Report report;       // counters not yet sent to the supervisor
};

using Self = caf::stateful_actor<DispatcherState>;

// Records a transition; final ones count as finished. Sent by flush(). A final transition
// moves the item out (its work is done; callers drop it), any other copies it (it stays queued).
void finish(Self* self, JobItem& item, ItemState state, std::string detail) {
  auto& s = self->state;
  item.state = state;
  item.detail = std::move(detail);
  item.updated_ms = now_unix_ms();
  s.report.delta.count_final(state);
  if (is_final(state)) {
    ++s.report.finished;
    s.updates.push_back(std::move(item));
  } else {
    s.updates.push_back(item);
  }
}

// Sends the transitions and counters gathered so far when there are enough of them, they are
// old enough, or no request is in flight (no completion will come to send them later): to the
// writer first, so that what the supervisor counts is on its way to the store.
void flush(Self* self) {
  auto& s = self->state;
  const double now = now_s();
  if (!s.in_flight.empty() && s.updates.size() < kFlushItems && now - s.flushed_at < kFlushInterval) {
    return;
  }
  s.flushed_at = now;
  if (!s.updates.empty()) {
    self->send(s.setup.writer, update_atom::value, std::move(s.updates));
    s.updates = ItemBatch();
  }
  const ProviderProgress& d = s.report.delta;
  if (s.report.finished > 0 || d.requests > 0 || d.retries > 0) {
    self->send(s.setup.supervisor, report_atom::value, s.report);
    s.report = Report();
    s.report.dispatcher = s.setup.index;
  }
}

// Decrypts the secret and builds the request; false when the item ended without one.
bool prepare(Self* self, Work& w, providers::HttpRequest* req) {
  auto& s = self->state;
  JobItem& item = w.item;
  if (!s.setup.adapter->has_api()) {
    finish(self, item, ItemState::manual, s.setup.config->manual_action);
    return false;
  }
  providers::RevokeItem ri;
  ri.tenant = item.tenant;
  ri.id = item.id;
  ri.tool = item.tool;
  ri.client = item.client;
  // A kind the adapter does not revoke: the supervisor did not read the record, and the secret
  // is not decrypted; Build refuses it, saying why.
  const bool unread = !needs_record(*s.setup.adapter, item);
  if (unread) {
    ri.kind = *item.kind;
  } else {
    if (!w.has_record) {
      finish(self, item, ItemState::dead_letter, w.read_error);
      return false;
    }
    if (w.record.sealed.empty()) {  // another job confirmed it already
      finish(self, item, ItemState::already_gone, "secret already erased after revocation");
      return false;
    }
    ri.kind = w.record.kind;
    auto secret = s.setup.store->OpenSealed(w.record);  // kept sealed in w for a retry
    if (!secret.ok()) {
      finish(self, item, ItemState::dead_letter, secret.status().message());
      return false;
    }
    ri.token = std::move(secret).value();
  }
  auto built = s.setup.adapter->Build(ri, *s.setup.config);
  if (!built.ok() || unread) {  // refused: no API for this kind of credential, a person must act
    const bool manual = !built.ok() && built.status().code() == Code::refused;
    finish(self, item, manual ? ItemState::manual : ItemState::dead_letter,
           built.ok() ? "adapter " + std::string(s.setup.adapter->name()) +
                            " built a request for a kind it does not revoke"
                      : built.status().message());
    return false;
  }
  *req = std::move(built).value();
  return true;
}

void schedule(Self* self, double now) {
  auto& s = self->state;
  const bool ready = s.next || !s.ready.empty();
  if (!ready && s.waiting.empty()) return;
  double at = ready ? s.pacer->NextReady(now) : s.waiting.top().at;
  if (!s.waiting.empty()) at = std::min(at, s.waiting.top().at);
  if (at > now + 3600) return;  // only a completion can free a slot: it pumps
  // Waiting for tokens: wake at most every kPumpInterval and send what accumulated, rather than
  // a timer per request (at thousands of requests per second the timers were the cost).
  if (at > now) at = std::max(at, now + (s.in_flight.empty() ? kPumpInterval : kBusyPumpInterval));
  if (s.pump_at != 0 && s.pump_at <= at) return;
  s.pump_at = std::max(at, now);
  auto delay = std::chrono::microseconds(static_cast<int64_t>((s.pump_at - now) * 1e6));
  self->delayed_send(self, delay, pump_atom::value);
}

// Sends what the pacer allows now, then schedules the next pump.
void pump(Self* self) {
  auto& s = self->state;
  const double now = now_s();
  s.pump_at = 0;
  while (!s.waiting.empty() && s.waiting.top().at <= now) {
    s.ready.push_back(std::move(const_cast<Waiting&>(s.waiting.top()).work));
    s.waiting.pop();
  }
  caf::actor me = caf::actor_cast<caf::actor>(self);
  for (;;) {
    if (!s.next) {
      if (s.ready.empty()) break;
      Work w = std::move(s.ready.front());
      s.ready.pop_front();
      providers::HttpRequest req;
      if (!prepare(self, w, &req)) continue;
      s.next.emplace(std::move(w), std::move(req));
    }
    if (!s.pacer->TryAcquire(now)) break;
    Work w = std::move(s.next->first);
    providers::HttpRequest req = std::move(s.next->second);
    s.next.reset();
    const uint64_t slot = s.next_slot++;
    s.in_flight.emplace(slot, std::move(w));
    ++s.report.delta.requests;
    s.setup.http->Submit(std::move(req), [me, inbox = s.inbox, slot](providers::HttpResponse r) {
      bool wake;
      {
        std::lock_guard<std::mutex> lock(inbox->mu);
        wake = inbox->responses.empty();
        inbox->responses.emplace_back(slot, std::move(r));
      }
      if (wake) caf::anon_send(me, drain_atom::value);
    }, static_cast<long>(s.setup.config->timeout_s * 1000));
  }
  schedule(self, now);
}

// Dead-letters every queued item: `sever jobs retry` sends them again once the provider is back.
void give_up(Self* self, const std::string& why) {
  auto& s = self->state;
  s.gave_up = why;
  while (!s.waiting.empty()) {
    s.ready.push_back(std::move(const_cast<Waiting&>(s.waiting.top()).work));
    s.waiting.pop();
  }
  if (s.next) finish(self, s.next->first.item, ItemState::dead_letter, why);
  s.next.reset();
  for (auto& w : s.ready) finish(self, w.item, ItemState::dead_letter, why);
  s.ready.clear();
}

// Classifies one answer and moves its item on.
void complete(Self* self, uint64_t slot, const providers::HttpResponse& resp) {
  auto& s = self->state;
  auto it = s.in_flight.find(slot);
  if (it == s.in_flight.end()) return;
  Work w = std::move(it->second);
  s.in_flight.erase(it);
  JobItem& item = w.item;
  const double now = now_s();
  providers::RevokeItem ri;  // classification needs the item's identity, not its secret
  ri.tenant = item.tenant;
  ri.id = item.id;
  ri.tool = item.tool;
  ri.client = item.client;
  auto c = s.setup.adapter->Classify(resp, ri, static_cast<double>(now_unix_ms()) / 1000);
  ++item.attempts;
  switch (c.outcome) {
    case providers::Outcome::revoked:
    case providers::Outcome::already_gone:
      s.pacer->OnSuccess(now);
      s.pacer->Observe(now, c.rate);
      finish(self, item,
             c.outcome == providers::Outcome::revoked ? ItemState::revoked
                                                      : ItemState::already_gone,
             c.detail);
      break;
    case providers::Outcome::manual:
      s.pacer->OnPermanent(now);
      finish(self, item, ItemState::manual, c.detail);
      break;
    case providers::Outcome::failed:
      s.pacer->OnPermanent(now);
      finish(self, item, ItemState::dead_letter, c.detail);
      break;
    case providers::Outcome::rate_limited:
      s.pacer->OnRateLimited(now, c.rate);
      --item.attempts;  // the provider said "later", not "no": it does not use up an attempt
      ++s.report.delta.limited;
      // ... unless it keeps saying so (a 503 + Retry-After may be an outage): bounded.
      if (++item.limited >= 4 * static_cast<uint32_t>(std::max(1, s.setup.config->max_attempts))) {
        finish(self, item, ItemState::dead_letter,
               "still limited after " + std::to_string(item.limited) + " answers: " + c.detail);
        break;
      }
      s.ready.push_front(std::move(w));
      break;
    case providers::Outcome::retry:
      s.pacer->OnTransientFailure(now);
      if (s.pacer->given_up()) {  // the provider is down: dead-letter what waits, retry later
        finish(self, item, ItemState::dead_letter, "provider unreachable: " + c.detail);
        give_up(self, "provider unreachable (circuit open, probes failed): " + c.detail);
        break;
      }
      if (static_cast<int>(item.attempts) >= s.setup.config->max_attempts) {
        finish(self, item, ItemState::dead_letter,
               "gave up after " + std::to_string(item.attempts) + " attempts: " + c.detail);
      } else {
        const double wait = std::max(s.pacer->Backoff(item.attempts), c.rate.retry_after.value_or(0));
        item.next_at_ms = now_unix_ms() + static_cast<int64_t>(wait * 1000);
        ++s.report.delta.retries;
        finish(self, item, ItemState::retry_wait, c.detail);  // durable: attempts count
        s.waiting.push({now + wait, std::move(w)});
      }
      break;
  }
}

caf::behavior dispatcher(Self* self, DispatcherSetup setup) {
  PacerConfig pc;
  pc.rate_per_s = setup.config->rate_limit_per_s;
  pc.max_concurrency = std::max(1, setup.config->max_concurrency);
  pc.initial_window = std::min(pc.max_concurrency, 8);
  self->state.pacer = std::make_unique<Pacer>(pc, setup.seed);
  self->state.report.dispatcher = setup.index;
  self->state.setup = std::move(setup);
  // A throwing handler ends the dispatcher with the reason in its down message (the supervisor
  // restarts it) instead of CAF printing to stderr.
  self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& eptr) -> caf::error {
    try {
      std::rethrow_exception(eptr);
    } catch (const std::exception& e) {
      return caf::make_error(caf::sec::runtime_error, std::string("exception: ") + e.what());
    } catch (...) {
      return caf::make_error(caf::sec::runtime_error, "unknown exception");
    }
  });
  return {
      [=](enqueue_atom, WorkBatch& batch) {
        auto& s = self->state;
        const int64_t now_ms = now_unix_ms();
        const bool down = !s.gave_up.empty() && s.pacer->given_up();
        for (Work& w : batch) {
          if (down) {
            finish(self, w.item, ItemState::dead_letter, s.gave_up);
            continue;
          }
          const int64_t wait_ms = w.item.next_at_ms - now_ms;
          if (w.item.state == ItemState::retry_wait && wait_ms > 0) {
            s.waiting.push({now_s() + wait_ms / 1000.0, std::move(w)});
          } else {
            s.ready.push_back(std::move(w));
          }
        }
        pump(self);
        flush(self);
      },
      [=](pump_atom) {
        pump(self);
        flush(self);
      },
      [=](drain_atom) {
        auto& s = self->state;
        std::vector<std::pair<uint64_t, providers::HttpResponse>> got;
        {
          std::lock_guard<std::mutex> lock(s.inbox->mu);
          got.swap(s.inbox->responses);
        }
        for (auto& [slot, resp] : got) complete(self, slot, resp);
        pump(self);
        flush(self);
      },
  };
}

}  // namespace

caf::actor spawn_dispatcher(caf::actor_system& sys, DispatcherSetup setup) {
  return sys.spawn(dispatcher, std::move(setup));
}

}  // namespace sever::actors

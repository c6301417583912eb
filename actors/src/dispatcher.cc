#include "dispatcher.h"

#include <chrono>
#include <deque>
#include <queue>
#include <unordered_map>

#include "messages.h"
#include "sever/store/time.h"

namespace sever::actors {
namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Waiting {
  double at;
  JobItem item;
  bool operator>(const Waiting& o) const { return at > o.at; }
};

struct DispatcherState {
  DispatcherSetup setup;
  std::unique_ptr<Pacer> pacer;
  std::deque<JobItem> ready;
  std::priority_queue<Waiting, std::vector<Waiting>, std::greater<>> waiting;  // retry_wait
  std::unordered_map<uint64_t, JobItem> in_flight;
  uint64_t next_slot = 0;
  double pump_at = 0;  // a pump is scheduled for this time (0: none)
};

using Self = caf::stateful_actor<DispatcherState>;

void finish(Self* self, JobItem& item, ItemState state, std::string detail, Report report) {
  item.state = state;
  item.detail = std::move(detail);
  item.updated_ms = now_unix_ms();
  report.state = is_final(state) ? state : ItemState::pending;
  self->send(self->state.setup.writer, update_atom::value, item);
  self->send(self->state.setup.supervisor, report_atom::value, std::move(report));
}

// Reads the credential and builds the request; false when the item ended without one.
bool prepare(Self* self, JobItem& item, providers::HttpRequest* req) {
  auto& s = self->state;
  Report r{s.setup.config->name};
  if (!s.setup.adapter->has_api()) {
    finish(self, item, ItemState::manual, s.setup.config->manual_action, r);
    return false;
  }
  auto rec = s.setup.store->GetRecord(item.tenant, item.id);
  if (!rec.ok()) {
    finish(self, item, ItemState::dead_letter, rec.status().message(), r);
    return false;
  }
  if (rec->sealed.empty()) {  // another job confirmed it already
    finish(self, item, ItemState::already_gone, "secret already erased after revocation", r);
    return false;
  }
  providers::RevokeItem ri;
  ri.tenant = item.tenant;
  ri.id = item.id;
  ri.tool = item.tool;
  ri.kind = rec->kind;
  ri.client = item.client;
  auto secret = s.setup.store->OpenSealed(*rec);
  if (!secret.ok()) {
    finish(self, item, ItemState::dead_letter, secret.status().message(), r);
    return false;
  }
  ri.token = std::move(secret).value();
  auto built = s.setup.adapter->Build(ri, *s.setup.config);
  if (!built.ok()) {  // refused: no API for this kind of credential, a person must act
    const bool manual = built.status().code() == Code::refused;
    finish(self, item, manual ? ItemState::manual : ItemState::dead_letter,
           built.status().message(), r);
    return false;
  }
  *req = std::move(built).value();
  return true;
}

void schedule(Self* self, double now) {
  auto& s = self->state;
  if (s.ready.empty() && s.waiting.empty()) return;
  double at = s.ready.empty() ? s.waiting.top().at : s.pacer->NextReady(now);
  if (!s.waiting.empty()) at = std::min(at, s.waiting.top().at);
  if (at > now + 3600) return;  // only a completion can free a slot: it pumps
  if (s.pump_at != 0 && s.pump_at <= at) return;
  s.pump_at = std::max(at, now);
  auto delay = std::chrono::microseconds(static_cast<int64_t>((s.pump_at - now) * 1e6));
  self->delayed_send(self, delay, pump_atom::value);
}

void pump(Self* self) {
  auto& s = self->state;
  const double now = now_s();
  s.pump_at = 0;
  while (!s.waiting.empty() && s.waiting.top().at <= now) {
    s.ready.push_back(std::move(const_cast<Waiting&>(s.waiting.top()).item));
    s.waiting.pop();
  }
  while (!s.ready.empty() && s.pacer->TryAcquire(now)) {
    JobItem item = std::move(s.ready.front());
    s.ready.pop_front();
    providers::HttpRequest req;
    if (!prepare(self, item, &req)) {
      s.pacer->OnPermanent(now);
      continue;
    }
    const uint64_t slot = s.next_slot++;
    s.in_flight.emplace(slot, std::move(item));
    caf::actor me = caf::actor_cast<caf::actor>(self);
    s.setup.http->Submit(std::move(req), [me, slot](providers::HttpResponse r) {
      caf::anon_send(me, done_atom::value, slot, std::make_shared<providers::HttpResponse>(std::move(r)));
    }, static_cast<long>(s.setup.config->timeout_s * 1000));
  }
  schedule(self, now);
}

// Dead-letters every queued item: `sever jobs retry` sends them again once the provider is back.
void give_up(Self* self, const std::string& why) {
  auto& s = self->state;
  while (!s.waiting.empty()) {
    s.ready.push_back(std::move(const_cast<Waiting&>(s.waiting.top()).item));
    s.waiting.pop();
  }
  for (auto& item : s.ready) {
    finish(self, item, ItemState::dead_letter, why, Report{s.setup.config->name});
  }
  s.ready.clear();
}

void complete(Self* self, uint64_t slot, const ResponsePtr& resp) {
  auto& s = self->state;
  auto it = s.in_flight.find(slot);
  if (it == s.in_flight.end()) return;
  JobItem item = std::move(it->second);
  s.in_flight.erase(it);
  const double now = now_s();
  providers::RevokeItem ri;  // classification needs the item's identity, not its secret
  ri.tenant = item.tenant;
  ri.id = item.id;
  ri.tool = item.tool;
  ri.client = item.client;
  auto c = s.setup.adapter->Classify(*resp, ri, static_cast<double>(now_unix_ms()) / 1000);
  Report r{s.setup.config->name, ItemState::pending, 1};
  ++item.attempts;
  switch (c.outcome) {
    case providers::Outcome::revoked:
      s.pacer->OnSuccess(now);
      s.pacer->Observe(now, c.rate);
      finish(self, item, ItemState::revoked, c.detail, r);
      break;
    case providers::Outcome::already_gone:
      s.pacer->OnSuccess(now);
      s.pacer->Observe(now, c.rate);
      finish(self, item, ItemState::already_gone, c.detail, r);
      break;
    case providers::Outcome::manual:
      s.pacer->OnPermanent(now);
      finish(self, item, ItemState::manual, c.detail, r);
      break;
    case providers::Outcome::failed:
      s.pacer->OnPermanent(now);
      finish(self, item, ItemState::dead_letter, c.detail, r);
      break;
    case providers::Outcome::rate_limited:
      s.pacer->OnRateLimited(now, c.rate);
      --item.attempts;  // the provider said "later", not "no": it does not use up an attempt
      r.limited = 1;
      // ... unless it keeps saying so (a 503 + Retry-After may be an outage): bounded.
      if (++item.limited >= 4 * static_cast<uint32_t>(std::max(1, s.setup.config->max_attempts))) {
        finish(self, item, ItemState::dead_letter,
               "still limited after " + std::to_string(item.limited) + " answers: " + c.detail, r);
        break;
      }
      s.ready.push_front(std::move(item));
      self->send(s.setup.supervisor, report_atom::value, std::move(r));
      break;
    case providers::Outcome::retry:
      s.pacer->OnTransientFailure(now);
      if (s.pacer->given_up()) {  // the provider is down: dead-letter what waits, retry later
        finish(self, item, ItemState::dead_letter, "provider unreachable: " + c.detail, r);
        give_up(self, "provider unreachable (circuit open, probes failed): " + c.detail);
        break;
      }
      if (static_cast<int>(item.attempts) >= s.setup.config->max_attempts) {
        finish(self, item, ItemState::dead_letter,
               "gave up after " + std::to_string(item.attempts) + " attempts: " + c.detail, r);
      } else {
        const double wait = std::max(s.pacer->Backoff(item.attempts), c.rate.retry_after.value_or(0));
        item.next_at_ms = now_unix_ms() + static_cast<int64_t>(wait * 1000);
        r.retries = 1;
        finish(self, item, ItemState::retry_wait, c.detail, r);  // durable: attempts count
        s.waiting.push({now + wait, std::move(item)});
      }
      break;
  }
  pump(self);
}

caf::behavior dispatcher(Self* self, DispatcherSetup setup) {
  PacerConfig pc;
  pc.rate_per_s = setup.config->rate_limit_per_s;
  pc.max_concurrency = std::max(1, setup.config->max_concurrency);
  pc.initial_window = std::min(pc.max_concurrency, 8);
  self->state.pacer = std::make_unique<Pacer>(pc, setup.seed);
  self->state.setup = std::move(setup);
  return {
      [=](enqueue_atom, JobItem& item) {
        auto& s = self->state;
        const int64_t wait_ms = item.next_at_ms - now_unix_ms();
        if (item.state == ItemState::retry_wait && wait_ms > 0) {
          s.waiting.push({now_s() + wait_ms / 1000.0, std::move(item)});
        } else {
          s.ready.push_back(std::move(item));
        }
        if (s.pump_at == 0) {
          s.pump_at = now_s();
          self->send(self, pump_atom::value);
        }
      },
      [=](pump_atom) { pump(self); },
      [=](done_atom, uint64_t slot, const ResponsePtr& resp) { complete(self, slot, resp); },
  };
}

}  // namespace

caf::actor spawn_dispatcher(caf::actor_system& sys, DispatcherSetup setup) {
  return sys.spawn(dispatcher, std::move(setup));
}

}  // namespace sever::actors

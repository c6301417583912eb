#include "sever/store/lifecycle.h"

namespace sever {

bool can_transition(State from, State to) {
  if (from == to) return false;
  switch (from) {
    case State::issued: return true;
    case State::active: return to != State::issued;
    case State::dormant: return to != State::issued;
    case State::expired: return to == State::revoked;
    case State::revoked: return false;
  }
  return false;
}

Status transition(Credential& c, State to, int64_t now) {
  if (!can_transition(c.state, to)) {
    return Status::Refused("credential " + c.tenant + "/" + c.id + " cannot go from " +
                           std::string(to_string(c.state)) + " to " + std::string(to_string(to)));
  }
  c.state = to;
  c.state_changed_at = now;
  return Status::Ok();
}

State effective_state(const Credential& c, int64_t now, const LifecyclePolicy& policy) {
  if (c.state == State::revoked || c.state == State::expired) return c.state;
  if (c.expires_at && *c.expires_at <= now) return State::expired;
  if (!c.last_used_at) return State::issued;
  if (now - *c.last_used_at > policy.dormant_after_seconds) return State::dormant;
  return State::active;
}

State initial_state(const Credential& c, int64_t now, const LifecyclePolicy& policy) {
  if (c.state == State::revoked) return State::revoked;
  Credential fresh;
  fresh.last_used_at = c.last_used_at;
  fresh.expires_at = c.expires_at;
  return effective_state(fresh, now, policy);
}

bool is_dormant_for(const Credential& c, int64_t now, int64_t days) {
  int64_t since = c.last_used_at ? *c.last_used_at : c.created_at;
  return now - since > days * 86400;
}

}  // namespace sever

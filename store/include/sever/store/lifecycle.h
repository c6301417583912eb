// The credential lifecycle: issued → active → dormant → expired / revoked.
#pragma once

#include <cstdint>

#include "sever/store/record.h"

namespace sever {

/// When a credential counts as dormant.
struct LifecyclePolicy {
  /// A credential last used longer ago than this is dormant. Default: 90 days.
  int64_t dormant_after_seconds = 90 * 86400;
};

/// Returns true iff the lifecycle allows from → to:
///   issued  → active, dormant, expired, revoked
///   active  → dormant, expired, revoked
///   dormant → active, expired, revoked
///   expired → revoked
///   revoked → (nothing: terminal)
/// A state never transitions to itself.
bool can_transition(State from, State to);

/// Moves the credential to `to` at time `now`. Returns refused naming both states when the
/// lifecycle does not allow it; the record is then unchanged.
Status transition(Credential& c, State to, int64_t now);

/// Returns the state the credential's timestamps put it in at `now`: revoked and expired stay;
/// expires_at reached → expired; never used → issued; last used more than dormant_after ago →
/// dormant; else active. Inventory shows this effective state without rewriting records.
State effective_state(const Credential& c, int64_t now, const LifecyclePolicy& policy = {});

/// Returns the state a newly written credential starts in: effective_state of it as if issued.
State initial_state(const Credential& c, int64_t now, const LifecyclePolicy& policy = {});

/// Returns true iff the credential was last used more than `days` days before `now`, or was
/// never used and was created more than `days` days before `now`.
bool is_dormant_for(const Credential& c, int64_t now, int64_t days);

}  // namespace sever

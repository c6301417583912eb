// Internal: the messages the revocation actors exchange (CAF 0.17 atoms; in-process only).
#pragma once

#include <memory>
#include <string>

#include <caf/all.hpp>

#include "sever/providers/http.h"
#include "sever/store/revocation.h"

namespace sever::actors {

using enqueue_atom = caf::atom_constant<caf::atom("enqueue")>;  // supervisor → dispatcher: JobItem
using pump_atom = caf::atom_constant<caf::atom("pump")>;        // dispatcher → itself
using done_atom = caf::atom_constant<caf::atom("done")>;        // curl thread → dispatcher
using update_atom = caf::atom_constant<caf::atom("update")>;    // dispatcher → writer: JobItem
using flush_atom = caf::atom_constant<caf::atom("flush")>;      // → writer: commit now, reply
using tick_atom = caf::atom_constant<caf::atom("tick")>;        // writer's own timer
using report_atom = caf::atom_constant<caf::atom("report")>;    // dispatcher → supervisor

/// A transfer's response, shared so the mailbox never copies its body.
using ResponsePtr = std::shared_ptr<providers::HttpResponse>;

/// What one completion changed, for the supervisor's counters.
struct Report {
  std::string provider;
  ItemState state = ItemState::pending;  // a final state, or pending when the item goes on
  uint32_t requests = 0;
  uint32_t limited = 0;
  uint32_t retries = 0;
};

}  // namespace sever::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sever::JobItem)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sever::actors::ResponsePtr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sever::actors::Report)

// Internal: the messages the revocation actors exchange (CAF 0.17 atoms; in-process only).
// Items and transitions travel in batches: one message per batch, not per item, so the
// threads wake once per batch.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <caf/all.hpp>

#include "sever/actors/revocation_run.h"
#include "sever/providers/adapter.h"
#include "sever/providers/http.h"
#include "sever/store/record.h"
#include "sever/store/revocation.h"

namespace sever::actors {

using enqueue_atom = caf::atom_constant<caf::atom("enqueue")>;  // supervisor → dispatcher: Work
using pump_atom = caf::atom_constant<caf::atom("pump")>;        // dispatcher → itself
using drain_atom = caf::atom_constant<caf::atom("drain")>;      // curl thread → dispatcher
using update_atom = caf::atom_constant<caf::atom("update")>;    // dispatcher → writer: items
using flush_atom = caf::atom_constant<caf::atom("flush")>;      // → writer: commit now, reply
using tick_atom = caf::atom_constant<caf::atom("tick")>;        // writer's own timer
using report_atom = caf::atom_constant<caf::atom("report")>;    // dispatcher → supervisor
using committed_atom = caf::atom_constant<caf::atom("committed")>;  // writer → supervisor

/// One item to revoke with what the supervisor found for it: the credential's sealed secret and
/// kind (the copy the item carries, or the record the supervisor read on its own thread), or
/// why the record could not be read. Dispatchers only decrypt.
struct Work {
  JobItem item;
  Credential record;
  bool has_record = false;
  std::string read_error;  // set when the record could not be read
};
using WorkBatch = std::vector<Work>;

/// True when revoking the item needs its record (sealed secret): false for an item that can
/// only end manual, a tool without an API or a kind its adapter does not revoke. The supervisor
/// reads no record for such an item, and its dispatcher decrypts nothing for it.
inline bool needs_record(const providers::Adapter& adapter, const JobItem& item) {
  return adapter.has_api() && !(item.kind && !adapter.revokes(*item.kind));
}

/// Item transitions for the store writer.
using ItemBatch = std::vector<JobItem>;

/// What a dispatcher did since its last report: counter deltas, and how many of the items it
/// was given reached a final state (the supervisor then sends it more).
struct Report {
  uint32_t dispatcher = 0;  // index given at spawn
  uint32_t finished = 0;
  ProviderProgress delta;   // total is unused
};

/// Responses the curl thread hands to one dispatcher. The callback appends under the lock and
/// sends one drain message only when the inbox was empty, so a burst of completions costs one
/// wake-up of the dispatcher.
struct Inbox {
  std::mutex mu;
  std::vector<std::pair<uint64_t, providers::HttpResponse>> responses;  // (slot, response)
};

}  // namespace sever::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sever::actors::WorkBatch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sever::actors::ItemBatch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sever::actors::Report)

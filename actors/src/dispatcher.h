// Internal: a dispatcher actor owns the pace of one (provider, rate-limit key): it sends that
// key's items through the HTTP client as fast as its Pacer allows, classifies each answer with
// the provider's adapter, retries, dead-letters, and hands every transition to the store
// writer. One slow or failing provider only ever fills its own dispatcher's queue.
#pragma once

#include <string>

#include <caf/all.hpp>

#include "sever/actors/pacer.h"
#include "sever/providers/adapter.h"
#include "sever/providers/http_client.h"
#include "sever/store/store.h"

namespace sever::actors {

struct DispatcherSetup {
  std::string name;  // "github/github-app-1": provider / rate key
  Store* store = nullptr;
  const providers::Adapter* adapter = nullptr;
  const providers::ProviderConfig* config = nullptr;  // outlives the dispatcher
  providers::HttpClient* http = nullptr;              // outlives the dispatcher
  caf::actor writer;
  caf::actor supervisor;
  uint32_t index = 0;  // names the dispatcher in its reports
  uint64_t seed = 1;
};

/// Spawns a dispatcher. It takes `enqueue_atom, WorkBatch` messages and reports what became of
/// them in batches (`report_atom, Report` to the supervisor, `update_atom, ItemBatch` to the
/// writer, sent together).
caf::actor spawn_dispatcher(caf::actor_system& sys, DispatcherSetup setup);

}  // namespace sever::actors

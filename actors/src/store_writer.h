// Internal: the store writer actor. Owns the durable side of item transitions: it buffers
// them and group-commits a batch (commit_items: items, erased secrets, audit) when the batch
// is full or the interval passes. Detached: its RocksDB writes never stall the scheduler.
#pragma once

#include <caf/all.hpp>

#include "sever/store/store.h"

namespace sever::actors {

/// Spawns the writer. `flush_atom` requests are answered (with the number of items committed)
/// once everything received before them is durable. After each commit it sends `notify`
/// `committed_atom, n`: n final transitions are durable (the supervisor's back-pressure).
caf::actor spawn_store_writer(caf::actor_system& sys, Store& store, size_t batch,
                              double interval_s, std::string actor, caf::actor notify);

}  // namespace sever::actors

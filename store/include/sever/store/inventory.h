// Inventory queries and the blast-radius report. Reads metadata only: nothing is decrypted.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "sever/store/catalog.h"
#include "sever/store/lifecycle.h"
#include "sever/store/record.h"
#include "sever/store/store.h"

namespace sever {

/// Which credentials a query selects. Empty strings and nullopt select everything.
struct InventoryFilter {
  std::string tenant;
  std::string tool;
  std::string user;
  std::optional<State> state;           // the effective state (see lifecycle.h)
  std::optional<int64_t> dormant_days;  // last used more than N days ago, or never and created
                                        // more than N days ago
  bool overprivileged = false;          // granted scopes beyond the catalog's required set
};

/// Calls `fn(record, effective_state)` for every credential the filter selects, until it
/// returns false. Uses the narrowest index: tenant+user → by_user, tool → by_tool, tenant →
/// the tenant's range of records, else a full scan. `now` decides dormancy and expiry.
Status scan_inventory(const Store& store, const InventoryFilter& filter, int64_t now,
                      const std::function<bool(const Credential&, State)>& fn,
                      const LifecyclePolicy& policy = {});

/// Like scan_inventory, on `parts` threads when it would scan the records themselves (the whole
/// store, or one tenant): the range is cut into parts of about the same size, and
/// `fn(part, record, effective_state)` is called concurrently from each part's thread, in key
/// order within a part. Once any call returns false the others stop soon after. With an index
/// (tool, user) or parts <= 1 it is scan_inventory with every call in part 0.
Status scan_inventory_parts(const Store& store, const InventoryFilter& filter, int64_t now,
                            size_t parts,
                            const std::function<bool(size_t, const Credential&, State)>& fn,
                            const LifecyclePolicy& policy = {});

/// Counters of one slice of the report.
struct ReportCounts {
  uint64_t total = 0;
  uint64_t high_risk = 0;       // holds at least one high-risk scope
  uint64_t overprivileged = 0;  // holds scopes beyond what the integration needs
  uint64_t dormant = 0;         // not used for more than the report's dormant days
  uint64_t never_used = 0;
  uint64_t sensitive_tool = 0;  // the tool holds source code, mail, identity, …
};

/// The blast radius of what the store holds.
struct Report {
  int64_t generated_at = 0;
  int64_t dormant_days = 90;
  ReportCounts all;
  std::map<std::string, ReportCounts> by_tool;
  std::map<std::string, uint64_t> by_kind;
  std::map<std::string, uint64_t> by_state;  // effective state
  std::map<std::string, uint64_t> by_risk;   // highest scope risk: low, medium, high
  uint64_t tenants = 0;                      // distinct tenants seen
};

/// Builds the report over what `filter` selects (everything by default).
Result<Report> build_report(const Store& store, const InventoryFilter& filter, int64_t now,
                            int64_t dormant_days = 90);

}  // namespace sever

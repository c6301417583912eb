// Internal: which DEK each tenant's imported records are sealed with. Shared by the import's
// worker threads; new tenants get a DEK that is written only with the import itself.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "sever/store/audit.h"
#include "sever/store/store.h"

namespace sever::detail {

/// A tenant's sealing key for this import.
struct ImportDek {
  uint32_t version = 0;
  std::shared_ptr<const SecretBytes> key;
};

class ImportKeys {
 public:
  ImportKeys(Store& store, std::string actor, int64_t now)
      : store_(store), actor_(std::move(actor)), now_(now) {}

  /// Returns the DEK to seal the tenant's records with: its primary, or a new version when the
  /// tenant has none or its primary is within `headroom` encryptions of the limit. Thread-safe.
  Result<ImportDek> Get(const std::string& tenant, uint64_t headroom);

  /// The keys column family rows of DEKs made (and demoted) by this import.
  const std::map<std::string, std::string>& rows() const { return rows_; }
  /// One audit event per DEK made.
  const std::vector<AuditEvent>& events() const { return events_; }
  uint64_t created() const { return events_.size(); }

  /// Returns ok iff what Get saw still holds: each tenant's primary DEK is the version it
  /// found (no rotation began meanwhile, so no record is sealed under a demoted key) and the
  /// master key that wrapped the new DEKs was not replaced. Call under the commit lock.
  Status StillCurrent() const;

 private:
  Store& store_;
  const std::string actor_;
  const int64_t now_;
  std::mutex mu_;
  std::unordered_map<std::string, ImportDek> deks_;
  std::unordered_map<std::string, uint32_t> seen_primary_;  // tenant → primary Get found (0: none)
  std::optional<uint64_t> kek_generation_;  // when the first new DEK was wrapped
  std::map<std::string, std::string> rows_;
  std::vector<AuditEvent> events_;
};

}  // namespace sever::detail

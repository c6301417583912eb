#include "import_keys.h"

#include <nlohmann/json.hpp>

#include "schema.h"

namespace sever::detail {

Result<ImportDek> ImportKeys::Get(const std::string& tenant, uint64_t headroom) {
  std::lock_guard lock(mu_);
  if (auto it = deks_.find(tenant); it != deks_.end()) return it->second;
  SEVER_ASSIGN_OR_RETURN(auto primary, store_.keyring().Primary(tenant));
  seen_primary_[tenant] = primary ? primary->version : 0;
  ImportDek dek;
  if (primary && primary->encryptions + headroom < kMaxEncryptionsPerDek) {
    dek.version = primary->version;
    SEVER_ASSIGN_OR_RETURN(dek.key, store_.keyring().Key(tenant, dek.version));
  } else {
    dek.version = primary ? primary->version + 1 : 1;
    if (!kek_generation_) kek_generation_ = store_.keyring().kek_generation();
    SEVER_ASSIGN_OR_RETURN(NewDek made, store_.keyring().Generate(tenant, dek.version, now_));
    dek.key = made.key;
    rows_[schema::dek_key(tenant, dek.version)] = Keyring::Encode(made.entry);
    if (primary) {  // the old primary keeps opening its records
      primary->state = DekState::decrypt_only;
      primary->state_changed_at = now_;
      rows_[schema::dek_key(tenant, primary->version)] = Keyring::Encode(*primary);
    }
    events_.push_back({actor_, "dek.create", tenant,
                       nlohmann::json{{"version", dek.version},
                                      {"reason", primary ? "encryption limit" : "new tenant"}}
                           .dump()});
  }
  deks_.emplace(tenant, dek);
  return dek;
}

Status ImportKeys::StillCurrent() const {
  if (kek_generation_ && (*kek_generation_ % 2 == 1 ||
                          *kek_generation_ != store_.keyring().kek_generation())) {
    return Status::Refused("the master key was rotated during the import; run it again");
  }
  // One scan of every DEK for a large import, a lookup per tenant for a small one.
  std::unordered_map<std::string, uint32_t> now;
  if (seen_primary_.size() > 64) {
    SEVER_ASSIGN_OR_RETURN(auto all, store_.keyring().List(""));
    for (const auto& e : all) {
      if (e.state == DekState::primary) now[e.tenant] = e.version;
    }
  }
  for (const auto& [tenant, seen] : seen_primary_) {
    uint32_t current = 0;
    if (seen_primary_.size() > 64) {
      if (auto it = now.find(tenant); it != now.end()) current = it->second;
    } else {
      SEVER_ASSIGN_OR_RETURN(auto primary, store_.keyring().Primary(tenant));
      current = primary ? primary->version : 0;
    }
    if (current != seen) {
      return Status::Refused("a key rotation of tenant " + tenant +
                             " began during the import; run it again");
    }
  }
  return Status::Ok();
}

}  // namespace sever::detail

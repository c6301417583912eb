#include "import_keys.h"

#include <nlohmann/json.hpp>

#include "schema.h"

namespace sever::detail {

Result<ImportDek> ImportKeys::Get(const std::string& tenant, uint64_t headroom) {
  std::lock_guard lock(mu_);
  if (auto it = deks_.find(tenant); it != deks_.end()) return it->second;
  SEVER_ASSIGN_OR_RETURN(auto primary, store_.keyring().Primary(tenant));
  ImportDek dek;
  if (primary && primary->encryptions + headroom < kMaxEncryptionsPerDek) {
    dek.version = primary->version;
    SEVER_ASSIGN_OR_RETURN(dek.key, store_.keyring().Key(tenant, dek.version));
  } else {
    dek.version = primary ? primary->version + 1 : 1;
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

}  // namespace sever::detail

#include "reseal.h"

#include "sever/store/record.h"

namespace sever::detail {

Result<TenantSealer> TenantSealer::Create(Store& store, std::string tenant, uint32_t primary) {
  SEVER_ASSIGN_OR_RETURN(auto key, store.keyring().Key(tenant, primary));
  SEVER_ASSIGN_OR_RETURN(auto seal, crypto::Aead::Create(*key));
  return TenantSealer(store, std::move(tenant), primary, std::move(seal));
}

Result<std::string> TenantSealer::Reseal(std::string_view id, std::string_view value,
                                         bool* sealed) {
  Credential c;
  SEVER_RETURN_IF_ERROR(decode_record(tenant_, id, value, &c));
  *sealed = !c.sealed.empty();
  if (*sealed) {
    auto it = open_.find(c.dek_version);
    if (it == open_.end()) {
      SEVER_ASSIGN_OR_RETURN(auto key, store_->keyring().Key(tenant_, c.dek_version));
      SEVER_ASSIGN_OR_RETURN(auto aead, crypto::Aead::Create(*key));
      it = open_.emplace(c.dek_version, std::move(aead)).first;
    }
    SecretBytes secret;
    SEVER_RETURN_IF_ERROR(it->second.Open(c.sealed, secret_aad(tenant_, id, c.dek_version), &secret)
                              .Prefixed(tenant_ + "/" + std::string(id)));
    c.sealed.clear();
    SEVER_RETURN_IF_ERROR(seal_.Seal(secret.view(), secret_aad(tenant_, id, primary_), &c.sealed));
  }
  c.dek_version = primary_;
  return encode_record(c);
}

}  // namespace sever::detail

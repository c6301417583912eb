#include "sever/providers/adapter.h"

namespace sever::providers {

std::string rate_key(const Adapter& adapter, const RevokeItem& item, const ProviderConfig& config) {
  const std::string& client = config.client_id.empty() ? item.client : config.client_id;
  return config.quota.value_or(adapter.quota()) == QuotaScope::tenant ? item.tenant + "/" + client
                                                                 : client;
}

}  // namespace sever::providers

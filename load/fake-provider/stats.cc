#include "stats.h"

#include <nlohmann/json.hpp>

namespace sever::fake {

std::string stats_json(const ServerStats& server,
                       const std::array<ProviderStats, kAdapterCount>& providers,
                       size_t tokens_seen) {
  nlohmann::ordered_json j;
  j["server"] = {{"connections", server.connections},
                 {"max_connections", server.max_connections},
                 {"accepted", server.accepted},
                 {"rejected", server.rejected},
                 {"requests", server.requests},
                 {"http_errors", server.http_errors},
                 {"tokens_seen", tokens_seen}};
  j["providers"] = nlohmann::ordered_json::object();
  for (size_t i = 0; i < kAdapterCount; ++i) {
    const ProviderStats& p = providers[i];
    if (p.requests == 0 && p.max_connections == 0) continue;
    j["providers"][std::string(adapter(static_cast<AdapterId>(i)).name)] = {
        {"requests", p.requests},
        {"revoked", p.revoked},
        {"already_gone", p.already_gone},
        {"limited", p.limited},
        {"errors_5xx", p.errors_5xx},
        {"resets", p.resets},
        {"timeouts", p.timeouts},
        {"refused", p.refused},
        {"auth_failures", p.auth_failures},
        {"bad_requests", p.bad_requests},
        {"connections", p.connections},
        {"max_connections", p.max_connections},
        {"in_flight", p.in_flight},
        {"max_in_flight", p.max_in_flight}};
  }
  return j.dump() + "\n";
}

}  // namespace sever::fake

#include "same_requests.h"

#include <nlohmann/json.hpp>

#include "sever/providers/providers_file.h"
#include "sever/providers/registry.h"
#include "sever/store/record.h"

namespace sever::load {

Result<std::vector<providers::HttpRequest>> same_requests(const GenOptions& gen,
                                                          const std::string& providers_json) {
  providers::register_builtin_providers();
  auto set = providers::parse_providers(providers_json, "bench providers file");
  if (!set.ok()) return set.status();
  std::vector<providers::HttpRequest> out;
  Generator g(gen);
  std::string line;
  while (g.next(&line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) {
      return Status::InvalidArgument("generated line " + std::to_string(g.produced()) + " does not parse");
    }
    providers::RevokeItem item;
    item.tenant = j.value("tenant", "");
    item.id = j.value("id", "");
    item.tool = j.value("tool", "");
    item.client = j.value("client", "");
    auto kind = parse_kind(j.value("kind", ""));
    if (!kind.ok()) return kind.status().Prefixed("generated line " + std::to_string(g.produced()));
    item.kind = *kind;
    item.token = SecretBytes(j.value("secret", ""));
    const providers::ProviderConfig& config = set->For(item.tool);
    const providers::Adapter* adapter = providers::find_adapter(config.adapter);
    if (adapter == nullptr || !adapter->has_api()) continue;
    auto request = adapter->Build(item, config);
    if (!request.ok()) {
      if (request.status().code() == Code::refused) continue;  // manual in sever too
      return request.status();
    }
    out.push_back(std::move(request).value());
  }
  return out;
}

}  // namespace sever::load

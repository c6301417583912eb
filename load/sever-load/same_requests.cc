#include "same_requests.h"

#include "json_line.h"  // the import's own line parser (store/src): the secret never sits in a DOM
#include "sever/providers/providers_file.h"
#include "sever/providers/registry.h"

namespace sever::load {

Result<std::vector<providers::HttpRequest>> same_requests(const GenOptions& gen,
                                                          const std::string& providers_json) {
  providers::register_builtin_providers();
  auto set = providers::parse_providers(providers_json, "bench providers file");
  if (!set.ok()) return set.status();
  std::vector<providers::HttpRequest> out;
  Generator g(gen);
  detail::JsonLineParser parser;
  std::string line;
  while (g.next(&line)) {
    NewCredential c;
    Status parsed = parser.Parse(line, &c);
    cleanse(line);
    if (!parsed.ok()) return parsed.Prefixed("generated line " + std::to_string(g.produced()));
    providers::RevokeItem item;
    item.tenant = std::move(c.meta.tenant);
    item.id = std::move(c.meta.id);
    item.tool = std::move(c.meta.tool);
    item.kind = c.meta.kind;
    item.client = std::move(c.meta.client);
    item.token = std::move(c.secret);
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

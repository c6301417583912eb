#include "sever/providers/providers_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "sever/providers/catalog.h"
#include "sever/providers/registry.h"
#include "adapter_common.h"

namespace sever::providers {

struct ProviderSet::State {
  std::string source;
  std::vector<std::string> configured;  // sorted
  mutable std::mutex mu;
  // The file's entries, then built-in configs as they are asked for. Never erased: For()
  // hands out references.
  mutable std::map<std::string, ProviderConfig, std::less<>> configs;
};

namespace {

using json = nlohmann::json;

constexpr size_t kMaxFileBytes = 4 << 20;

Status bad(const std::string& where, const std::string& what) {
  return Status::InvalidArgument(where + ": " + what);
}

std::string known_adapters() {
  std::string out;
  for (std::string_view n : adapter_names()) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

Status read_string(const json& v, const std::string& where, const char* field, std::string* out) {
  if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
    return bad(where, std::string(field) + " must be a non-empty string");
  }
  *out = v.get<std::string>();
  return Status::Ok();
}

Status read_number(const json& v, const std::string& where, const char* field, double max,
                   double* out) {
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() <= 0 ||
      v.get<double>() > max) {
    return bad(where, std::string(field) + " must be a number > 0 and <= " +
                          std::to_string(static_cast<long long>(max)));
  }
  *out = v.get<double>();
  return Status::Ok();
}

Status read_int(const json& v, const std::string& where, const char* field, int max, int* out) {
  if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > max) {
    return bad(where, std::string(field) + " must be an integer from 1 to " + std::to_string(max));
  }
  *out = static_cast<int>(v.get<long long>());
  return Status::Ok();
}

Status read_secret_env(const json& v, const std::string& where, ProviderConfig* c) {
  SEVER_RETURN_IF_ERROR(read_string(v, where, "client_secret_env", &c->client_secret_env));
  const char* value = std::getenv(c->client_secret_env.c_str());
  if (value == nullptr || *value == '\0') {
    return bad(where, "client_secret_env " + c->client_secret_env + " is not set");
  }
  c->client_secret = SecretBytes(std::string_view(value));
  return Status::Ok();
}

// Switches the config to another adapter: its host, no endpoint, no manual action.
Status set_adapter(const json& v, const std::string& where, ProviderConfig* c) {
  std::string name;
  if (!v.is_string() || (name = v.get<std::string>()).empty()) {
    return bad(where, "adapter must be a non-empty string (known: " + known_adapters() + ")");
  }
  if (find_adapter(name) == nullptr) {
    return bad(where, "unknown adapter '" + clean_text(name, {}, 64) + "' (known: " +
                          known_adapters() + ")");
  }
  if (name != c->adapter) {
    c->adapter = name;
    c->base_url = std::string(default_base_url(name));
    c->endpoint.clear();
    c->manual_action = name == "manual" ? std::string(kAddProviderAction) : std::string();
  }
  return Status::Ok();
}

// Checks that the adapter can build a request from this config, as a job will.
Status check_buildable(const ProviderConfig& c, const std::string& source) {
  const Adapter* adapter = find_adapter(c.adapter);
  if (adapter == nullptr || !adapter->has_api()) return Status::Ok();
  for (Kind k : {Kind::oauth_access, Kind::oauth_refresh, Kind::bot_token, Kind::api_key,
                 Kind::pat}) {
    if (!adapter->revokes(k)) continue;
    RevokeItem probe;
    probe.kind = k;
    probe.token = SecretBytes(std::string_view("probe-token"));
    Result<HttpRequest> r = adapter->Build(probe, c);
    return r.ok() ? Status::Ok() : r.status().Prefixed(source);
  }
  return Status::Ok();
}

Status parse_entry(const std::string& tool, const json& j, const std::string& source,
                   ProviderConfig* c) {
  const std::string where = source + ": provider '" + clean_text(tool, {}, 256) + "'";
  if (tool.empty() || tool.size() > 256) return bad(source, "a provider name must be 1-256 bytes");
  if (!j.is_object()) return bad(where, "must be an object");
  *c = builtin_provider_config(tool);
  if (auto it = j.find("adapter"); it != j.end()) {
    SEVER_RETURN_IF_ERROR(set_adapter(*it, where, c));
  } else if (c->adapter == "manual") {
    for (const char* f : {"base_url", "endpoint", "client_id", "client_secret_env"}) {
      if (j.contains(f)) {
        return bad(where, "adapter is required (known: " + known_adapters() + ")");
      }
    }
  }
  for (const auto& [key, v] : j.items()) {
    if (key == "adapter") continue;
    if (key == "base_url") {
      SEVER_RETURN_IF_ERROR(read_string(v, where, "base_url", &c->base_url));
      SEVER_RETURN_IF_ERROR(check_url(where, "base_url", c->base_url));
    } else if (key == "endpoint") {
      SEVER_RETURN_IF_ERROR(read_string(v, where, "endpoint", &c->endpoint));
      SEVER_RETURN_IF_ERROR(check_url(where, "endpoint", c->endpoint));
    } else if (key == "client_id") {
      SEVER_RETURN_IF_ERROR(read_string(v, where, "client_id", &c->client_id));
    } else if (key == "client_secret_env") {
      SEVER_RETURN_IF_ERROR(read_secret_env(v, where, c));
    } else if (key == "client_secret") {
      return bad(where, "inline client_secret is not allowed, use client_secret_env");
    } else if (key == "rate_limit_per_s") {
      SEVER_RETURN_IF_ERROR(read_number(v, where, "rate_limit_per_s", 1e6, &c->rate_limit_per_s));
    } else if (key == "max_concurrency") {
      SEVER_RETURN_IF_ERROR(read_int(v, where, "max_concurrency", 100000, &c->max_concurrency));
    } else if (key == "max_attempts") {
      SEVER_RETURN_IF_ERROR(read_int(v, where, "max_attempts", 1000, &c->max_attempts));
    } else if (key == "timeout_s") {
      SEVER_RETURN_IF_ERROR(read_number(v, where, "timeout_s", 3600, &c->timeout_s));
    } else if (key == "quota") {
      std::string q;
      SEVER_RETURN_IF_ERROR(read_string(v, where, "quota", &q));
      if (q != "client" && q != "tenant") {
        return bad(where, "quota must be \"client\" or \"tenant\", not '" + clean_text(q, {}, 32) + "'");
      }
      c->quota = q == "tenant" ? QuotaScope::tenant : QuotaScope::client;
    } else if (key == "manual_action") {
      SEVER_RETURN_IF_ERROR(read_string(v, where, "manual_action", &c->manual_action));
    } else {
      return bad(where, "unknown field '" + clean_text(key, {}, 64) + "'");
    }
  }
  return check_buildable(*c, source);
}

// nlohmann's message without its "[json.exception…] " tag and without the input it quotes
// ("; last read: '…'"), which could hold a secret pasted by mistake.
std::string json_error(const char* what) {
  std::string m(what);
  if (auto p = m.find("] "); m.starts_with("[json.exception") && p != std::string::npos) {
    m.erase(0, p + 2);
  }
  if (auto p = m.find("; last read"); p != std::string::npos) m.erase(p);
  return m;
}

}  // namespace

ProviderSet::ProviderSet() : state_(std::make_unique<State>()) {}
ProviderSet::~ProviderSet() = default;
ProviderSet::ProviderSet(ProviderSet&&) noexcept = default;
ProviderSet& ProviderSet::operator=(ProviderSet&&) noexcept = default;

const ProviderConfig& ProviderSet::For(std::string_view tool) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->configs.find(tool);
  if (it == state_->configs.end()) {
    it = state_->configs.emplace(std::string(tool), builtin_provider_config(tool)).first;
  }
  return it->second;
}

const std::string& ProviderSet::source() const { return state_->source; }

std::vector<std::string_view> ProviderSet::configured_tools() const {
  return {state_->configured.begin(), state_->configured.end()};
}

Result<ProviderSet> parse_providers(std::string_view text, const std::string& source) {
  register_builtin_providers();
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {  // caught here: nothing crosses the module boundary
    return bad(source, "not valid JSON: " + json_error(e.what()));
  }
  if (!doc.is_object()) return bad(source, "must be a JSON object {\"providers\": {…}}");
  for (const auto& [key, v] : doc.items()) {
    if (key != "providers") return bad(source, "unknown field '" + clean_text(key, {}, 64) + "'");
  }
  auto providers = doc.find("providers");
  if (providers == doc.end()) return bad(source, "missing field 'providers'");
  if (!providers->is_object()) return bad(source, "'providers' must be an object keyed by tool");

  ProviderSet set;
  set.state_->source = source;
  for (const auto& [tool, entry] : providers->items()) {
    ProviderConfig c;
    SEVER_RETURN_IF_ERROR(parse_entry(tool, entry, source, &c));
    set.state_->configured.push_back(tool);
    set.state_->configs.emplace(tool, std::move(c));
  }
  std::sort(set.state_->configured.begin(), set.state_->configured.end());
  return set;
}

Result<ProviderSet> load_providers(const std::string& path_or_empty) {
  if (path_or_empty.empty()) return ProviderSet();
  std::ifstream in(path_or_empty, std::ios::binary);
  if (!in) return bad(path_or_empty, std::string("cannot read: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return bad(path_or_empty, "cannot read");
  std::string s = text.str();
  if (s.size() > kMaxFileBytes) return bad(path_or_empty, "larger than 4 MiB");
  return parse_providers(s, path_or_empty);
}

}  // namespace sever::providers

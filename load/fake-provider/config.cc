#include "config.h"

#include <fstream>
#include <initializer_list>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

namespace sever::fake {
namespace {

using json = nlohmann::json;

template <typename E>
struct Named {
  const char* name;
  E value;
};

constexpr Named<LimitStyle> kStyles[] = {
    {"retry-after-seconds", LimitStyle::retry_after_seconds},
    {"retry-after-http-date", LimitStyle::retry_after_http_date},
    {"retry-after-fractional", LimitStyle::retry_after_fractional},
    {"retry-after-iso", LimitStyle::retry_after_iso},
    {"retry-after-absent", LimitStyle::retry_after_absent},
    {"github-primary", LimitStyle::github_primary},
    {"github-secondary", LimitStyle::github_secondary},
    {"discord", LimitStyle::discord},
    {"hubspot", LimitStyle::hubspot},
};
constexpr Named<LimitScope> kScopes[] = {{"provider", LimitScope::provider},
                                         {"client", LimitScope::client},
                                         {"token-owner", LimitScope::token_owner}};
constexpr Named<IetfHeaders> kIetf[] = {{"none", IetfHeaders::none},
                                        {"draft", IetfHeaders::draft},
                                        {"old-draft", IetfHeaders::old_draft}};
constexpr Named<UnknownTokens> kUnknown[] = {{"live", UnknownTokens::live},
                                             {"gone", UnknownTokens::gone}};

/// Reads the fields of one provider object, failing on the first bad or unknown field.
class FieldReader {
 public:
  FieldReader(const json& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  Status number(const char* key, double lo, double hi, double* out) {
    const json* v = find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_number() || v->get<double>() < lo || v->get<double>() > hi) {
      return bad(key, "must be a number in [" + trim_num(lo) + ", " + trim_num(hi) + "]");
    }
    *out = v->get<double>();
    return Status::Ok();
  }

  Status integer(const char* key, int lo, int hi, int* out) {
    const json* v = find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_number_integer() || v->get<int64_t>() < lo || v->get<int64_t>() > hi) {
      return bad(key, "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                          "]");
    }
    *out = static_cast<int>(v->get<int64_t>());
    return Status::Ok();
  }

  Status boolean(const char* key, bool* out) {
    const json* v = find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_boolean()) return bad(key, "must be true or false");
    *out = v->get<bool>();
    return Status::Ok();
  }

  Status string(const char* key, std::string* out) {
    const json* v = find(key);
    if (v == nullptr) return Status::Ok();
    if (!v->is_string()) return bad(key, "must be a string");
    *out = v->get<std::string>();
    return Status::Ok();
  }

  template <typename E, size_t N>
  Status choice(const char* key, const Named<E> (&names)[N], E* out) {
    const json* v = find(key);
    if (v == nullptr) return Status::Ok();
    std::string allowed;
    for (const Named<E>& n : names) {
      if (v->is_string() && v->get<std::string>() == n.name) {
        *out = n.value;
        return Status::Ok();
      }
      allowed += allowed.empty() ? "" : ", ";
      allowed += n.name;
    }
    return bad(key, "must be one of: " + allowed);
  }

  Status bad(const char* key, const std::string& what) const {
    return Status::InvalidArgument(path_ + "." + key + ": " + what);
  }

 private:
  const json* find(const char* key) const {
    const auto it = obj_.find(key);
    return it == obj_.end() ? nullptr : &*it;
  }
  static std::string trim_num(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
  }

  const json& obj_;
  std::string path_;
};

constexpr const char* kProviderFields[] = {
    "rate_limit_per_s", "burst", "limit_scope", "limit_style", "limit_status", "penalty",
    "max_in_flight", "ietf_headers", "rate_headers", "client_id", "client_secret", "latency_ms",
    "latency_jitter_ms", "error_5xx_ratio", "reset_ratio", "timeout_ratio", "slow_ratio",
    "slow_ms", "down", "unknown_tokens", "gone_status"};

Status parse_provider(const json& obj, const std::string& path, ProviderConfig* c) {
  if (!obj.is_object()) return Status::InvalidArgument(path + ": must be an object");
  for (const auto& [key, value] : obj.items()) {
    bool known = false;
    for (const char* f : kProviderFields) known |= key == f;
    if (!known) return Status::InvalidArgument(path + "." + key + ": unknown field");
  }
  FieldReader r(obj, path);
  constexpr double kMaxMs = 3600.0 * 1000;
  LimitStyle style{};
  bool has_style = obj.contains("limit_style");
  for (Status s : {r.number("rate_limit_per_s", 0, 1e9, &c->rate_limit_per_s),
                   r.number("burst", 0, 1e9, &c->burst),
                   r.choice("limit_scope", kScopes, &c->limit_scope),
                   r.choice("limit_style", kStyles, &style),
                   r.integer("limit_status", 200, 599, &c->limit_status),
                   r.boolean("penalty", &c->penalty),
                   r.integer("max_in_flight", 0, 1000000, &c->max_in_flight),
                   r.choice("ietf_headers", kIetf, &c->ietf_headers),
                   r.boolean("rate_headers", &c->rate_headers),
                   r.string("client_id", &c->client_id),
                   r.string("client_secret", &c->client_secret),
                   r.number("latency_ms", 0, kMaxMs, &c->latency_ms),
                   r.number("latency_jitter_ms", 0, kMaxMs, &c->latency_jitter_ms),
                   r.number("error_5xx_ratio", 0, 1, &c->error_5xx_ratio),
                   r.number("reset_ratio", 0, 1, &c->reset_ratio),
                   r.number("timeout_ratio", 0, 1, &c->timeout_ratio),
                   r.number("slow_ratio", 0, 1, &c->slow_ratio),
                   r.number("slow_ms", 0, kMaxMs, &c->slow_ms),
                   r.boolean("down", &c->down),
                   r.choice("unknown_tokens", kUnknown, &c->unknown_tokens),
                   r.integer("gone_status", 200, 599, &c->gone_status)}) {
    if (!s.ok()) return s;
  }
  if (has_style) c->limit_style = style;
  if (c->rate_limit_per_s > 0 && c->burst == 0) c->burst = std::max(1.0, c->rate_limit_per_s);
  if (c->rate_limit_per_s > 0 && c->burst < 1) {
    return r.bad("burst", "must be >= 1 when rate_limit_per_s is set");
  }
  if (c->error_5xx_ratio + c->reset_ratio + c->timeout_ratio > 1.0 + 1e-9) {
    return Status::InvalidArgument(
        path + ": error_5xx_ratio + reset_ratio + timeout_ratio must not exceed 1");
  }
  if (!c->client_secret.empty() && c->client_id.empty()) {
    return r.bad("client_id", "must be set when client_secret is");
  }
  return Status::Ok();
}

}  // namespace

const char* limit_style_name(LimitStyle s) {
  for (const Named<LimitStyle>& n : kStyles) {
    if (n.value == s) return n.name;
  }
  return "?";
}

Result<FakeConfig> parse_config(const std::string& text) {
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return Status::InvalidArgument("config: not valid JSON");
  if (!doc.is_object()) return Status::InvalidArgument("config: must be a JSON object");
  FakeConfig cfg;
  for (const auto& [key, value] : doc.items()) {
    if (key != "seed" && key != "providers") {
      return Status::InvalidArgument(key + ": unknown field (expected seed, providers)");
    }
  }
  if (doc.contains("seed")) {
    const json& s = doc["seed"];
    if (!s.is_number_unsigned() && !(s.is_number_integer() && s.get<int64_t>() >= 0)) {
      return Status::InvalidArgument("seed: must be a non-negative integer");
    }
    cfg.seed = s.get<uint64_t>();
  }
  if (!doc.contains("providers")) return cfg;
  const json& providers = doc["providers"];
  if (!providers.is_object()) return Status::InvalidArgument("providers: must be an object");
  // "*" gives every provider its defaults; a provider's own entry overrides field by field.
  json defaults = json::object();
  if (providers.contains("*")) {
    defaults = providers["*"];
    ProviderConfig probe;
    if (Status s = parse_provider(defaults, "providers.*", &probe); !s.ok()) return s;
  }
  for (const auto& [name, value] : providers.items()) {
    if (name != "*" && !find_adapter(name)) {
      return Status::InvalidArgument("providers." + name +
                                     ": unknown provider (see providers/ENDPOINTS.md)");
    }
    if (name != "*" && !value.is_object()) {
      return Status::InvalidArgument("providers." + name + ": must be an object");
    }
  }
  for (size_t i = 0; i < kAdapterCount; ++i) {
    const std::string name(adapter(static_cast<AdapterId>(i)).name);
    json merged = defaults;
    if (providers.contains(name)) merged.update(providers[name]);
    if (Status s = parse_provider(merged, "providers." + name, &cfg.providers[i]); !s.ok()) {
      return s;
    }
  }
  return cfg;
}

Result<FakeConfig> load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IoError("cannot read config file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str());
}

}  // namespace sever::fake

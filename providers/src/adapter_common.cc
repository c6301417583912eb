#include "adapter_common.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

namespace sever::providers {
namespace {

using json = nlohmann::json;

constexpr std::string_view kUserAgent = "sever/0.1";
constexpr size_t kMaxCode = 64;
constexpr size_t kMaxMessage = 160;
constexpr size_t kMaxJsonBody = 64 * 1024;

// Returns obj[key] as a string when it is one.
std::optional<std::string> string_at(const json& obj, const char* key) {
  if (!obj.is_object()) return std::nullopt;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// Replaces every occurrence of `needle` in `s` by "[redacted]".
void redact(std::string* s, std::string_view needle) {
  if (needle.empty()) return;
  size_t pos = 0;
  while ((pos = s->find(needle, pos)) != std::string::npos) {
    s->replace(pos, needle.size(), "[redacted]");
    pos += 10;
  }
}

bool is_2xx(long status) { return status >= 200 && status < 300; }

// Room for every secret a request may carry, encoded (3 bytes per byte at worst, 6 in JSON), so
// that a string being built never reallocates and leaves an uncleansed copy behind.
size_t secret_capacity(const RevokeItem& item, const ProviderConfig& config) {
  return 6 * (item.token.size() + config.client_id.size() + config.client_secret.size()) + 128;
}

}  // namespace

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::revoked: return "revoked";
    case Outcome::already_gone: return "already_gone";
    case Outcome::manual: return "manual";
    case Outcome::rate_limited: return "rate_limited";
    case Outcome::retry: return "retry";
    case Outcome::failed: return "failed";
  }
  return "unknown";
}

std::string clean_text(std::string_view text, std::string_view secret, size_t max_len) {
  std::string s(text.substr(0, 64 * 1024));
  // Very short "secrets" would redact ordinary words; real tokens are far longer.
  if (secret.size() >= 4) {
    redact(&s, secret);
    std::string encoded = percent_encode(secret);
    if (encoded != secret) redact(&s, encoded);
    cleanse(encoded);
  }
  std::string out;
  out.reserve(std::min(s.size(), max_len));
  for (char c : s) {
    if (out.size() >= max_len) break;
    if (c >= 0x20 && c <= 0x7e) out.push_back(c);
  }
  cleanse(s);
  return out;
}

ErrorInfo read_error(std::string_view body, std::string_view token) {
  ErrorInfo e;
  size_t start = body.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || body.size() > kMaxJsonBody ||
      (body[start] != '{' && body[start] != '[')) {
    return e;
  }
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return e;
  if (j.is_array()) {  // Salesforce REST: [{"errorCode": …, "message": …}]
    if (j.empty() || !j.front().is_object()) return e;
    j = json(j.front());
  }
  if (!j.is_object()) return e;
  std::optional<std::string> code = string_at(j, "error");
  std::optional<std::string> message;
  if (auto it = j.find("error"); !code && it != j.end() && it->is_object()) {
    // Nested: Dropbox {".tag"}, Vercel {"code", "message"}, Google {"status", "message"}.
    for (const char* key : {".tag", "code", "status"}) {
      if (!code) code = string_at(*it, key);
    }
    message = string_at(*it, "message");
  }
  for (const char* key : {"code", "errorType", "errorCode"}) {
    if (!code) code = string_at(j, key);
  }
  for (const char* key : {"error_description", "message", "reason"}) {
    if (!message) message = string_at(j, key);
  }
  if (auto it = j.find("errors"); it != j.end() && it->is_array() && !it->empty()) {  // GraphQL
    const json& first = it->front();
    if (!code && first.is_object()) {
      if (auto ext = first.find("extensions"); ext != first.end()) code = string_at(*ext, "code");
    }
    if (!message) message = string_at(first, "message");
  }
  if (code) e.code = clean_text(*code, token, kMaxCode);
  if (message) e.message = clean_text(*message, token, kMaxMessage);
  return e;
}

std::string_view token_type_hint(Kind kind) {
  return kind == Kind::oauth_refresh ? "refresh_token" : "access_token";
}

std::string format_seconds(double s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  std::string out(buf);
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out + "s";
}

std::string describe(long status, const ErrorInfo& e) {
  std::string out = "HTTP " + std::to_string(status);
  if (!e.code.empty()) out += " " + e.code;
  if (!e.message.empty() && e.message != e.code) out += (e.code.empty() ? " " : ": ") + e.message;
  return out;
}

std::string provider_label(const ProviderConfig& config, std::string_view adapter) {
  return "provider '" + (config.name.empty() ? std::string(adapter) : config.name) + "'";
}

Status check_url(std::string_view label, std::string_view field, std::string_view url) {
  if (is_allowed_url(url)) return Status::Ok();
  std::string shown = clean_text(url, {}, 200);
  if (url.starts_with("http://")) {
    return Status::InvalidArgument(std::string(label) +
                                   ": plain http is allowed only to loopback: " + shown);
  }
  return Status::InvalidArgument(std::string(label) + ": " + std::string(field) +
                                 " must be an https:// URL: " + shown);
}

void append_form_field(std::string* body, std::string_view key, std::string_view value) {
  if (!body->empty()) body->push_back('&');
  body->append(key);
  body->push_back('=');
  std::string encoded = percent_encode(value);
  body->append(encoded);
  cleanse(encoded);
}

void append_json_string(std::string* out, std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(hex[c >> 4]);
          out->push_back(hex[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// ---- RevokeAdapter

bool RevokeAdapter::revokes(Kind kind) const {
  return std::find(spec_.kinds.begin(), spec_.kinds.end(), kind) != spec_.kinds.end();
}


Status RevokeAdapter::check_client(const ProviderConfig& config, std::string_view label) const {
  bool need_id = false, need_secret = false;
  switch (spec_.client_auth) {
    case ClientAuth::none:
    case ClientAuth::basic_if_set: break;
    case ClientAuth::basic:
    case ClientAuth::in_body: need_id = need_secret = true; break;
    case ClientAuth::basic_or_public:
    case ClientAuth::in_body_public: need_id = true; break;
  }
  if (need_id && config.client_id.empty()) {
    return Status::InvalidArgument(std::string(label) +
                                   ": client_id is required (set client_id in the providers file)");
  }
  if (need_secret && config.client_secret.empty()) {
    if (config.client_secret_env.empty()) {
      return Status::InvalidArgument(
          std::string(label) +
          ": client_secret_env is required (the environment variable that holds the client "
          "secret)");
    }
    return Status::InvalidArgument(std::string(label) + ": client_secret_env " +
                                   config.client_secret_env + " is not set");
  }
  return Status::Ok();
}

Result<std::string> RevokeAdapter::url(const RevokeItem& item, const ProviderConfig& config,
                                       std::string_view label) const {
  const std::string who(label);
  if (spec_.endpoint_only || !config.endpoint.empty()) {
    if (config.endpoint.empty()) {
      return Status::InvalidArgument(who + ": endpoint is required (the full revocation URL) for "
                                           "the " + std::string(spec_.name) + " adapter");
    }
    if (spec_.path.find('{') != std::string_view::npos) {
      return Status::InvalidArgument(who + ": the " + std::string(spec_.name) +
                                     " adapter takes base_url, not endpoint");
    }
    SEVER_RETURN_IF_ERROR(check_url(label, "endpoint", config.endpoint));
    return config.endpoint;
  }
  if (config.base_url.empty()) {
    std::string hint =
        spec_.base_url_hint.empty() ? "" : " (" + std::string(spec_.base_url_hint) + ")";
    return Status::InvalidArgument(who + ": base_url is required" + hint);
  }
  SEVER_RETURN_IF_ERROR(check_url(label, "base_url", config.base_url));
  std::string_view base = config.base_url;
  while (base.ends_with('/')) base.remove_suffix(1);
  std::string out;
  out.reserve(secret_capacity(item, config) + base.size() + spec_.path.size());
  out.append(base);
  std::string_view path = spec_.path;
  while (!path.empty()) {
    if (path.starts_with("{client_id}")) {
      out += percent_encode(config.client_id);
      path.remove_prefix(11);
    } else if (path.starts_with("{token}")) {
      std::string encoded = percent_encode(item.token.view());
      out += encoded;
      cleanse(encoded);
      path.remove_prefix(7);
    } else {
      out.push_back(path.front());
      path.remove_prefix(1);
    }
  }
  return out;
}

Result<HttpRequest> RevokeAdapter::Build(const RevokeItem& item,
                                         const ProviderConfig& config) const {
  const std::string label = provider_label(config, spec_.name);
  if (!revokes(item.kind)) {
    return Status::Refused(label + ": the " + std::string(spec_.name) + " adapter cannot revoke " +
                           std::string(to_string(item.kind)) +
                           " credentials through the API; revoke it in the provider's console");
  }
  SEVER_RETURN_IF_ERROR(check_client(config, label));
  SEVER_ASSIGN_OR_RETURN(std::string url_text, url(item, config, label));

  const ClientPlacement client = place_client(spec_.client_auth, config);
  HttpRequest req;
  req.method = std::string(spec_.method);
  req.url = std::move(url_text);
  req.headers.reserve(4 + spec_.extra_headers.size());  // no reallocation: no stray copies
  if (spec_.token_in == TokenIn::bearer) {
    std::string bearer;
    bearer.reserve(7 + item.token.size());
    bearer.append("Bearer ").append(item.token.view());
    req.headers.emplace_back("Authorization", std::move(bearer));
  } else if (client.basic) {
    req.headers.emplace_back("Authorization",
                             basic_auth(config.client_id, config.client_secret.view()));
  }
  if (spec_.body == BodyKind::form) {
    req.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    req.body = form_body(item, config, client);
  } else if (spec_.body == BodyKind::json) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = json_body(item, config, client);
  }
  if (!spec_.accept.empty()) req.headers.emplace_back("Accept", std::string(spec_.accept));
  for (const auto& [k, v] : spec_.extra_headers) req.headers.emplace_back(k, v);
  req.headers.emplace_back("User-Agent", std::string(kUserAgent));
  return req;
}

RevokeAdapter::ClientPlacement RevokeAdapter::place_client(ClientAuth auth,
                                                           const ProviderConfig& config) {
  const bool has_id = !config.client_id.empty(), has_secret = !config.client_secret.empty();
  switch (auth) {
    case ClientAuth::none: return {};
    case ClientAuth::basic: return {.basic = true};
    case ClientAuth::basic_or_public: return {.basic = has_secret, .id_in_body = !has_secret};
    case ClientAuth::basic_if_set:
      return {.basic = has_id && has_secret, .id_in_body = has_id && !has_secret};
    case ClientAuth::in_body: return {.id_in_body = true, .secret_in_body = true};
    case ClientAuth::in_body_public: return {.id_in_body = true, .secret_in_body = has_secret};
  }
  return {};
}

// Form fields in ENDPOINTS.md's order: token, token_type_hint, client_id, client_secret.
std::string RevokeAdapter::form_body(const RevokeItem& item, const ProviderConfig& config,
                                     const ClientPlacement& client) const {
  std::string b;
  b.reserve(secret_capacity(item, config));
  if (spec_.token_in == TokenIn::body) append_form_field(&b, spec_.token_field, item.token.view());
  if (spec_.type_hint) append_form_field(&b, "token_type_hint", token_type_hint(item.kind));
  if (client.id_in_body) append_form_field(&b, "client_id", config.client_id);
  if (client.secret_in_body) append_form_field(&b, "client_secret", config.client_secret.view());
  return b;
}

// JSON members in ENDPOINTS.md's order: client_id, client_secret, then the token.
std::string RevokeAdapter::json_body(const RevokeItem& item, const ProviderConfig& config,
                                     const ClientPlacement& client) const {
  std::string b;
  b.reserve(secret_capacity(item, config));
  b.push_back('{');
  auto member = [&b](std::string_view key, std::string_view value) {
    if (b.size() > 1) b.push_back(',');
    append_json_string(&b, key);
    b.push_back(':');
    append_json_string(&b, value);
  };
  if (client.id_in_body) member("client_id", config.client_id);
  if (client.secret_in_body) member("client_secret", config.client_secret.view());
  if (spec_.token_in == TokenIn::body) member(spec_.token_field, item.token.view());
  if (spec_.type_hint) member("token_type_hint", token_type_hint(item.kind));
  b.push_back('}');
  return b;
}

bool RevokeAdapter::is_gone(long status, const ErrorInfo& error) const {
  if (std::find(spec_.gone_statuses.begin(), spec_.gone_statuses.end(), status) ==
      spec_.gone_statuses.end()) {
    return false;
  }
  if (spec_.gone_errors.empty()) return true;
  return std::find(spec_.gone_errors.begin(), spec_.gone_errors.end(), error.code) !=
         spec_.gone_errors.end();
}

Classification RevokeAdapter::Classify(const HttpResponse& r, const RevokeItem& item,
                                       double now_unix) const {
  Classification c;
  std::string_view token = item.token.view();
  if (r.timed_out) {
    c.outcome = Outcome::retry;
    c.detail = r.seconds > 0 ? "timeout after " + format_seconds(r.seconds) : "timeout";
    return c;
  }
  if (r.status == 0 || !r.transport_error.empty()) {
    c.outcome = Outcome::retry;
    std::string why = clean_text(r.transport_error, token, kMaxMessage);
    c.detail = "transport error: " + (why.empty() ? std::string("no response") : why);
    return c;
  }
  c.rate = parse_rate_signal(r, now_unix);
  ErrorInfo error = read_error(r.body, token);
  if (c.rate.limited) {
    if (!c.rate.retry_after && spec_.limited_wait_s > 0) c.rate.retry_after = spec_.limited_wait_s;
    c.outcome = Outcome::rate_limited;
    c.detail = describe(r.status, error) + "; rate limited";
    if (c.rate.retry_after) c.detail += ", retry after " + format_seconds(*c.rate.retry_after);
    return c;
  }
  c.detail = describe(r.status, error);
  if (std::optional<Outcome> verdict = judge(r, error)) {
    c.outcome = *verdict;
  } else if (is_gone(r.status, error)) {
    c.outcome = Outcome::already_gone;
  } else if (is_2xx(r.status)) {
    c.outcome = Outcome::revoked;
  } else if (r.status >= 500) {
    c.outcome = Outcome::retry;
  } else {
    c.outcome = Outcome::failed;
  }
  return c;
}

}  // namespace sever::providers

#include "adapters.h"

#include <array>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "codec.h"

namespace sever::fake {
namespace {

using json = nlohmann::json;

bool is_json(const Request& req) {
  const std::string_view ct = req.header("content-type");
  return ct.size() >= 16 && iequals(ct.substr(0, 16), "application/json");
}

/// Returns `name` from the form body, else from the query string.
std::optional<std::string> form_or_query(const Request& req, std::string_view name) {
  if (!req.body.empty() && !is_json(req)) {
    if (auto v = form_value(req.body, name)) return v;
  }
  if (!req.query.empty()) return form_value(req.query, name);
  return std::nullopt;
}

/// Fills the token from the form body or query; a missing or empty token is a bad request.
void token_from_form(const Request& req, ParsedRevoke* p) {
  if (auto t = form_or_query(req, "token"); t && !t->empty()) {
    p->token = std::move(*t);
  } else {
    p->bad_request = "missing token";
  }
}

void creds_from_form(const Request& req, ParsedRevoke* p) {
  p->client_id = form_or_query(req, "client_id");
  p->client_secret = form_or_query(req, "client_secret");
}

void creds_from_basic(const Request& req, ParsedRevoke* p) {
  if (auto b = parse_basic(req.header("authorization"))) {
    p->client_id = std::move(b->user);
    p->client_secret = std::move(b->password);
  }
}

void token_from_bearer(const Request& req, ParsedRevoke* p) {
  const std::string_view t = parse_bearer(req.header("authorization"));
  if (t.empty()) {
    p->bad_request = "missing bearer token";
  } else {
    p->token = std::string(t);
  }
}

/// Returns a string field of a JSON object body, or nullopt.
std::optional<std::string> json_string(const json& j, const char* name) {
  if (!j.is_object()) return std::nullopt;
  const auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

bool method_is(const Request& req, std::string_view m) { return req.method == m; }

/// A form-encoded revoke request (token in the form body or query) if `matched` and POST.
ParsedRevoke form_token_request(const Request& req, bool matched, bool basic, bool body_creds) {
  ParsedRevoke p;
  p.matched = matched && method_is(req, "POST");
  if (!p.matched) return p;
  token_from_form(req, &p);
  if (body_creds) creds_from_form(req, &p);
  if (basic && !req.header("authorization").empty()) creds_from_basic(req, &p);
  return p;
}

ParsedRevoke form_token_endpoint(const Request& req, std::string_view subpath,
                                 std::initializer_list<std::string_view> paths, bool basic,
                                 bool body_creds) {
  bool matched = false;
  for (const std::string_view path : paths) matched |= subpath == path;
  return form_token_request(req, matched, basic, body_creds);
}

ParsedRevoke parse_rfc7009(const Request& req, std::string_view) {
  ParsedRevoke p;
  p.matched = method_is(req, "POST");
  if (!p.matched) return p;
  token_from_form(req, &p);
  creds_from_form(req, &p);
  if (!req.header("authorization").empty()) creds_from_basic(req, &p);
  return p;
}

ParsedRevoke parse_google(const Request& req, std::string_view sub) {
  return form_token_endpoint(req, sub, {"/revoke", "/o/oauth2/revoke"}, false, false);
}

/// DELETE /applications/{client_id}/<last>, JSON {"access_token": T}.
ParsedRevoke parse_github_app(const Request& req, std::string_view sub, std::string_view last) {
  ParsedRevoke p;
  constexpr std::string_view kPrefix = "/applications/";
  if (!method_is(req, "DELETE") || sub.substr(0, kPrefix.size()) != kPrefix) return p;
  std::string_view rest = sub.substr(kPrefix.size());
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || rest.substr(slash + 1) != last) return p;
  p.matched = true;
  p.path_client_id = url_decode(rest.substr(0, slash), false);
  creds_from_basic(req, &p);
  const json j = json::parse(req.body, nullptr, false);
  if (auto t = json_string(j, "access_token"); t && !t->empty()) {
    p.token = std::move(*t);
  } else {
    p.bad_request = "missing access_token";
  }
  return p;
}

ParsedRevoke parse_github(const Request& req, std::string_view sub) {
  return parse_github_app(req, sub, "token");
}

ParsedRevoke parse_github_grant(const Request& req, std::string_view sub) {
  return parse_github_app(req, sub, "grant");
}

ParsedRevoke parse_slack(const Request& req, std::string_view sub) {
  ParsedRevoke p;
  p.matched = sub == "/api/auth.revoke" && (method_is(req, "POST") || method_is(req, "GET"));
  if (!p.matched) return p;
  const std::string_view bearer = parse_bearer(req.header("authorization"));
  if (!bearer.empty()) {
    p.token = std::string(bearer);
  } else if (auto t = form_or_query(req, "token"); t && !t->empty()) {
    p.token = std::move(*t);
  } else {
    p.bad_request = "not_authed";
  }
  const std::optional<std::string> test = form_or_query(req, "test");
  p.dry_run = test && (*test == "1" || *test == "true");
  return p;
}

ParsedRevoke parse_salesforce(const Request& req, std::string_view sub) {
  ParsedRevoke p;
  p.matched = sub == "/services/oauth2/revoke" && (method_is(req, "POST") || method_is(req, "GET"));
  if (p.matched) token_from_form(req, &p);
  return p;
}

ParsedRevoke parse_hubspot(const Request& req, std::string_view sub) {
  ParsedRevoke p;
  constexpr std::string_view kPrefix = "/oauth/v1/refresh-tokens/";
  p.matched = method_is(req, "DELETE") && sub.substr(0, kPrefix.size()) == kPrefix &&
              sub.size() > kPrefix.size();
  if (p.matched) p.token = url_decode(sub.substr(kPrefix.size()), false);
  return p;
}

ParsedRevoke parse_dropbox(const Request& req, std::string_view sub) {
  ParsedRevoke p;
  p.matched = sub == "/2/auth/token/revoke" && method_is(req, "POST");
  if (p.matched) token_from_bearer(req, &p);
  return p;
}

ParsedRevoke parse_zoom(const Request& req, std::string_view sub) {
  return form_token_endpoint(req, sub, {"/oauth/revoke"}, true, false);
}

ParsedRevoke parse_okta(const Request& req, std::string_view sub) {
  // /oauth2/v1/revoke (org authorization server) or /oauth2/{authServerId}/v1/revoke.
  constexpr std::string_view kPrefix = "/oauth2/";
  constexpr std::string_view kSuffix = "/v1/revoke";
  const bool shaped = sub == "/oauth2/v1/revoke" ||
                      (sub.size() > kPrefix.size() + kSuffix.size() &&
                       sub.substr(0, kPrefix.size()) == kPrefix &&
                       sub.substr(sub.size() - kSuffix.size()) == kSuffix &&
                       sub.substr(kPrefix.size(), sub.size() - kPrefix.size() - kSuffix.size())
                               .find('/') == std::string_view::npos);
  return form_token_request(req, shaped, true, true);
}

ParsedRevoke parse_auth0(const Request& req, std::string_view sub) {
  ParsedRevoke p;
  p.matched = sub == "/oauth/revoke" && method_is(req, "POST");
  if (!p.matched) return p;
  if (!is_json(req)) {
    token_from_form(req, &p);
    creds_from_form(req, &p);
    return p;
  }
  const json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    p.bad_request = "body is not a JSON object";
    return p;
  }
  if (auto t = json_string(j, "token"); t && !t->empty()) {
    p.token = std::move(*t);
  } else {
    p.bad_request = "missing token";
  }
  p.client_id = json_string(j, "client_id");
  p.client_secret = json_string(j, "client_secret");
  return p;
}

ParsedRevoke parse_discord(const Request& req, std::string_view sub) {
  // /api/oauth2/token/revoke, also under a versioned API prefix (/api/v10/...).
  std::string_view s = sub;
  if (s.substr(0, 6) == "/api/v") {
    const size_t slash = s.find('/', 6);
    if (slash != std::string_view::npos) s = sub.substr(slash);
    return form_token_endpoint(req, s, {"/oauth2/token/revoke"}, true, true);
  }
  return form_token_endpoint(req, s, {"/api/oauth2/token/revoke"}, true, true);
}

ParsedRevoke parse_x(const Request& req, std::string_view sub) {
  return form_token_endpoint(req, sub, {"/2/oauth2/revoke"}, true, true);
}

ParsedRevoke parse_sentry(const Request& req, std::string_view sub) {
  return form_token_endpoint(req, sub, {"/oauth/revoke/", "/oauth/revoke"}, false, true);
}

ParsedRevoke parse_vercel(const Request& req, std::string_view sub) {
  ParsedRevoke p;
  p.matched = sub == "/v3/user/tokens/current" && method_is(req, "DELETE");
  if (p.matched) token_from_bearer(req, &p);
  return p;
}

ParsedRevoke parse_linear(const Request& req, std::string_view sub) {
  ParsedRevoke p;
  p.matched = sub == "/oauth/revoke" && method_is(req, "POST");
  if (!p.matched) return p;
  const std::string_view bearer = parse_bearer(req.header("authorization"));
  if (!bearer.empty()) {
    p.token = std::string(bearer);
  } else {
    token_from_form(req, &p);
  }
  return p;
}

ParsedRevoke parse_asana(const Request& req, std::string_view sub) {
  return form_token_endpoint(req, sub, {"/-/oauth_revoke"}, false, true);
}

ParsedRevoke parse_notion(const Request& req, std::string_view sub) {
  ParsedRevoke p;
  p.matched = sub == "/v1/oauth/revoke" && method_is(req, "POST");
  if (!p.matched) return p;
  creds_from_basic(req, &p);
  if (req.header("notion-version").empty()) {
    p.bad_request = "missing Notion-Version";
    return p;
  }
  const json j = json::parse(req.body, nullptr, false);
  if (auto t = json_string(j, "token"); t && !t->empty()) {
    p.token = std::move(*t);
  } else {
    p.bad_request = "missing token";
  }
  return p;
}

ParsedRevoke parse_box(const Request& req, std::string_view sub) {
  return form_token_endpoint(req, sub, {"/oauth2/revoke"}, false, true);
}

constexpr std::string_view kOAuthInvalidClient =
    R"({"error":"invalid_client","error_description":"Client authentication failed"})";
constexpr std::string_view kOAuthInvalidRequest =
    R"({"error":"invalid_request","error_description":"The request is missing a required parameter"})";

const std::array<Adapter, kAdapterCount> kAdapters = {{
    {AdapterId::rfc7009, "rfc7009", ClientAuth::basic_or_body, LimitStyle::retry_after_seconds,
     503, RateHeaders::none, {200, ""}, {200, ""}, {401, kOAuthInvalidClient},
     {400, kOAuthInvalidRequest}, parse_rfc7009},
    {AdapterId::google, "google", ClientAuth::none, LimitStyle::retry_after_seconds, 429,
     RateHeaders::none, {200, "{}"},
     {400, R"({"error":"invalid_token","error_description":"Token expired or revoked"})"},
     {401, kOAuthInvalidClient},
     {400, R"({"error":"invalid_request","error_description":"Bad Request"})"}, parse_google},
    {AdapterId::github, "github", ClientAuth::basic, LimitStyle::github_primary, 403,
     RateHeaders::github, {204, ""},
     {404, R"({"message":"Not Found","documentation_url":"https://docs.github.com/rest/apps/oauth-applications#delete-an-app-token","status":"404"})"},
     {401, R"({"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"})"},
     {422, R"({"message":"Invalid request.\n\n\"access_token\" wasn't supplied.","documentation_url":"https://docs.github.com/rest/apps/oauth-applications#delete-an-app-token","status":"422"})"},
     parse_github},
    {AdapterId::github_grant, "github-grant", ClientAuth::basic, LimitStyle::github_primary, 403,
     RateHeaders::github, {204, ""},
     {404, R"({"message":"Not Found","documentation_url":"https://docs.github.com/rest/apps/oauth-applications#delete-an-app-authorization","status":"404"})"},
     {401, R"({"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"})"},
     {422, R"({"message":"Invalid request.\n\n\"access_token\" wasn't supplied.","documentation_url":"https://docs.github.com/rest/apps/oauth-applications#delete-an-app-authorization","status":"422"})"},
     parse_github_grant},
    {AdapterId::slack, "slack", ClientAuth::none, LimitStyle::retry_after_seconds, 429,
     RateHeaders::none, {200, R"({"ok":true,"revoked":true})"},
     {200, R"({"ok":false,"error":"invalid_auth"})"},
     {200, R"({"ok":false,"error":"invalid_client"})"},
     {200, R"({"ok":false,"error":"not_authed"})"}, parse_slack},
    {AdapterId::salesforce, "salesforce", ClientAuth::none, LimitStyle::retry_after_absent, 403,
     RateHeaders::none, {200, ""},
     {400, R"({"error":"invalid_token","error_description":"invalid token"})"},
     {401, kOAuthInvalidClient},
     {400, R"({"error":"unsupported_token_type","error_description":"this token type is not supported"})"},
     parse_salesforce},
    {AdapterId::hubspot, "hubspot", ClientAuth::none, LimitStyle::hubspot, 429,
     RateHeaders::hubspot, {204, ""},
     {404, R"({"status":"error","message":"refresh token not found","category":"OBJECT_NOT_FOUND"})"},
     {401, R"({"status":"error","message":"invalid client","category":"INVALID_AUTHENTICATION"})"},
     {400, R"({"status":"error","message":"missing refresh token","category":"VALIDATION_ERROR"})"},
     parse_hubspot},
    {AdapterId::dropbox, "dropbox", ClientAuth::none, LimitStyle::retry_after_seconds, 429,
     RateHeaders::none, {200, "null"},
     {401, R"({"error_summary":"invalid_access_token/","error":{".tag":"invalid_access_token"}})"},
     {401, R"({"error_summary":"invalid_client/","error":{".tag":"invalid_client"}})"},
     {400, R"({"error_summary":"missing_token/","error":{".tag":"missing_token"}})"},
     parse_dropbox},
    {AdapterId::zoom, "zoom", ClientAuth::basic, LimitStyle::retry_after_seconds, 429,
     RateHeaders::zoom, {200, R"({"status":"success"})"},
     {400, R"({"reason":"Invalid Token!","error":"invalid_request"})"},
     {401, R"({"reason":"Invalid client_id or client_secret","error":"invalid_client"})"},
     {400, R"({"reason":"Missing token","error":"invalid_request"})"}, parse_zoom},
    {AdapterId::okta, "okta", ClientAuth::basic_or_body, LimitStyle::retry_after_absent, 429,
     RateHeaders::okta, {200, ""}, {200, ""},
     {401, R"({"error":"invalid_client","error_description":"Invalid value for 'client_id' parameter."})"},
     {400, kOAuthInvalidRequest}, parse_okta},
    {AdapterId::auth0, "auth0", ClientAuth::body, LimitStyle::retry_after_absent, 429,
     RateHeaders::auth0, {200, ""}, {200, ""},
     {401, R"({"error":"invalid_client","error_description":"Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)."})"},
     {400, kOAuthInvalidRequest}, parse_auth0},
    {AdapterId::discord, "discord", ClientAuth::basic_or_body, LimitStyle::discord, 429,
     RateHeaders::discord, {200, "{}"}, {200, "{}"},
     {401, R"({"error":"invalid_client"})"}, {400, kOAuthInvalidRequest}, parse_discord},
    {AdapterId::x, "x", ClientAuth::basic_or_body, LimitStyle::retry_after_absent, 429,
     RateHeaders::x, {200, R"({"revoked":true})"}, {200, R"({"revoked":true})"},
     {401, R"({"error":"invalid_client","error_description":"Missing valid authorization header"})"},
     {400, kOAuthInvalidRequest}, parse_x},
    {AdapterId::sentry, "sentry", ClientAuth::body, LimitStyle::retry_after_absent, 429,
     RateHeaders::sentry, {200, ""}, {200, ""}, {401, R"({"error":"invalid_credentials"})"},
     {400, R"({"error":"invalid_request"})"}, parse_sentry},
    {AdapterId::vercel, "vercel", ClientAuth::none, LimitStyle::retry_after_absent, 429,
     RateHeaders::vercel, {200, ""},
     {401, R"({"error":{"code":"forbidden","message":"Not authorized","invalidToken":true}})"},
     {401, R"({"error":{"code":"forbidden","message":"Not authorized"}})"},
     {400, R"({"error":{"code":"bad_request","message":"Missing token"}})"}, parse_vercel},
    {AdapterId::linear, "linear", ClientAuth::none, LimitStyle::retry_after_absent, 429,
     RateHeaders::linear, {200, ""},
     {400, R"({"error":"invalid_token","error_description":"Token is invalid or already revoked"})"},
     {401, kOAuthInvalidClient}, {400, kOAuthInvalidRequest}, parse_linear},
    {AdapterId::asana, "asana", ClientAuth::body, LimitStyle::retry_after_seconds, 429,
     RateHeaders::none, {200, ""}, {400, R"({"error":"invalid_token"})"},
     {401, kOAuthInvalidClient}, {400, kOAuthInvalidRequest}, parse_asana},
    {AdapterId::notion, "notion", ClientAuth::basic, LimitStyle::retry_after_seconds, 429,
     RateHeaders::none, {200, "{}"},
     {400, R"({"object":"error","status":400,"code":"invalid_grant","message":"Invalid token."})"},
     {401, R"({"error":"invalid_client"})"},
     {400, R"({"object":"error","status":400,"code":"validation_error","message":"Invalid request."})"},
     parse_notion},
    {AdapterId::box, "box", ClientAuth::body, LimitStyle::retry_after_seconds, 429,
     RateHeaders::none, {200, ""}, {400, R"({"error":"invalid_token"})"},
     {401, R"({"error":"invalid_client","error_description":"The client credentials are invalid"})"},
     {400, kOAuthInvalidRequest}, parse_box},
}};

std::string fixed3(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

}  // namespace

const Adapter& adapter(AdapterId id) { return kAdapters[static_cast<size_t>(id)]; }

std::optional<AdapterId> find_adapter(std::string_view name) {
  for (const Adapter& a : kAdapters) {
    if (a.name == name) return a.id;
  }
  return std::nullopt;
}

std::string limited_body(const Adapter& a, LimitStyle style, int status, double retry_after_s) {
  const std::string secs = std::to_string(static_cast<int64_t>(retry_after_s + 0.999));
  switch (style) {
    case LimitStyle::github_primary:
      return R"j({"message":"API rate limit exceeded for user. (But here's the good news: Authenticated requests get a higher rate limit.)","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api","status":")j" +
             std::to_string(status) + "\"}";
    case LimitStyle::github_secondary:
      return R"({"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits","status":")" +
             std::to_string(status) + "\"}";
    case LimitStyle::discord:
      return R"({"message":"You are being rate limited.","retry_after":)" + fixed3(retry_after_s) +
             R"(,"global":false})";
    case LimitStyle::hubspot:
      return R"({"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":"00000000-0000-0000-0000-000000000000","policyName":"TEN_SECONDLY_ROLLING"})";
    default:
      break;
  }
  switch (a.id) {
    case AdapterId::rfc7009:
      return R"({"error":"temporarily_unavailable","error_description":"try again later"})";
    case AdapterId::google:
      return R"({"error":{"code":429,"message":"Rate Limit Exceeded","status":"RESOURCE_EXHAUSTED"}})";
    case AdapterId::github:
    case AdapterId::github_grant:
      return limited_body(a, LimitStyle::github_primary, status, retry_after_s);
    case AdapterId::slack:
      return R"({"ok":false,"error":"ratelimited"})";
    case AdapterId::salesforce:
      return R"([{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}])";
    case AdapterId::hubspot:
      return limited_body(a, LimitStyle::hubspot, status, retry_after_s);
    case AdapterId::dropbox:
      return R"({"error_summary":"too_many_requests/","error":{"reason":{".tag":"too_many_requests"},"retry_after":)" +
             secs + "}}";
    case AdapterId::zoom:
      return R"({"code":429,"message":"You have reached the maximum per-second rate limit for this API. Try again later."})";
    case AdapterId::okta:
      return R"({"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests.","errorLink":"E0000047","errorCauses":[]})";
    case AdapterId::auth0:
      return R"({"error":"too_many_requests","error_description":"Global limit has been reached"})";
    case AdapterId::discord:
      return limited_body(a, LimitStyle::discord, status, retry_after_s);
    case AdapterId::x:
      return R"({"errors":[{"code":88,"message":"Rate limit exceeded"}]})";
    case AdapterId::sentry:
      return R"({"detail":"You are attempting to use this endpoint too frequently."})";
    case AdapterId::vercel:
      return R"({"error":{"code":"rate_limited","message":"Rate limit exceeded"}})";
    case AdapterId::linear:
      return R"({"errors":[{"message":"Rate limit exceeded","extensions":{"code":"RATELIMITED"}}]})";
    case AdapterId::asana:
      return R"({"errors":[{"message":"You have made too many requests recently. Please, be chill."}]})";
    case AdapterId::notion:
      return status == 529
                 ? R"({"object":"error","status":529,"code":"service_overload","message":"The service is overloaded."})"
                 : R"({"object":"error","status":429,"code":"rate_limited","message":"You have been rate limited. Please try again in a few minutes."})";
    case AdapterId::box:
      return R"({"type":"error","status":429,"code":"rate_limit_exceeded","message":"Request rate limit exceeded, please try again later"})";
  }
  return "{}";
}

std::string success_body(const Adapter& a, std::string_view token_sha256_hex) {
  if (a.id == AdapterId::vercel) {
    return R"({"tokenId":")" + std::string(token_sha256_hex.substr(0, 24)) + "\"}";
  }
  return std::string(a.success.body);
}

}  // namespace sever::fake

// Reading rate-limit signals from provider responses. Never throws: a malformed value is
// ignored, as RFC 9110 and the IETF RateLimit draft ask.
#include "sever/providers/rate_signal.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "http_time.h"
#include "structured_fields.h"

namespace sever::providers {
namespace {

using json = nlohmann::json;

// Bodies larger than this are not parsed for rate-limit hints.
constexpr size_t kMaxBodyScan = 64 * 1024;

// One quota as a header family reports it.
struct Quota {
  std::optional<double> limit;
  std::optional<double> remaining;
  std::optional<double> reset_after;
  std::optional<double> window;

  bool empty() const { return !limit && !remaining && !reset_after && !window; }
};

// Returns every value of a header joined by ", " (how repeated field lines combine).
std::string header_all(const HttpResponse& r, std::string_view name) {
  std::string out;
  for (const auto& [n, v] : r.headers) {
    if (n != name) continue;
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

// Reads a count such as "100" or an old-draft list "100, 100;w=60" (its first number).
std::optional<double> leading_number(std::string_view v) {
  v = trim_ows(v);
  return parse_decimal(trim_ows(v.substr(0, v.find_first_of(",;"))));
}

// Requests per second a quota allows; +inf when it does not say.
double rate_of(const Quota& q) {
  if (!q.limit) return std::numeric_limits<double>::infinity();
  if (q.window && *q.window > 0) return *q.limit / *q.window;
  return *q.limit;
}

// Returns true iff `a` binds tighter than `b`: fewer remaining requests (an exhausted quota
// first, the longer reset breaking ties); quotas that report no remaining count come last,
// ordered by their rate.
bool tighter(const Quota& a, const Quota& b) {
  if (a.remaining.has_value() != b.remaining.has_value()) return a.remaining.has_value();
  if (a.remaining) {
    if (*a.remaining != *b.remaining) return *a.remaining < *b.remaining;
    return a.reset_after.value_or(0) > b.reset_after.value_or(0);
  }
  return rate_of(a) < rate_of(b);
}

void consider(const Quota& q, std::optional<Quota>* best) {
  if (q.empty()) return;
  if (!*best || tighter(q, **best)) *best = q;
}

// A family of "<prefix>limit", "<prefix>remaining", "<prefix>reset" headers.
Quota header_family(const HttpResponse& r, std::string_view prefix, double now) {
  std::string name(prefix);
  Quota q;
  q.limit = leading_number(r.header(name + "limit"));
  q.remaining = leading_number(r.header(name + "remaining"));
  std::string_view reset = r.header(name + "reset");
  if (!reset.empty()) q.reset_after = parse_reset(reset, now);
  return q;
}

// HubSpot's two quotas: per interval (-max/-remaining/-interval-milliseconds) and per second.
void hubspot_quotas(const HttpResponse& r, std::optional<Quota>* best) {
  Quota interval;
  interval.limit = leading_number(r.header("x-hubspot-ratelimit-max"));
  interval.remaining = leading_number(r.header("x-hubspot-ratelimit-remaining"));
  auto ms = leading_number(r.header("x-hubspot-ratelimit-interval-milliseconds"));
  if (ms && *ms > 0) {
    interval.window = *ms / 1000;
  }
  consider(interval, best);
  Quota secondly;
  secondly.limit = leading_number(r.header("x-hubspot-ratelimit-secondly"));
  secondly.remaining = leading_number(r.header("x-hubspot-ratelimit-secondly-remaining"));
  if (!secondly.empty()) secondly.window = 1;
  consider(secondly, best);
}

// Returns a non-negative number parameter of an SF item.
std::optional<double> sf_number(const SfItem& item, std::string_view key) {
  const SfValue* v = item.param(key);
  if (v == nullptr) return std::nullopt;
  if (v->type != SfValue::Type::integer && v->type != SfValue::Type::decimal) return std::nullopt;
  if (v->number < 0) return std::nullopt;
  return v->number;
}

std::string sf_name(const SfItem& item) {
  if (item.value.type == SfValue::Type::string || item.value.type == SfValue::Type::token) {
    return item.value.text;
  }
  return {};
}

// Appends the items of every well-formed field among `names`; malformed fields are skipped.
std::vector<SfItem> sf_items(const HttpResponse& r, std::initializer_list<std::string_view> names) {
  std::vector<SfItem> out;
  for (std::string_view name : names) {
    std::string field = header_all(r, name);
    if (field.empty()) continue;
    if (auto items = parse_sf_list(field)) out.insert(out.end(), items->begin(), items->end());
  }
  return out;
}

// The IETF draft fields: RateLimit (r, t per policy) and RateLimit-Policy (q, w, qu), plain or
// with a Beta- prefix. Picks the current limit with the fewest remaining units and, for it, the
// policy of the same name, else the policy with the lowest quota per second.
Quota ietf_quota(const HttpResponse& r) {
  Quota q;
  std::string current_name;
  for (const SfItem& item : sf_items(r, {"ratelimit", "beta-ratelimit"})) {
    auto rem = sf_number(item, "r");
    if (!rem) continue;  // r is required
    Quota c;
    c.remaining = rem;
    c.reset_after = sf_number(item, "t");
    if (!q.remaining || tighter(c, q)) {
      q = c;
      current_name = sf_name(item);
    }
  }
  std::optional<Quota> by_name, tightest;
  for (const SfItem& item : sf_items(r, {"ratelimit-policy", "beta-ratelimit-policy"})) {
    if (const SfValue* qu = item.param("qu");
        qu != nullptr && qu->text != "requests") {
      continue;  // content-bytes or concurrent-requests quotas do not pace requests
    }
    Quota p;
    p.limit = sf_number(item, "q");
    if (!p.limit && item.value.is_integer() && item.value.number >= 0) {
      p.limit = item.value.number;  // older drafts: "100;w=60"
    }
    if (!p.limit) continue;
    if (auto w = sf_number(item, "w"); w && *w > 0) p.window = w;
    if (!current_name.empty() && sf_name(item) == current_name) by_name = p;
    if (!tightest || rate_of(p) < rate_of(*tightest)) tightest = p;
  }
  const std::optional<Quota>& policy = by_name ? by_name : tightest;
  if (policy) {
    q.limit = policy->limit;
    q.window = policy->window;
  }
  return q;
}

bool looks_like_json(std::string_view body) {
  body = trim_ows(body);
  while (!body.empty() && (body.front() == '\n' || body.front() == '\r')) {
    body = trim_ows(body.substr(1));
  }
  return !body.empty() && (body.front() == '{' || body.front() == '[') &&
         body.size() <= kMaxBodyScan;
}

bool string_field_is(const json& obj, const char* key, std::string_view want) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() && it->get_ref<const std::string&>() == want;
}

// What a JSON body says: a delay (Discord's retry_after, float seconds) and whether it is a
// rate-limit error (Slack, HubSpot, Notion, Linear GraphQL, Salesforce REST).
struct BodySignal {
  bool limited = false;
  std::optional<double> retry_after;
};

BodySignal read_body(std::string_view body) {
  BodySignal out;
  if (!looks_like_json(body)) return out;
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return out;
  if (j.is_array()) {
    for (const json& e : j) {
      if (e.is_object() && string_field_is(e, "errorCode", "REQUEST_LIMIT_EXCEEDED")) {
        out.limited = true;
      }
    }
    return out;
  }
  if (!j.is_object()) return out;
  if (auto it = j.find("retry_after"); it != j.end() && it->is_number()) {
    double v = it->get<double>();
    if (std::isfinite(v) && v >= 0) out.retry_after = v;
  }
  auto ok = j.find("ok");
  if (ok != j.end() && ok->is_boolean() && !ok->get<bool>() &&
      string_field_is(j, "error", "ratelimited")) {
    out.limited = true;  // Slack
  }
  if (string_field_is(j, "errorType", "RATE_LIMIT")) out.limited = true;  // HubSpot
  if (string_field_is(j, "code", "rate_limited")) out.limited = true;     // Notion
  if (auto errors = j.find("errors"); errors != j.end() && errors->is_array()) {
    for (const json& e : *errors) {  // Linear (GraphQL)
      if (!e.is_object()) continue;
      auto ext = e.find("extensions");
      if (ext != e.end() && ext->is_object() && string_field_is(*ext, "code", "RATELIMITED")) {
        out.limited = true;
      }
    }
  }
  return out;
}

// Returns true iff the body says "rate limit" in words (GitHub's primary and secondary limit
// messages) or carries Salesforce's REQUEST_LIMIT_EXCEEDED.
bool body_mentions_rate_limit(std::string_view body) {
  body = body.substr(0, kMaxBodyScan);
  if (body.find("REQUEST_LIMIT_EXCEEDED") != std::string_view::npos) return true;
  std::string lower(body);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower.find("rate limit") != std::string::npos;
}

}  // namespace

std::optional<double> parse_retry_after(std::string_view value, double now_unix) {
  value = trim_ows(value);
  if (value.empty()) return std::nullopt;
  if (auto s = parse_decimal(value)) return s;
  std::optional<double> at = parse_http_date(value, now_unix);
  if (!at) at = parse_iso8601_instant(value);
  if (!at) return std::nullopt;
  return std::max(0.0, *at - now_unix);
}

std::optional<double> parse_reset(std::string_view value, double now_unix) {
  value = trim_ows(value);
  if (value.empty()) return std::nullopt;
  if (auto v = parse_decimal(value)) {
    if (*v > 1e12) return std::max(0.0, *v / 1000 - now_unix);  // epoch milliseconds
    if (*v > 1e9) return std::max(0.0, *v - now_unix);          // epoch seconds
    return *v;                                                  // delta seconds
  }
  std::optional<double> at = parse_iso8601_instant(value);
  if (!at) at = parse_http_date(value, now_unix);
  if (!at) return std::nullopt;
  return std::max(0.0, *at - now_unix);
}

RateSignal parse_rate_signal(const HttpResponse& response, double now_unix) {
  const HttpResponse& r = response;
  std::optional<Quota> best;
  Quota x = header_family(r, "x-ratelimit-", now_unix);
  // Discord's delta is exact where its epoch reset depends on our clock.
  if (auto after = parse_decimal(trim_ows(r.header("x-ratelimit-reset-after")))) {
    x.reset_after = after;
  }
  consider(x, &best);
  for (std::string_view prefix :
       {"x-rate-limit-", "ratelimit-", "x-ratelimit-requests-", "x-sentry-rate-limit-"}) {
    consider(header_family(r, prefix, now_unix), &best);
  }
  hubspot_quotas(r, &best);
  consider(ietf_quota(r), &best);

  RateSignal s;
  if (best) {
    s.limit = best->limit;
    s.remaining = best->remaining;
    s.reset_after = best->reset_after;
    s.window = best->window;
  }
  std::string_view ra_header = r.header("retry-after");
  std::optional<double> ra = ra_header.empty() ? std::nullopt
                                               : parse_retry_after(ra_header, now_unix);
  BodySignal body = read_body(r.body);
  const bool exhausted = s.remaining && *s.remaining == 0;

  s.limited = r.status == 429 || r.status == 529 || (r.status == 503 && ra) || body.limited ||
              (r.status == 403 && (ra || exhausted || body_mentions_rate_limit(r.body)));
  if (ra) {
    s.retry_after = ra;  // Retry-After wins over every other hint
  } else if (r.status >= 400 && body.retry_after) {
    s.retry_after = body.retry_after;
  } else if (exhausted && s.reset_after) {
    s.retry_after = s.reset_after;
  }
  return s;
}

}  // namespace sever::providers

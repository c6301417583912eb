#include "engine.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "codec.h"
#include "rate_headers.h"
#include "sever/store/crypto.h"

namespace sever::fake {
namespace {

uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// The random draws of one request: a SplitMix64 stream seeded by (seed, provider, token,
/// attempt), so a run is reproducible whatever the interleaving of connections.
class RequestRng {
 public:
  RequestRng(uint64_t seed, size_t provider, uint64_t token64, uint64_t attempt)
      : state_(mix64(mix64(mix64(seed ^ mix64(provider + 1)) ^ token64) ^ attempt)) {}
  double real() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return static_cast<double>(mix64(state_) >> 11) * 0x1.0p-53;
  }

 private:
  uint64_t state_;
};

Decision reply(int status, std::string body) {
  Decision d;
  d.status = status;
  d.body = std::move(body);
  return d;
}

Decision not_found() {
  return reply(404,
               R"({"error":"not_found","message":"no such endpoint at this fake provider - see providers/ENDPOINTS.md"})");
}

/// Returns true iff the presented client credentials satisfy the provider's configured ones.
bool client_ok(const Adapter& a, const ProviderConfig& c, const ParsedRevoke& p) {
  if (a.auth == ClientAuth::none || c.client_id.empty()) return true;
  if (!p.client_id || *p.client_id != c.client_id) return false;
  return c.client_secret.empty() || p.client_secret.value_or("") == c.client_secret;
}

/// Returns the bucket key of a request under the provider's scope.
std::string limit_key(const ProviderConfig& c, const Request& req, const ParsedRevoke& p) {
  const std::string client =
      p.client_id ? *p.client_id : (p.path_client_id.empty() ? std::string() : p.path_client_id);
  switch (c.limit_scope) {
    case LimitScope::provider:
      return {};
    case LimitScope::client:
      return client;
    case LimitScope::token_owner: {
      const std::string_view account = req.header("x-fake-account");
      return account.empty() ? client : std::string(account);
    }
  }
  return {};
}

int64_t latency_us(const ProviderConfig& c, RequestRng& rng) {
  if (c.slow_ratio > 0 && rng.real() < c.slow_ratio) {
    return static_cast<int64_t>(c.slow_ms * 1000.0);
  }
  double ms = c.latency_ms;
  if (c.latency_jitter_ms > 0) ms += c.latency_jitter_ms * rng.real();
  return static_cast<int64_t>(ms * 1000.0);
}

Decision injected_5xx(double u) {
  if (u < 1.0 / 3) return reply(500, R"({"error":"internal_error","message":"injected fault"})");
  if (u < 2.0 / 3) {
    Decision d = reply(502, "<html><body><h1>502 Bad Gateway</h1></body></html>");
    d.content_type = "text/html";
    return d;
  }
  Decision d = reply(503, R"({"error":"service_unavailable","message":"injected fault"})");
  d.headers = "Retry-After: 1\r\n";
  return d;
}

}  // namespace

Engine::Engine(FakeConfig cfg, std::string record_path)
    : cfg_(std::move(cfg)), record_path_(std::move(record_path)) {}

Decision Engine::handle(const Request& req, const Now& now, uint32_t* conn_providers) {
  const std::string_view path = req.path;
  if (path.substr(0, 7) == "/_fake/" || path == "/_fake") return control(req);
  const size_t slash = path.find('/', 1);
  const std::string_view name = path.substr(1, slash == std::string_view::npos ? path.npos
                                                                                  : slash - 1);
  const std::optional<AdapterId> id = find_adapter(name);
  if (!id) {
    std::lock_guard lock(mu_);
    ++server_.requests;
    return not_found();
  }
  const std::string_view subpath =
      slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  return provider_request(*id, req, subpath, now, conn_providers);
}

Decision Engine::provider_request(AdapterId id, const Request& req, std::string_view subpath,
                                  const Now& now, uint32_t* conn_providers) {
  const size_t idx = static_cast<size_t>(id);
  const Adapter& a = adapter(id);
  const ProviderConfig& c = cfg_.providers[idx];
  // Work that needs no shared state happens before the lock.
  const ParsedRevoke p = a.parse(req, subpath);
  const std::string hash = p.token.empty() ? std::string() : crypto::sha256(p.token);
  uint64_t token64 = 0;
  if (!hash.empty()) std::memcpy(&token64, hash.data(), sizeof token64);
  const std::string key = c.rate_limit_per_s > 0 ? limit_key(c, req, p) : std::string();

  std::lock_guard lock(mu_);
  ProviderStats& st = stats_[idx];
  ++server_.requests;
  ++st.requests;
  if ((*conn_providers & (1u << idx)) == 0) {
    *conn_providers |= 1u << idx;
    st.max_connections = std::max(st.max_connections, ++st.connections);
  }
  if (c.down) {
    ++st.refused;
    Decision d;
    d.action = Decision::Action::reset;
    return d;
  }
  if (!p.matched) {
    ++st.bad_requests;
    return not_found();
  }

  Decision d;
  RequestRng rng(cfg_.seed, idx, token64, 0);
  TokenRecord* rec = nullptr;
  if (p.bad_request.empty()) {
    rec = &records_.at(id, hash);
    ++rec->attempts;
    rng = RequestRng(cfg_.seed, idx, token64, rec->attempts);
  }
  const int64_t delay = latency_us(c, rng);
  const bool rate_limited_provider = c.rate_limit_per_s > 0;
  LimitSnapshot snap;
  bool limited = false;
  if (c.max_in_flight > 0 && st.in_flight >= c.max_in_flight) {
    limited = true;
    snap.allowed = false;
    snap.limit = c.max_in_flight;
    snap.wait_s = snap.full_s = snap.rate = 1;
  } else if (rate_limited_provider) {
    snap = limiters_[idx].take(key, now.mono_us, c.rate_limit_per_s, c.burst, c.penalty);
    limited = !snap.allowed;
  }

  if (limited) {
    ++st.limited;
    if (rec != nullptr) ++rec->limited;
    LimitedAnswer la = limited_answer(a, c, snap, now.unix_ms);
    d.status = la.status;
    d.headers = std::move(la.headers);
    d.body = std::move(la.body);
  } else {
    const double u = rng.real();
    if (u < c.reset_ratio) {
      ++st.resets;
      d.action = Decision::Action::reset;
    } else if (u < c.reset_ratio + c.timeout_ratio) {
      ++st.timeouts;
      d.action = Decision::Action::hang;
    } else if (u < c.reset_ratio + c.timeout_ratio + c.error_5xx_ratio) {
      ++st.errors_5xx;
      d = injected_5xx(rng.real());
    } else if (!p.bad_request.empty()) {
      ++st.bad_requests;
      d = reply(a.bad_request.status, std::string(a.bad_request.body));
    } else if (!client_ok(a, c, p)) {
      ++st.auth_failures;
      d = reply(a.invalid_client.status, std::string(a.invalid_client.body));
    } else if (!c.client_id.empty() && !p.path_client_id.empty() &&
               p.path_client_id != c.client_id) {
      ++st.bad_requests;  // GitHub: another app's endpoint is not found
      d = reply(404, R"({"message":"Not Found","documentation_url":"https://docs.github.com/rest"})");
    } else if (rec->revoked || c.unknown_tokens == UnknownTokens::gone) {
      ++st.already_gone;
      ++rec->already_gone;
      d = reply(c.gone_status != 0 ? c.gone_status : a.gone.status, std::string(a.gone.body));
    } else if (p.dry_run) {
      d = reply(200, R"({"ok":true,"revoked":false})");
    } else {
      ++st.revoked;
      rec->revoked = true;
      rec->first_revoked_ms = now.unix_ms;
      d = reply(a.success.status, a.id == AdapterId::vercel
                                      ? success_body(a, crypto::to_hex(hash))
                                      : std::string(a.success.body));
    }
    if (rate_limited_provider && d.action == Decision::Action::respond) {
      if (c.rate_headers) append_rate_headers(a.rate_headers, snap, now.unix_ms, &d.headers);
      append_ietf_headers(c.ietf_headers, snap, &d.headers);
    }
  }

  d.delay_us = delay;
  if (delay > 0 || d.action == Decision::Action::hang) {
    d.tracked_provider = static_cast<int>(idx);
    st.max_in_flight = std::max(st.max_in_flight, ++st.in_flight);
  } else {
    st.max_in_flight = std::max(st.max_in_flight, st.in_flight + 1);
  }
  return d;
}

Decision Engine::control(const Request& req) {
  const std::string_view path = req.path;
  if (path == "/_fake/record" && req.method == "GET") {
    std::lock_guard lock(mu_);
    Decision d = reply(200, records_.jsonl());
    d.content_type = "application/x-ndjson";
    return d;
  }
  if (path == "/_fake/stats" && req.method == "GET") {
    std::lock_guard lock(mu_);
    return reply(200, stats_json(server_, stats_, records_.size()));
  }
  if (path == "/_fake/flush" && req.method == "POST") {
    if (record_path_.empty()) {
      return reply(409, R"({"error":"no_record_file","message":"started without --record"})");
    }
    const Result<size_t> n = write_record();
    if (!n.ok()) {
      return reply(500, R"({"error":"io_error","message":")" + json_escape(n.status().message()) +
                            "\"}");
    }
    return reply(200, R"({"written":)" + std::to_string(n.value()) + R"(,"path":")" +
                          json_escape(record_path_) + "\"}");
  }
  return not_found();
}

void Engine::done(int provider) {
  std::lock_guard lock(mu_);
  --stats_[static_cast<size_t>(provider)].in_flight;
}

void Engine::connection_opened() {
  std::lock_guard lock(mu_);
  ++server_.accepted;
  server_.max_connections = std::max(server_.max_connections, ++server_.connections);
}

void Engine::connection_closed(uint32_t conn_providers) {
  std::lock_guard lock(mu_);
  --server_.connections;
  for (size_t i = 0; i < kAdapterCount; ++i) {
    if (conn_providers & (1u << i)) --stats_[i].connections;
  }
}

void Engine::connection_rejected() {
  std::lock_guard lock(mu_);
  ++server_.rejected;
}

void Engine::http_error() {
  std::lock_guard lock(mu_);
  ++server_.http_errors;
}

Result<size_t> Engine::write_record() {
  if (record_path_.empty()) return size_t{0};
  std::lock_guard lock(mu_);
  if (Status s = records_.write_file(record_path_); !s.ok()) return s;
  return records_.size();
}

}  // namespace sever::fake

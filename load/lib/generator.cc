// The credential generator: draws tenants, tools, kinds, scopes, users and timestamps from one
// seeded stream and writes each line by hand (no JSON library on the per-line path).
#include "sever/load/generator.h"

#include <algorithm>
#include <ostream>
#include <unordered_map>

#include "json_out.h"
#include "names.h"
#include "rng.h"
#include "secret_format.h"
#include "sever/store/time.h"
#include "sever/store/catalog.h"
#include "tool_profiles.h"

namespace sever::load {
namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kHistory = 3 * 365 * kDay;  // how far back credentials were created
constexpr int64_t kDormant = 90 * kDay;       // unused for longer than this: dormant
constexpr uint32_t kNeverUsedPercent = 10;
constexpr uint32_t kDormantPercent = 25;
constexpr uint32_t kExpiredPercent = 5;
constexpr uint32_t kExpiresLaterPercent = 15;
constexpr uint32_t kOvergrantedPercent = 30;
constexpr uint32_t kServiceMailboxPercent = 60;  // of bot tokens and API keys
constexpr uint64_t kTenantRankOffset = 5;        // weight of rank r is 1/(r + offset)
constexpr uint32_t kCredentialsPerUser = 6;
constexpr uint32_t kMaxUsersPerTenant = 50'000;
constexpr size_t kMaxOptionalScopes = 16;
constexpr size_t kWriteChunk = 1 << 20;

struct CompiledKind {
  Kind kind;
  uint64_t cumulative;  // running total of the profile's kind weights
  SecretFormat secret;
};

struct ToolEntry {
  const catalog::ToolInfo* info;
  std::vector<CompiledKind> kinds;
  std::vector<std::string> clients;  // "github-app-1", …
};

struct Tenant {
  std::string name;    // "t00042-acme"
  std::string domain;  // "acme-42.example"
  uint32_t users = 1;
  uint64_t next_id = 1;
};

/// Returns the index i of the first cumulative[i] > r: a draw from a discrete distribution.
size_t pick(const std::vector<uint64_t>& cumulative, uint64_t r) {
  return static_cast<size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), r) -
                             cumulative.begin());
}

const ToolProfile* find_profile(std::string_view tool) {
  static const std::unordered_map<std::string_view, const ToolProfile*> index = [] {
    std::unordered_map<std::string_view, const ToolProfile*> m;
    for (const ToolProfile& p : tool_profiles()) m.emplace(p.tool, &p);
    return m;
  }();
  auto it = index.find(tool);
  return it == index.end() ? nullptr : it->second;
}

uint32_t clients_for_weight(uint32_t weight) {
  if (weight >= 5000) return 4;
  if (weight >= 1000) return 3;
  if (weight >= 100) return 2;
  return 1;
}

}  // namespace

uint32_t auto_tenants(uint64_t count) {
  return static_cast<uint32_t>(std::clamp<uint64_t>(count / 200, 1, 100'000));
}

Status validate(const GenOptions& o) {
  if (o.tenants > kMaxTenants)
    return Status::InvalidArgument("tenants: " + std::to_string(o.tenants) + " exceeds the " +
                                   std::to_string(kMaxTenants) + " maximum");
  if (o.now_unix < kMinNowUnix || o.now_unix > kMaxNowUnix)
    return Status::InvalidArgument("now: " + format_rfc3339(o.now_unix) +
                                   " is outside 1980-01-01 .. 9000-01-01");
  return Status::Ok();
}

std::vector<std::string> check_tool_mix() {
  std::vector<std::string> problems;
  for (const ToolProfile& p : tool_profiles()) {
    if (catalog::find_tool(p.tool) == nullptr)
      problems.push_back("profile for a tool the catalog lacks: " + std::string(p.tool));
    if (p.weight == 0 || p.kinds.empty())
      problems.push_back("profile without weight or kinds: " + std::string(p.tool));
  }
  for (const catalog::ToolInfo& t : catalog::tools())
    if (find_profile(t.name) == nullptr)
      problems.push_back("catalog tool without a profile: " + std::string(t.name));
  return problems;
}

// ---------------------------------------------------------------------------------------------

struct Generator::Impl {
  explicit Impl(const GenOptions& options);
  void write_line(std::string* out);
  void append_user(const Tenant& t, size_t tenant_index, Kind kind, std::string* out);

  GenOptions opt;
  Rng rng;
  std::vector<ToolEntry> tools;
  std::vector<uint64_t> tool_cumulative;
  std::vector<Tenant> tenants;
  std::vector<uint64_t> tenant_cumulative;
  uint64_t produced = 0;
  std::string scratch;
};

Generator::Impl::Impl(const GenOptions& options) : opt(options), rng(options.seed) {
  opt.now_unix = std::clamp(opt.now_unix, kMinNowUnix, kMaxNowUnix);
  if (opt.tenants == 0) opt.tenants = auto_tenants(opt.count);
  opt.tenants = std::min(opt.tenants, kMaxTenants);

  // Tools, in catalog order.
  uint64_t total = 0;
  for (const catalog::ToolInfo& info : catalog::tools()) {
    const ToolProfile* p = find_profile(info.name);
    if (p == nullptr) p = &default_profile();
    if (p->weight == 0 || p->kinds.empty()) continue;
    ToolEntry e{&info, {}, {}};
    uint64_t kind_total = 0;
    for (const KindSpec& k : p->kinds) {
      kind_total += k.weight;
      e.kinds.push_back({k.kind, kind_total, SecretFormat(k.secret)});
    }
    std::string stem(info.name);
    std::replace(stem.begin(), stem.end(), '_', '-');
    for (uint32_t c = 1; c <= clients_for_weight(p->weight); ++c)
      e.clients.push_back(stem + "-app-" + std::to_string(c));
    tools.push_back(std::move(e));
    total += p->weight;
    tool_cumulative.push_back(total);
  }

  // Tenants: Zipf-Mandelbrot weights over ranks, ranks shuffled over tenant numbers so that
  // t00001 is not always the largest. A separate stream keeps the line stream independent.
  Rng setup(mix64(opt.seed ^ 0x7465'6e61'6e74'7321ULL));
  const uint32_t n = opt.tenants;
  std::vector<uint32_t> rank(n);
  for (uint32_t i = 0; i < n; ++i) rank[i] = i;
  for (uint32_t i = n; i > 1; --i) std::swap(rank[i - 1], rank[setup.below(i)]);
  constexpr uint64_t kScale = uint64_t{1} << 40;
  std::vector<uint64_t> weight(n);
  uint64_t tenant_total = 0;
  for (uint32_t i = 0; i < n; ++i) {
    weight[i] = kScale / (rank[i] + 1 + kTenantRankOffset);
    tenant_total += weight[i];
  }
  const auto words = tenant_words();
  tenants.resize(n);
  tenant_cumulative.resize(n);
  uint64_t running = 0;
  for (uint32_t i = 0; i < n; ++i) {
    Tenant& t = tenants[i];
    const std::string_view word = words[mix64(opt.seed * 0x9e37 + i) % words.size()];
    t.name = "t";
    append_uint(i + 1, &t.name, 5);
    t.name += '-';
    t.name += word;
    t.domain = std::string(word) + "-" + std::to_string(i + 1) + ".example";
    const auto expected = static_cast<uint64_t>(
        static_cast<unsigned __int128>(opt.count) * weight[i] / tenant_total);
    t.users = static_cast<uint32_t>(
        std::min<uint64_t>(expected / kCredentialsPerUser + 1, kMaxUsersPerTenant));
    running += weight[i];
    tenant_cumulative[i] = running;
  }
  scratch.reserve(512);
}

void Generator::Impl::append_user(const Tenant& t, size_t tenant_index, Kind kind,
                                  std::string* out) {
  out->push_back('"');
  if ((kind == Kind::bot_token || kind == Kind::api_key) && rng.percent(kServiceMailboxPercent)) {
    const auto boxes = service_mailboxes();
    out->append(boxes[rng.below(boxes.size())]);
  } else {
    // A few people connect most tools: the lower of two draws favours low user numbers.
    const uint64_t a = rng.below(t.users), b = rng.below(t.users);
    const uint64_t u = std::min(a, b);
    const auto firsts = first_names();
    const auto lasts = last_names();
    const uint64_t h = mix64((opt.seed << 1) ^ (uint64_t{tenant_index} << 24) ^ u);
    out->append(firsts[h % firsts.size()]);
    out->push_back('.');
    out->append(lasts[(h >> 32) % lasts.size()]);
    // Beyond the distinct name pairs, number the mailboxes so each user stays distinct.
    const uint64_t pairs = firsts.size() * lasts.size();
    if (u >= pairs) append_uint(u / pairs, out);
  }
  out->push_back('@');
  out->append(t.domain);
  out->push_back('"');
}

void Generator::Impl::write_line(std::string* out) {
  const int64_t now = opt.now_unix;
  const size_t ti = pick(tenant_cumulative, rng.below(tenant_cumulative.back()));
  Tenant& tenant = tenants[ti];
  const ToolEntry& tool = tools[pick(tool_cumulative, rng.below(tool_cumulative.back()))];
  const uint64_t kr = rng.below(tool.kinds.back().cumulative);
  const CompiledKind* kind = &tool.kinds.front();
  while (kr >= kind->cumulative) ++kind;

  out->append("{\"tenant\":");
  append_json_string(tenant.name, out);
  out->append(",\"id\":\"c");
  append_uint(tenant.next_id++, out, 6);
  out->append("\",\"tool\":");
  append_json_string(tool.info->name, out);
  out->append(",\"kind\":");
  append_json_string(kind_name(kind->kind), out);
  out->append(",\"secret\":");
  scratch.clear();
  kind->secret.append(rng, &scratch);
  append_json_string(scratch, out);

  out->append(",\"scopes\":[");
  const auto& required = tool.info->required_scopes;
  if (kind->kind != Kind::api_key && !required.empty()) {
    for (size_t i = 0; i < required.size(); ++i) {
      if (i > 0) out->push_back(',');
      append_json_string(required[i], out);
    }
    const auto& optional = tool.info->optional_scopes;
    if (!optional.empty() && rng.percent(kOvergrantedPercent)) {
      // One optional scope (60%), two (25%) or three (15%), distinct, by partial shuffle.
      const uint64_t r = rng.below(100);
      size_t want = r < 60 ? 1 : (r < 85 ? 2 : 3);
      const size_t avail = std::min(optional.size(), kMaxOptionalScopes);
      want = std::min(want, avail);
      uint8_t idx[kMaxOptionalScopes];
      for (size_t i = 0; i < avail; ++i) idx[i] = static_cast<uint8_t>(i);
      for (size_t i = 0; i < want; ++i) {
        std::swap(idx[i], idx[i + rng.below(avail - i)]);
        out->push_back(',');
        append_json_string(optional[idx[i]], out);
      }
    }
  }
  out->append("],\"user\":");
  append_user(tenant, ti, kind->kind, out);

  // Usage state: never used, dormant (last use over 90 days ago) or active.
  const uint64_t state = rng.below(100);
  const bool never = state < kNeverUsedPercent;
  const bool dormant = !never && state < kNeverUsedPercent + kDormantPercent;
  int64_t created, last_used = -1;
  if (dormant) {
    const int64_t latest = now - kDormant - kDay;
    created = latest - static_cast<int64_t>(rng.below(kHistory - kDormant - kDay));
    last_used = created + static_cast<int64_t>(rng.below(static_cast<uint64_t>(latest - created)));
  } else {
    // The lower of two uniform ages: the platform grew, so recent credentials are commoner.
    const uint64_t a = rng.below(kHistory), b = rng.below(kHistory);
    created = now - 1 - static_cast<int64_t>(std::min(a, b));
    if (!never) {
      const int64_t window = std::min<int64_t>(now - created, kDormant - kDay);
      const uint64_t x = rng.below(static_cast<uint64_t>(window));
      const uint64_t y = rng.below(static_cast<uint64_t>(window));
      last_used = now - static_cast<int64_t>(std::min(x, y));
    }
  }
  int64_t expires = -1;
  const uint64_t e = rng.below(100);
  if (e < kExpiredPercent) {
    const int64_t lo = std::min(std::max(created, last_used) + 1, now - 1);
    expires = rng.between(lo, now - 1);
  } else if (e < kExpiredPercent + kExpiresLaterPercent) {
    expires = now + 3600 + static_cast<int64_t>(rng.below(365 * kDay));
  }

  out->append(",\"created_at\":\"");
  append_rfc3339(created, out);
  out->append("\",\"last_used_at\":");
  if (last_used < 0) {
    out->append("null");
  } else {
    out->push_back('"');
    append_rfc3339(last_used, out);
    out->push_back('"');
  }
  out->append(",\"expires_at\":");
  if (expires < 0) {
    out->append("null");
  } else {
    out->push_back('"');
    append_rfc3339(expires, out);
    out->push_back('"');
  }
  // Most credentials go through a tool's main OAuth client; older clients keep a few.
  const uint64_t c = rng.below(100);
  const size_t client = std::min<size_t>(c < 55 ? 0 : (c < 80 ? 1 : (c < 93 ? 2 : 3)),
                                         tool.clients.size() - 1);
  out->append(",\"client\":");
  append_json_string(tool.clients[client], out);
  out->push_back('}');
}

Generator::Generator(const GenOptions& options) : impl_(std::make_unique<Impl>(options)) {}
Generator::~Generator() = default;
Generator::Generator(Generator&&) noexcept = default;
Generator& Generator::operator=(Generator&&) noexcept = default;

bool Generator::next(std::string* line) {
  line->clear();
  if (impl_->produced >= impl_->opt.count) return false;
  impl_->write_line(line);
  ++impl_->produced;
  return true;
}

bool Generator::append_next(std::string* out) {
  if (impl_->produced >= impl_->opt.count) return false;
  impl_->write_line(out);
  out->push_back('\n');
  ++impl_->produced;
  return true;
}

uint64_t Generator::produced() const { return impl_->produced; }

uint32_t Generator::tenant_count() const { return impl_->opt.tenants; }

Status generate(const GenOptions& options, std::ostream& out) {
  SEVER_RETURN_IF_ERROR(validate(options));
  Generator gen(options);
  std::string buf;
  buf.reserve(kWriteChunk + 4096);
  const auto flush = [&]() -> Status {
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    buf.clear();
    if (!out) return Status::IoError("writing generated credentials failed");
    return Status::Ok();
  };
  while (gen.append_next(&buf))
    if (buf.size() >= kWriteChunk) SEVER_RETURN_IF_ERROR(flush());
  SEVER_RETURN_IF_ERROR(flush());
  out.flush();
  if (!out) return Status::IoError("flushing generated credentials failed");
  return Status::Ok();
}

}  // namespace sever::load

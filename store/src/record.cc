#include "sever/store/record.h"

#include <array>

#include "coding.h"

namespace sever {
namespace {

constexpr std::array<std::string_view, 5> kKindNames = {"oauth_access", "oauth_refresh",
                                                        "api_key", "bot_token", "pat"};
constexpr std::array<std::string_view, 5> kStateNames = {"issued", "active", "dormant", "expired",
                                                         "revoked"};
constexpr uint8_t kHasLastUsed = 1;
constexpr uint8_t kHasExpires = 2;

template <typename E, size_t N>
Result<E> parse_enum(std::string_view what, const std::array<std::string_view, N>& names,
                     std::string_view s) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == s) return static_cast<E>(i + 1);
  }
  std::string list;
  for (auto n : names) list += (list.empty() ? "" : ", ") + std::string(n);
  return Status::InvalidArgument("unknown " + std::string(what) + " '" + std::string(s) +
                                 "' (expected one of " + list + ")");
}

}  // namespace

std::string_view to_string(Kind k) {
  auto i = static_cast<size_t>(k) - 1;
  return i < kKindNames.size() ? kKindNames[i] : "unknown";
}

std::string_view to_string(State s) {
  auto i = static_cast<size_t>(s) - 1;
  return i < kStateNames.size() ? kStateNames[i] : "unknown";
}

Result<Kind> parse_kind(std::string_view s) { return parse_enum<Kind>("kind", kKindNames, s); }
Result<State> parse_state(std::string_view s) {
  return parse_enum<State>("state", kStateNames, s);
}

std::string encode_record(const Credential& c) {
  std::string out;
  out.reserve(64 + c.tool.size() + c.user.size() + c.client.size() + c.sealed.size() +
              c.scopes.size() * 16);
  out.push_back(static_cast<char>(kRecordFormat));
  out.push_back(static_cast<char>(c.kind));
  out.push_back(static_cast<char>(c.state));
  out.push_back(static_cast<char>((c.last_used_at ? kHasLastUsed : 0) |
                                  (c.expires_at ? kHasExpires : 0)));
  coding::put_varint_signed(&out, c.created_at);
  if (c.last_used_at) coding::put_varint_signed(&out, *c.last_used_at);
  if (c.expires_at) coding::put_varint_signed(&out, *c.expires_at);
  coding::put_varint_signed(&out, c.state_changed_at);
  coding::put_varint(&out, c.dek_version);
  coding::put_bytes(&out, c.tool);
  coding::put_bytes(&out, c.user);
  coding::put_bytes(&out, c.client);
  coding::put_varint(&out, c.scopes.size());
  for (const auto& s : c.scopes) coding::put_bytes(&out, s);
  coding::put_bytes(&out, c.sealed);
  return out;
}

Status decode_record(std::string_view tenant, std::string_view id, std::string_view value,
                     Credential* out) {
  auto bad = [&](const std::string& what) {
    return Status::Corruption("record " + std::string(tenant) + "/" + std::string(id) + ": " +
                              what);
  };
  coding::Reader r(value);
  uint8_t format, kind, state, flags;
  if (!r.u8(&format)) return bad("empty value");
  if (format != kRecordFormat) {
    return bad("record format " + std::to_string(format) + " is unknown to this build");
  }
  if (!r.u8(&kind) || !r.u8(&state) || !r.u8(&flags)) return bad("truncated header");
  if (kind < 1 || kind > kKindNames.size()) return bad("unknown kind " + std::to_string(kind));
  if (state < 1 || state > kStateNames.size()) return bad("unknown state " + std::to_string(state));
  Credential c;
  c.tenant = tenant;
  c.id = id;
  c.kind = static_cast<Kind>(kind);
  c.state = static_cast<State>(state);
  int64_t t;
  if (!r.varint_signed(&c.created_at)) return bad("truncated created_at");
  if (flags & kHasLastUsed) {
    if (!r.varint_signed(&t)) return bad("truncated last_used_at");
    c.last_used_at = t;
  }
  if (flags & kHasExpires) {
    if (!r.varint_signed(&t)) return bad("truncated expires_at");
    c.expires_at = t;
  }
  std::string_view tool, user, client, sealed;
  uint64_t nscopes;
  if (!r.varint_signed(&c.state_changed_at) || !r.varint32(&c.dek_version) || !r.bytes(&tool) ||
      !r.bytes(&user) || !r.bytes(&client) || !r.varint(&nscopes) || nscopes > value.size()) {
    return bad("truncated fields");
  }
  c.tool = tool;
  c.user = user;
  c.client = client;
  c.scopes.reserve(nscopes);
  for (uint64_t i = 0; i < nscopes; ++i) {
    std::string_view s;
    if (!r.bytes(&s)) return bad("truncated scope list");
    c.scopes.emplace_back(s);
  }
  if (!r.bytes(&sealed)) return bad("truncated sealed secret");
  if (!r.done()) return bad("trailing bytes");
  c.sealed = sealed;
  *out = std::move(c);
  return Status::Ok();
}

bool peek_dek_version(std::string_view value, uint32_t* dek_version) {
  coding::Reader r(value);
  uint8_t format, kind, state, flags;
  int64_t t;
  if (!r.u8(&format) || format != kRecordFormat || !r.u8(&kind) || !r.u8(&state) ||
      !r.u8(&flags) || !r.varint_signed(&t)) {
    return false;
  }
  if ((flags & kHasLastUsed) && !r.varint_signed(&t)) return false;
  if ((flags & kHasExpires) && !r.varint_signed(&t)) return false;
  return r.varint_signed(&t) && r.varint32(dek_version);
}

std::string secret_aad(std::string_view tenant, std::string_view id, uint32_t dek_version) {
  std::string aad = "sever.secret";
  aad.push_back(static_cast<char>(kRecordFormat));
  coding::put_bytes(&aad, tenant);
  coding::put_bytes(&aad, id);
  coding::put_be32(&aad, dek_version);
  return aad;
}

Status validate_name(std::string_view what, std::string_view s) {
  if (s.empty()) return Status::InvalidArgument(std::string(what) + " is empty");
  if (s.size() > 256) {
    return Status::InvalidArgument(std::string(what) + " is longer than 256 bytes");
  }
  for (unsigned char ch : s) {
    if (ch < 0x20 || ch == 0x7f) {
      return Status::InvalidArgument(std::string(what) + " contains a control character");
    }
  }
  return Status::Ok();
}

}  // namespace sever

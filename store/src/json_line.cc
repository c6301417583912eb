#include "json_line.h"

#include <openssl/crypto.h>

#include "sever/store/time.h"
#include "validate.h"

namespace sever::detail {
namespace {

using simdjson::ondemand::json_type;

enum Field : unsigned {
  kTenant = 1, kId = 2, kTool = 4, kKind = 8, kSecret = 16, kScopes = 32, kUser = 64,
  kClient = 128, kCreated = 256, kLastUsed = 512, kExpires = 1024
};
constexpr unsigned kRequired = kTenant | kId | kTool | kKind | kSecret | kCreated;

struct FieldName {
  std::string_view name;
  Field field;
};
constexpr FieldName kFields[] = {
    {"tenant", kTenant},     {"id", kId},           {"tool", kTool},
    {"kind", kKind},         {"secret", kSecret},   {"scopes", kScopes},
    {"user", kUser},         {"client", kClient},   {"created_at", kCreated},
    {"last_used_at", kLastUsed}, {"expires_at", kExpires}};

Status field_error(std::string_view field, const std::string& what) {
  return Status::InvalidArgument("field '" + std::string(field) + "': " + what);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool read_hex4(std::string_view s, size_t i, uint32_t* out) {
  if (i + 4 > s.size()) return false;
  uint32_t v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    int h = hex_value(s[k]);
    if (h < 0) return false;
    v = v << 4 | static_cast<uint32_t>(h);
  }
  *out = v;
  return true;
}

void put_utf8(std::string* o, uint32_t cp) {
  if (cp < 0x80) {
    o->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    o->push_back(static_cast<char>(0xC0 | cp >> 6));
    o->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    o->push_back(static_cast<char>(0xE0 | cp >> 12));
    o->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
    o->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    o->push_back(static_cast<char>(0xF0 | cp >> 18));
    o->push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3F)));
    o->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
    o->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Reads a string value (simdjson unescapes names and metadata; they are not secret).
Status get_string(simdjson::ondemand::value v, std::string_view field, std::string* out) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) return field_error(field, "expected a string");
  out->assign(s);
  return Status::Ok();
}

// Reads an optional RFC 3339 timestamp (string or null).
Status get_time(simdjson::ondemand::value v, std::string_view field, std::optional<int64_t>* out) {
  json_type t;
  if (v.type().get(t) != simdjson::SUCCESS) return field_error(field, "malformed value");
  if (t == json_type::null) {
    out->reset();
    return Status::Ok();
  }
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) {
    return field_error(field, "expected an RFC 3339 string or null");
  }
  auto r = parse_rfc3339(s);
  if (!r.ok()) return field_error(field, r.status().message());
  *out = *r;
  return Status::Ok();
}

}  // namespace

bool unescape_json_string(std::string_view raw, SecretBytes* out) {
  while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' ||
                          raw.back() == '\r')) {
    raw.remove_suffix(1);
  }
  if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') return false;
  raw = raw.substr(1, raw.size() - 2);
  std::string o;
  o.reserve(raw.size());
  bool ok = true;
  for (size_t i = 0; i < raw.size() && ok; ++i) {
    char c = raw[i];
    if (static_cast<unsigned char>(c) < 0x20) { ok = false; break; }
    if (c != '\\') { o.push_back(c); continue; }
    if (++i >= raw.size()) { ok = false; break; }
    switch (raw[i]) {
      case '"': o.push_back('"'); break;
      case '\\': o.push_back('\\'); break;
      case '/': o.push_back('/'); break;
      case 'b': o.push_back('\b'); break;
      case 'f': o.push_back('\f'); break;
      case 'n': o.push_back('\n'); break;
      case 'r': o.push_back('\r'); break;
      case 't': o.push_back('\t'); break;
      case 'u': {
        uint32_t cp;
        if (!read_hex4(raw, i + 1, &cp)) { ok = false; break; }
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {  // high surrogate: a low one must follow
          uint32_t lo;
          if (i + 2 >= raw.size() || raw[i + 1] != '\\' || raw[i + 2] != 'u' ||
              !read_hex4(raw, i + 3, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
            ok = false;
            break;
          }
          i += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          ok = false;
          break;
        }
        put_utf8(&o, cp);
        break;
      }
      default: ok = false;
    }
  }
  if (ok) *out = SecretBytes(o);
  cleanse(o);
  return ok;
}

Status JsonLineParser::Parse(std::string_view line, NewCredential* out) {
  padded_.assign(line);
  padded_.resize(line.size() + simdjson::SIMDJSON_PADDING, ' ');
  struct Wipe {
    std::string& s;
    ~Wipe() { OPENSSL_cleanse(s.data(), s.size()); }
  } wipe{padded_};

  simdjson::ondemand::document doc;
  if (parser_.iterate(padded_.data(), line.size(), padded_.size()).get(doc) != simdjson::SUCCESS) {
    return Status::InvalidArgument("not valid JSON");
  }
  simdjson::ondemand::object obj;
  if (auto err = doc.get_object().get(obj); err != simdjson::SUCCESS) {
    size_t first = line.find_first_not_of(" \t");
    if (first != std::string_view::npos && line[first] != '{') {
      return Status::InvalidArgument("not a JSON object");
    }
    return Status::InvalidArgument(std::string("not valid JSON (") + simdjson::error_message(err) +
                                   ")");
  }
  Credential& c = out->meta;
  c = Credential{};
  out->secret.clear();
  unsigned seen = 0;
  std::string kind;
  std::optional<int64_t> created;
  for (auto member : obj) {
    std::string_view key;
    if (member.unescaped_key().get(key) != simdjson::SUCCESS) {
      return Status::InvalidArgument("not valid JSON (bad key)");
    }
    Field f{};
    for (const auto& fn : kFields) {
      if (fn.name == key) f = fn.field;
    }
    if (f == Field{}) return Status::InvalidArgument("unknown field '" + std::string(key) + "'");
    if (seen & f) return Status::InvalidArgument("field '" + std::string(key) + "' appears twice");
    seen |= f;
    simdjson::ondemand::value v;
    if (member.value().get(v) != simdjson::SUCCESS) return field_error(key, "malformed value");
    bool is_null = false;
    switch (f) {
      case kTenant: SEVER_RETURN_IF_ERROR(get_string(v, key, &c.tenant)); break;
      case kId: SEVER_RETURN_IF_ERROR(get_string(v, key, &c.id)); break;
      case kTool: SEVER_RETURN_IF_ERROR(get_string(v, key, &c.tool)); break;
      case kKind: SEVER_RETURN_IF_ERROR(get_string(v, key, &kind)); break;
      case kUser:
      case kClient:
        if (v.is_null().get(is_null) == simdjson::SUCCESS && is_null) break;
        SEVER_RETURN_IF_ERROR(get_string(v, key, f == kUser ? &c.user : &c.client));
        break;
      case kSecret: {
        std::string_view raw = v.raw_json_token();
        if (!unescape_json_string(raw, &out->secret)) {
          return field_error(key, "expected a well-formed string");
        }
        break;
      }
      case kScopes: {
        simdjson::ondemand::array arr;
        if (v.get_array().get(arr) != simdjson::SUCCESS) {
          return field_error(key, "expected an array of strings");
        }
        for (auto item : arr) {
          std::string_view s;
          if (item.get_string().get(s) != simdjson::SUCCESS) {
            return field_error(key, "expected an array of strings");
          }
          c.scopes.emplace_back(s);
        }
        break;
      }
      case kCreated: SEVER_RETURN_IF_ERROR(get_time(v, key, &created)); break;
      case kLastUsed: SEVER_RETURN_IF_ERROR(get_time(v, key, &c.last_used_at)); break;
      case kExpires: SEVER_RETURN_IF_ERROR(get_time(v, key, &c.expires_at)); break;
    }
  }
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return Status::InvalidArgument("trailing content after the JSON object");
  }
  if ((seen & kRequired) != kRequired) {
    for (const auto& fn : kFields) {
      if ((kRequired & fn.field) && !(seen & fn.field)) {
        return Status::InvalidArgument("missing field '" + std::string(fn.name) + "'");
      }
    }
  }
  if (!created) return field_error("created_at", "must not be null");
  c.created_at = *created;
  auto k = parse_kind(kind);
  if (!k.ok()) return field_error("kind", k.status().message());
  c.kind = *k;
  return validate_credential(c, out->secret);
}

}  // namespace sever::detail

// Parsing of `pkcs11:` key-source specs (see pkcs11_key_source.h for the grammar).
#include <cstdlib>
#include <set>
#include <utility>
#include <vector>

#include "pkcs11_key_source.h"

namespace sever::detail {
namespace {

constexpr std::string_view kScheme = "pkcs11:";
constexpr const char* kDefaultModule = "/usr/lib/softhsm/libsofthsm2.so";
constexpr const char* kModuleEnv = "SEVER_PKCS11_MODULE";
constexpr const char* kDefaultPinEnv = "SEVER_PKCS11_PIN";
constexpr size_t kTokenLabelBytes = 32;  // CK_TOKEN_INFO.label: blank padded, not terminated

/// Returns an invalid_argument "pkcs11 spec: WHAT".
Status spec_error(const std::string& what) {
  return Status::InvalidArgument("pkcs11 spec: " + what);
}

/// Returns the value of a hex digit, or -1.
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Decodes %XX escapes in the value of attribute `name`.
Result<std::string> percent_decode(std::string_view raw, const std::string& name) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      out += raw[i];
      continue;
    }
    int hi = i + 2 < raw.size() ? hex_digit(raw[i + 1]) : -1;
    int lo = i + 2 < raw.size() ? hex_digit(raw[i + 2]) : -1;
    if (hi < 0 || lo < 0) return spec_error("bad percent escape in " + name + "=");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

/// Splits `s` at every `sep`.
std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t pos; (pos = s.find(sep, start)) != std::string_view::npos; start = pos + 1) {
    parts.push_back(s.substr(start, pos - start));
  }
  parts.push_back(s.substr(start));
  return parts;
}

/// Which part of the spec an attribute sits in: the path (before '?') or the query (after).
enum class Part { path, query };

/// Returns the field of `out` that attribute `name` of `part` sets, or nullptr when `name` is
/// not an attribute of that part.
std::string* attribute_field(const std::string& name, Part part, Pkcs11Spec& out) {
  if (part == Part::path) {
    if (name == "token") return &out.token_label;
    if (name == "object") return &out.key_label;
  } else {
    if (name == "module-path") return &out.module_path;
    if (name == "pin-env") return &out.pin_env;
  }
  return nullptr;
}

/// Stores one `name=value` attribute of `part` into `out`; `seen` catches duplicates.
Status apply_attribute(std::string_view attr, Part part, Pkcs11Spec& out,
                       std::set<std::string>& seen) {
  size_t eq = attr.find('=');
  if (eq == std::string_view::npos) {
    return spec_error("attribute '" + std::string(attr) + "' has no '='");
  }
  std::string name(attr.substr(0, eq));
  if (name == "pin-value" || name == "pin-source") {
    return spec_error(name +
                      " is not accepted: put the PIN in the environment variable that "
                      "pin-env names");
  }
  std::string* field = attribute_field(name, part, out);
  if (field == nullptr) {
    Part other = part == Part::path ? Part::query : Part::path;
    if (attribute_field(name, other, out) != nullptr) {
      return spec_error("attribute '" + name + "' belongs " +
                        (other == Part::path ? "before" : "after") + " '?'");
    }
    return spec_error("unknown attribute '" + name + "'");
  }
  if (!seen.insert(name).second) return spec_error("duplicate attribute '" + name + "'");
  SEVER_ASSIGN_OR_RETURN(std::string value, percent_decode(attr.substr(eq + 1), name));
  if (value.empty()) return spec_error("empty " + name + "=");
  *field = std::move(value);
  return Status::Ok();
}

/// Applies every attribute of one part of the spec; empty segments (a stray separator) are
/// skipped.
Status apply_part(std::string_view text, char sep, Part part, Pkcs11Spec& out,
                  std::set<std::string>& seen) {
  for (std::string_view attr : split(text, sep)) {
    if (attr.empty()) continue;
    SEVER_RETURN_IF_ERROR(apply_attribute(attr, part, out, seen));
  }
  return Status::Ok();
}

/// Returns true iff `name` is a plausible environment variable name ([A-Za-z_][A-Za-z0-9_]*).
bool is_env_name(const std::string& name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

/// Checks the required attributes and fills in the defaults.
Status finish_spec(Pkcs11Spec& out) {
  if (out.token_label.empty()) return spec_error("missing token=");
  if (out.key_label.empty()) return spec_error("missing object=");
  if (out.token_label.size() > kTokenLabelBytes) {
    return spec_error("token label '" + out.token_label + "' is longer than 32 bytes");
  }
  if (out.module_path.empty()) {
    const char* env = std::getenv(kModuleEnv);
    out.module_path = env != nullptr && *env != '\0' ? env : kDefaultModule;
  }
  if (out.pin_env.empty()) out.pin_env = kDefaultPinEnv;
  if (!is_env_name(out.pin_env)) {
    return spec_error("pin-env '" + out.pin_env + "' is not an environment variable name");
  }
  return Status::Ok();
}

}  // namespace

Result<Pkcs11Spec> parse_pkcs11_spec(std::string_view spec) {
  if (spec.substr(0, kScheme.size()) != kScheme) return spec_error("must start with 'pkcs11:'");
  Pkcs11Spec out;
  out.spec = std::string(spec);
  std::string_view body = spec.substr(kScheme.size());
  size_t q = body.find('?');
  std::set<std::string> seen;
  SEVER_RETURN_IF_ERROR(apply_part(body.substr(0, q), ';', Part::path, out, seen));
  if (q != std::string_view::npos) {
    SEVER_RETURN_IF_ERROR(apply_part(body.substr(q + 1), '&', Part::query, out, seen));
  }
  SEVER_RETURN_IF_ERROR(finish_spec(out));
  return out;
}

}  // namespace sever::detail

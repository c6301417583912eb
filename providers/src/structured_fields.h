// A small reader of RFC 8941 Structured Field Lists, enough for the IETF RateLimit and
// RateLimit-Policy fields. Private to sever::providers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sever::providers {

/// One bare item: an Integer or Decimal (number), a String or Token (text), a Boolean, or a
/// Byte Sequence (text holds its base64 unchecked).
struct SfValue {
  enum class Type { integer, decimal, string, token, boolean, bytes };
  Type type = Type::boolean;
  double number = 0;
  std::string text;
  bool boolean = true;

  /// Returns true iff the value is an Integer.
  bool is_integer() const { return type == Type::integer; }
};

/// A list member: a bare item and its parameters, in order.
struct SfItem {
  SfValue value;
  std::vector<std::pair<std::string, SfValue>> params;

  /// Returns the parameter with this key, or nullptr.
  const SfValue* param(std::string_view key) const;
};

/// Parses a Structured Field List ("a;x=1, \"b\";y=2"). Returns nullopt when the field is
/// malformed or uses Inner Lists (RFC 8941: a malformed field is ignored as a whole).
std::optional<std::vector<SfItem>> parse_sf_list(std::string_view field);

}  // namespace sever::providers

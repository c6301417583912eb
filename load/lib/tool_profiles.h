// The generator's tool mix: how often each tool occurs, and what credentials it issues.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sever::load {

/// The kind of a stored credential, as written in the `kind` field.
enum class Kind : uint8_t { oauth_access, oauth_refresh, api_key, bot_token, pat };

/// Returns the `kind` field's value: "oauth_access", "oauth_refresh", "api_key", "bot_token",
/// "pat".
std::string_view kind_name(Kind k);

/// One kind of credential a tool issues, how often, and its secret's template (see
/// SecretFormat).
struct KindSpec {
  Kind kind;
  uint32_t weight;
  std::string_view secret;
};

/// How the generator draws credentials of one tool.
struct ToolProfile {
  std::string_view tool;  // a sever::catalog tool name
  /// Relative frequency among all credentials, in units of 1/100,000 of a typical mix.
  uint32_t weight;
  std::vector<KindSpec> kinds;
};

/// Returns every tool profile, in a stable order.
std::span<const ToolProfile> tool_profiles();

/// Returns the profile used for a catalog tool that has none of its own: a rare API key.
const ToolProfile& default_profile();

}  // namespace sever::load

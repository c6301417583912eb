// Internal: what the store keeps wrapped under its master key besides the DEKs (the KEK check
// value and the audit chain key), shared by store creation, opening and master-key rotation.
#pragma once

#include <string_view>

namespace sever::detail {

/// The AAD of the KEK check value and of the wrapped audit chain key.
inline constexpr std::string_view kKekCheckContext = "sever.kek-check.v1";
inline constexpr std::string_view kAuditKeyContext = "sever.audit-key.v1";
/// The known block wrapped as the KEK check value.
inline constexpr std::string_view kKekCheckPlain = "sever master key check block v1.";

}  // namespace sever::detail

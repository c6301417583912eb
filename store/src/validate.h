// Internal: validation of a credential before it is written (import and Put share it).
#pragma once

#include "sever/store/record.h"
#include "sever/store/secret.h"
#include "sever/store/status.h"

namespace sever::detail {

/// Maximum bytes of one secret.
inline constexpr size_t kMaxSecretBytes = 64 << 10;
/// Maximum scopes on one credential.
inline constexpr size_t kMaxScopes = 1000;

/// Returns invalid_argument naming the field when tenant, id or tool is missing or malformed,
/// user or client (optional) malformed, a scope empty or malformed, the secret empty or larger
/// than kMaxSecretBytes, or too many scopes.
Status validate_credential(const Credential& c, const SecretBytes& secret);

}  // namespace sever::detail

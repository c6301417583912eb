#include "validate.h"

namespace sever::detail {

Status validate_credential(const Credential& c, const SecretBytes& secret) {
  SEVER_RETURN_IF_ERROR(validate_name("tenant", c.tenant));
  SEVER_RETURN_IF_ERROR(validate_name("id", c.id));
  SEVER_RETURN_IF_ERROR(validate_name("tool", c.tool));
  if (!c.user.empty()) SEVER_RETURN_IF_ERROR(validate_name("user", c.user));
  if (!c.client.empty()) SEVER_RETURN_IF_ERROR(validate_name("client", c.client));
  if (c.scopes.size() > kMaxScopes) {
    return Status::InvalidArgument("more than " + std::to_string(kMaxScopes) + " scopes");
  }
  for (size_t i = 0; i < c.scopes.size(); ++i) {
    SEVER_RETURN_IF_ERROR(validate_name("scopes[" + std::to_string(i) + "]", c.scopes[i]));
  }
  if (secret.empty()) return Status::InvalidArgument("secret is empty");
  if (secret.size() > kMaxSecretBytes) {
    return Status::InvalidArgument("secret is larger than " + std::to_string(kMaxSecretBytes) +
                                   " bytes");
  }
  return Status::Ok();
}

}  // namespace sever::detail

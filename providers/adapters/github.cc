// GitHub OAuth / GitHub App user tokens: DELETE /applications/{client_id}/token (one token) or
// /grant (every token of the app for that user), JSON {"access_token": T}, Basic client auth.
// 204 revoked, 404 already gone; limits come as 403 or 429 (see parse_rate_signal). A secondary
// limit without Retry-After means "wait at least a minute" (GitHub's guidance).
#include "adapter_common.h"
#include "builtin_adapters.h"

namespace sever::providers {
namespace {

RevokeSpec github_spec(std::string_view name, std::string_view path) {
  return RevokeSpec{
      .name = name,
      .method = "DELETE",
      .path = path,
      .body = BodyKind::json,
      .token_field = "access_token",
      .client_auth = ClientAuth::basic,
      .accept = "application/vnd.github+json",
      .extra_headers = {{"X-GitHub-Api-Version", "2022-11-28"}},
      .kinds = {Kind::oauth_access},  // PATs and installation tokens use other endpoints
      .gone_statuses = {404},
      .limited_wait_s = 60,
  };
}

}  // namespace

std::unique_ptr<Adapter> make_github_adapter() {
  return std::make_unique<RevokeAdapter>(github_spec("github", "/applications/{client_id}/token"));
}

std::unique_ptr<Adapter> make_github_grant_adapter() {
  return std::make_unique<RevokeAdapter>(
      github_spec("github-grant", "/applications/{client_id}/grant"));
}

}  // namespace sever::providers

// A credential record: metadata in clear beside the sealed secret, and its versioned encoding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sever/store/status.h"

namespace sever {

/// What sort of credential a record holds.
enum class Kind : uint8_t { oauth_access = 1, oauth_refresh, api_key, bot_token, pat };

/// Lifecycle: issued → active → dormant → expired / revoked (see lifecycle.h for the rules).
enum class State : uint8_t { issued = 1, active, dormant, expired, revoked };

/// Returns the contract's name of a kind or state ("oauth_access", "dormant", …).
std::string_view to_string(Kind k);
std::string_view to_string(State s);

/// Parses a kind or state name. Returns invalid_argument listing the accepted names.
Result<Kind> parse_kind(std::string_view s);
Result<State> parse_state(std::string_view s);

/// One stored credential. Tenant and id form the row key; everything but `sealed` is clear text,
/// so inventory never decrypts.
struct Credential {
  std::string tenant;
  std::string id;
  std::string tool;    // lowercase tool name: "github", "gmail", …
  Kind kind = Kind::oauth_access;
  State state = State::issued;
  std::vector<std::string> scopes;
  std::string user;    // the issuing user
  std::string client;  // the OAuth client or installation whose quota applies; may be empty
  int64_t created_at = 0;                 // Unix seconds
  std::optional<int64_t> last_used_at;    // Unix seconds; empty: never used
  std::optional<int64_t> expires_at;      // Unix seconds; empty: does not expire
  int64_t state_changed_at = 0;           // Unix seconds of the last lifecycle transition
  uint32_t dek_version = 0;               // the tenant DEK version that sealed `sealed`
  std::string sealed;  // nonce || ciphertext || tag; empty once the secret was erased

  bool operator==(const Credential&) const = default;
};

/// The current record encoding. Decoding refuses versions it does not know.
inline constexpr uint8_t kRecordFormat = 1;

/// Encodes the record's value (everything except tenant and id, which live in the key).
std::string encode_record(const Credential& c);

/// Decodes a value made by encode_record, setting tenant and id from the caller. Returns
/// corruption naming the row when the bytes are truncated, malformed or of an unknown version.
Status decode_record(std::string_view tenant, std::string_view id, std::string_view value,
                     Credential* out);

/// Reads only the DEK version of a value made by encode_record (it comes before the variable
/// fields), without decoding the rest. Returns false when the value is of an unknown format or
/// too short to hold it.
bool peek_dek_version(std::string_view value, uint32_t* dek_version);

/// Returns the AAD that binds a sealed secret to its format, tenant, id and DEK version.
std::string secret_aad(std::string_view tenant, std::string_view id, uint32_t dek_version);

/// Returns invalid_argument unless `s` is a valid tenant, id, tool or user name: 1 to 256 bytes,
/// no NUL or other control characters. `what` names the field in the message.
Status validate_name(std::string_view what, std::string_view s);

}  // namespace sever

// Built-in knowledge of the tools a platform connects to: the scopes each integration needs, and
// how risky a granted scope is. Used by inventory (--overprivileged), report and revocation order.
//
// The catalog is static data (about 100 tools), built once on first use (thread-safe) and never
// changed; every function here is safe to call from any thread.
//
// Categories: source_code, email, calendar, docs, storage, chat, meetings, project, crm, support,
// payments, commerce, finance, hr, data_warehouse, database, identity, secrets, cloud, devops,
// analytics, marketing, communications, social, ai, design.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sever::catalog {

/// How much a leaked credential with a scope lets an attacker do.
enum class Risk { low = 0, medium = 1, high = 2 };

/// Returns "low", "medium" or "high".
std::string_view to_string(Risk r);

/// What sever knows of one tool.
struct ToolInfo {
  std::string_view name;      // the credential's `tool` value, lowercase: "github", "gmail", …
  std::string_view category;  // "source_code", "email", "chat", "crm", "hr", "data_warehouse", …
  /// The scopes a typical integration with this tool needs; anything granted beyond them is
  /// excess. Empty means the tool has no scope model (API keys): never overprivileged.
  std::vector<std::string_view> required_scopes;
  /// Further scopes the tool offers that integrations are commonly (over-)granted.
  std::vector<std::string_view> optional_scopes;
};

/// Returns every tool in the catalog, in a stable order.
std::span<const ToolInfo> tools();

/// Returns the tool's entry, or nullptr when the catalog does not know it. The match is exact
/// (tool names are lowercase). O(log n), no allocation.
const ToolInfo* find_tool(std::string_view tool);

/// Returns the risk of one granted scope, judged from its name alone (case-insensitive). Fast:
/// scopes the catalog names come from a table built once (~10 ns); others are judged without
/// allocating when up to 256 bytes long. The first rule that matches decides:
///   high   - the whole scope is one of the opaque broad grants "api" (GitLab/Salesforce full
///            API), "global" (Heroku), "default" (Asana), "workflow" (GitHub Actions);
///          - it contains "*", admin, write, delete, manage, full, owner, sudo, impersonat,
///            create, update, publish, mail.google.com, gmail.modify, gmail.send, mail.send;
///          - it has a word (a run of letters and digits) "all", "any", "send" or "edit", or the
///            word "repo" not qualified by ':' or '_' ("repo", "public_repo"; but "repo:status",
///            "repo_deployment" are not high);
///          - it starts with "w_" or "rw_" (LinkedIn write), or ends with "/.default" (Microsoft:
///            everything consented);
///          - it is a Google scope (googleapis.com/auth/...) whose last segment says neither
///            read, metadata nor userinfo: Google's unqualified scopes are read-write
///            (".../auth/drive", ".../auth/cloud-platform").
///   medium - it contains read (readonly, read-only), history, mail (email), contact, user,
///            people, employee, payroll, messag(e|ing) or repositor(y), or has a word "file",
///            "files" or "repo" ("repo:status"), or starts with "r_" (LinkedIn read).
///   low    - anything else: "offline_access", "openid", "profile", "refresh_token", "web", "".
/// A heuristic: opaque names that grant writes without saying so (e.g. Xero's
/// "accounting.transactions") are judged low.
Risk scope_risk(std::string_view scope);

/// Returns the highest risk among the scopes (low for none).
Risk max_risk(std::span<const std::string> scopes);

/// Returns true iff the tool is in the catalog and its category holds especially sensitive data:
/// source_code, email, identity, secrets, cloud, hr, payments, data_warehouse, database. Their
/// credentials are revoked first. False for unknown tools.
bool is_sensitive_category(std::string_view tool);

/// Returns the granted scopes that the catalog's required set for the tool does not include, in
/// their given order, each once (scopes compare exactly, as OAuth scopes are case-sensitive).
/// Empty for unknown tools and tools without a scope model.
std::vector<std::string> excess_scopes(std::string_view tool, std::span<const std::string> scopes);

}  // namespace sever::catalog

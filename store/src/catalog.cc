// The tool catalog: static data about ~100 tools, plus the scope-risk heuristic.
#include "sever/store/catalog.h"

#include <algorithm>
#include <array>
#include <string>
#include <unordered_map>

namespace sever::catalog {
namespace {

// Google's OAuth scopes are URLs under this prefix.
#define GAUTH "https://www.googleapis.com/auth/"

struct Catalog {
  std::vector<ToolInfo> tools;           // catalog order: grouped by category
  std::vector<const ToolInfo*> by_name;  // sorted by name, for find_tool
  /// The judged risk of every scope the catalog names: the common case of scope_risk becomes
  /// one hash lookup. Other scopes (and other spellings) go through the heuristic.
  std::unordered_map<std::string_view, Risk> known_risk;
};

Risk judge(std::string_view scope);

Catalog build_catalog() {
  using V = std::vector<std::string_view>;
  Catalog c;
  c.tools = {
      // ---- source_code
      {"github", "source_code", V{"repo:status", "read:user", "read:org"},
       V{"repo", "admin:org", "delete_repo", "write:org", "workflow", "admin:repo_hook"}},
      {"gitlab", "source_code", V{"read_api", "read_user", "read_repository"},
       V{"api", "write_repository", "sudo", "admin_mode"}},
      {"bitbucket", "source_code", V{"account", "repository", "pullrequest"},
       V{"repository:write", "repository:admin", "repository:delete", "project:admin", "webhook"}},
      {"azure_devops", "source_code", V{"vso.code", "vso.work", "vso.project"},
       V{"vso.code_write", "vso.code_full", "vso.code_manage", "vso.work_write",
         "vso.project_manage"}},

      // ---- email
      {"gmail", "email", V{GAUTH "gmail.readonly"},
       V{"https://mail.google.com/", GAUTH "gmail.modify", GAUTH "gmail.send"}},
      {"outlook", "email", V{"Mail.Read", "User.Read", "offline_access"},
       V{"Mail.ReadWrite", "Mail.Send", "MailboxSettings.ReadWrite", "Mail.Read.Shared"}},

      // ---- calendar
      {"google_calendar", "calendar", V{GAUTH "calendar.readonly"},
       V{GAUTH "calendar", GAUTH "calendar.events"}},
      {"calendly", "calendar", V{}, V{}},

      // ---- docs
      {"google_docs", "docs", V{GAUTH "documents.readonly"},
       V{GAUTH "documents", GAUTH "drive"}},
      {"google_sheets", "docs", V{GAUTH "spreadsheets.readonly"},
       V{GAUTH "spreadsheets", GAUTH "drive"}},
      {"notion", "docs", V{}, V{}},
      {"confluence", "docs",
       V{"read:confluence-content.summary", "read:confluence-space.summary", "search:confluence",
         "offline_access"},
       V{"read:confluence-content.all", "write:confluence-content", "write:confluence-space",
         "manage:confluence-configuration"}},
      {"docusign", "docs", V{"signature", "extended"}, V{"impersonation", "organization_read"}},
      {"airtable", "docs", V{"data.records:read", "schema.bases:read"},
       V{"data.records:write", "schema.bases:write", "webhook:manage",
         "data.recordComments:write"}},

      // ---- storage
      {"google_drive", "storage", V{GAUTH "drive.readonly"},
       V{GAUTH "drive", GAUTH "drive.file"}},
      {"onedrive", "storage", V{"Files.Read", "User.Read", "offline_access"},
       V{"Files.ReadWrite", "Files.ReadWrite.All", "Files.Read.All"}},
      {"sharepoint", "storage", V{"Sites.Read.All", "User.Read", "offline_access"},
       V{"Sites.ReadWrite.All", "Sites.FullControl.All", "Sites.Manage.All"}},
      {"dropbox", "storage", V{"account_info.read", "files.metadata.read", "files.content.read"},
       V{"files.content.write", "files.permanent_delete", "sharing.write", "team_data.member"}},
      {"box", "storage", V{"root_readonly"},
       V{"root_readwrite", "manage_managed_users", "manage_enterprise_properties",
         "manage_groups"}},

      // ---- chat
      {"slack", "chat", V{"channels:read", "chat:write", "users:read", "team:read"},
       V{"admin", "channels:history", "groups:history", "im:history", "users:read.email",
         "files:read", "files:write"}},
      {"microsoft_teams", "chat",
       V{"Team.ReadBasic.All", "Channel.ReadBasic.All", "ChannelMessage.Read.All", "User.Read",
         "offline_access"},
       V{"ChannelMessage.Send", "Chat.ReadWrite", "TeamMember.ReadWrite.All",
         "Group.ReadWrite.All"}},
      {"discord", "chat", V{"identify", "guilds", "bot"},
       V{"guilds.join", "messages.read", "applications.commands", "guilds.members.read",
         "email"}},
      {"telegram", "chat", V{}, V{}},

      // ---- meetings
      {"zoom", "meetings", V{"meeting:read", "recording:read", "user:read"},
       V{"meeting:write", "recording:write", "user:write", "webinar:write"}},
      {"webex", "meetings", V{"spark:people_read", "spark:rooms_read", "meeting:schedules_read"},
       V{"spark:messages_write", "spark:all", "meeting:schedules_write",
         "spark-admin:people_write"}},
      {"gong", "meetings", V{"api:calls:read:basic", "api:users:read"},
       V{"api:calls:read:extensive", "api:calls:read:media-url", "api:calls:create",
         "api:library:read"}},

      // ---- project
      {"jira", "project", V{"read:jira-work", "read:jira-user", "offline_access"},
       V{"write:jira-work", "manage:jira-project", "manage:jira-configuration",
         "manage:jira-webhook"}},
      {"asana", "project", V{"tasks:read", "projects:read", "users:read", "workspaces:read"},
       V{"tasks:write", "projects:write", "default"}},
      {"linear", "project", V{"read"}, V{"write", "issues:create", "comments:create", "admin"}},
      {"trello", "project", V{"read"}, V{"write", "account"}},
      {"monday", "project", V{"boards:read", "users:read", "workspaces:read"},
       V{"boards:write", "workspaces:write", "users:write", "account:read"}},
      {"clickup", "project", V{}, V{}},
      {"smartsheet", "project", V{"READ_SHEETS", "READ_USERS"},
       V{"WRITE_SHEETS", "DELETE_SHEETS", "ADMIN_SHEETS", "ADMIN_USERS", "SHARE_SHEETS"}},

      // ---- crm
      {"hubspot", "crm",
       V{"oauth", "crm.objects.contacts.read", "crm.objects.companies.read",
         "crm.objects.deals.read"},
       V{"crm.objects.contacts.write", "crm.objects.deals.write", "crm.schemas.contacts.write",
         "settings.users.write", "automation"}},
      {"salesforce", "crm", V{"api", "refresh_token"}, V{"full", "web", "chatter_api"}},
      {"pipedrive", "crm", V{"base", "deals:read", "contacts:read", "users:read"},
       V{"deals:full", "contacts:full", "activities:full", "admin"}},
      {"dynamics_365", "crm",
       V{"https://org.crm.dynamics.com/user_impersonation", "offline_access"},
       V{"https://graph.microsoft.com/.default"}},
      {"zoho_crm", "crm", V{"ZohoCRM.modules.READ", "ZohoCRM.users.READ"},
       V{"ZohoCRM.modules.ALL", "ZohoCRM.settings.ALL", "ZohoCRM.org.ALL"}},

      // ---- support
      {"zendesk", "support", V{"tickets:read", "users:read"},
       V{"tickets:write", "users:write", "write", "impersonate"}},
      {"intercom", "support", V{}, V{}},
      {"freshdesk", "support", V{}, V{}},
      {"front", "support", V{}, V{}},
      {"servicenow", "support", V{"useraccount"}, V{}},

      // ---- payments
      {"stripe", "payments", V{}, V{}},
      {"paypal", "payments", V{}, V{}},
      {"square", "payments",
       V{"MERCHANT_PROFILE_READ", "PAYMENTS_READ", "ORDERS_READ", "CUSTOMERS_READ"},
       V{"PAYMENTS_WRITE", "ORDERS_WRITE", "CUSTOMERS_WRITE", "BANK_ACCOUNTS_READ",
         "EMPLOYEES_READ"}},

      // ---- commerce
      {"shopify", "commerce", V{"read_products", "read_orders", "read_customers"},
       V{"write_products", "write_orders", "write_customers", "read_all_orders"}},

      // ---- finance
      {"quickbooks", "finance", V{"com.intuit.quickbooks.accounting", "openid"},
       V{"com.intuit.quickbooks.payment"}},
      {"xero", "finance",
       V{"offline_access", "accounting.transactions.read", "accounting.contacts.read",
         "accounting.reports.read"},
       V{"accounting.transactions", "accounting.contacts", "accounting.settings",
         "payroll.employees"}},
      {"netsuite", "finance", V{"rest_webservices"}, V{"restlets", "suite_analytics"}},
      {"plaid", "finance", V{}, V{}},
      {"brex", "finance",
       V{"openid", "offline_access", "transactions.card.readonly", "accounts.card.readonly"},
       V{"users.readonly", "expenses.card", "payments", "transfers"}},
      {"ramp", "finance", V{"transactions:read", "users:read", "cards:read"},
       V{"cards:write", "users:write", "bills:write", "reimbursements:read"}},

      // ---- hr
      {"workday", "hr", V{"Staffing", "Human Resources"},
       V{"Payroll", "Tenant Non-Configurable", "System"}},
      {"bamboohr", "hr", V{}, V{}},
      {"gusto", "hr", V{"companies:read", "employees:read", "payrolls:read"},
       V{"employees:write", "payrolls:write", "company_bank_accounts:write"}},
      {"rippling", "hr", V{"employee:read", "company:read"},
       V{"employee:write", "company:write", "payroll:read"}},
      {"deel", "hr", V{"contracts:read", "people:read"},
       V{"contracts:write", "people:write", "accounting:read"}},
      {"greenhouse", "hr", V{}, V{}},

      // ---- data_warehouse
      {"snowflake", "data_warehouse", V{"session:role:ANALYST", "refresh_token"},
       V{"session:role:ACCOUNTADMIN", "session:role:SYSADMIN", "session:role-any"}},
      {"bigquery", "data_warehouse", V{GAUTH "bigquery.readonly"},
       V{GAUTH "bigquery", GAUTH "cloud-platform", GAUTH "devstorage.full_control"}},
      {"databricks", "data_warehouse", V{"sql", "offline_access"}, V{"all-apis"}},
      {"redshift", "data_warehouse", V{}, V{}},

      // ---- database
      {"postgres", "database", V{}, V{}},
      {"mysql", "database", V{}, V{}},
      {"mongodb_atlas", "database", V{}, V{}},

      // ---- identity
      {"okta", "identity", V{"okta.users.read", "okta.groups.read", "okta.apps.read"},
       V{"okta.users.manage", "okta.groups.manage", "okta.apps.manage", "okta.roles.manage"}},
      {"auth0", "identity", V{"read:users", "read:clients", "read:logs"},
       V{"update:users", "delete:users", "create:clients", "update:clients"}},
      {"entra_id", "identity", V{"User.Read.All", "Group.Read.All", "AuditLog.Read.All"},
       V{"User.ReadWrite.All", "Directory.ReadWrite.All", "RoleManagement.ReadWrite.Directory",
         "Application.ReadWrite.All"}},
      {"google_workspace", "identity",
       V{GAUTH "admin.directory.user.readonly", GAUTH "admin.directory.group.readonly"},
       V{GAUTH "admin.directory.user", GAUTH "admin.directory.group",
         GAUTH "admin.directory.domain"}},

      // ---- secrets
      {"hashicorp_vault", "secrets", V{}, V{}},
      {"onepassword", "secrets", V{}, V{}},

      // ---- cloud
      {"aws", "cloud", V{}, V{}},
      {"gcp", "cloud", V{GAUTH "cloud-platform.read-only"},
       V{GAUTH "cloud-platform", GAUTH "compute", GAUTH "devstorage.full_control"}},
      {"azure", "cloud", V{"https://management.azure.com/user_impersonation"},
       V{"https://graph.microsoft.com/.default"}},
      {"digitalocean", "cloud", V{"read"}, V{"write"}},
      {"cloudflare", "cloud", V{}, V{}},
      {"heroku", "cloud", V{"read"}, V{"write", "global", "read-protected", "write-protected"}},
      {"vercel", "cloud", V{}, V{}},
      {"netlify", "cloud", V{}, V{}},
      {"render", "cloud", V{}, V{}},

      // ---- devops
      {"datadog", "devops", V{"dashboards_read", "monitors_read", "metrics_read", "events_read"},
       V{"dashboards_write", "monitors_write", "user_access_manage", "api_keys_write"}},
      {"sentry", "devops", V{"org:read", "project:read", "event:read"},
       V{"project:write", "org:admin", "member:admin", "event:admin", "project:releases"}},
      {"pagerduty", "devops", V{"incidents.read", "services.read", "users.read"},
       V{"incidents.write", "services.write", "users.write"}},
      {"circleci", "devops", V{}, V{}},
      {"terraform_cloud", "devops", V{}, V{}},
      {"docker_hub", "devops", V{}, V{}},
      {"launchdarkly", "devops", V{}, V{}},

      // ---- analytics
      {"metabase", "analytics", V{}, V{}},
      {"looker", "analytics", V{}, V{}},
      {"tableau", "analytics", V{}, V{}},
      {"mixpanel", "analytics", V{}, V{}},
      {"amplitude", "analytics", V{}, V{}},
      {"segment", "analytics", V{}, V{}},
      {"google_analytics", "analytics", V{GAUTH "analytics.readonly"},
       V{GAUTH "analytics", GAUTH "analytics.edit", GAUTH "analytics.manage.users"}},

      // ---- marketing
      {"mailchimp", "marketing", V{}, V{}},
      {"sendgrid", "marketing", V{}, V{}},
      {"klaviyo", "marketing", V{"profiles:read", "lists:read", "campaigns:read"},
       V{"profiles:write", "lists:write", "campaigns:write", "accounts:read"}},
      {"google_ads", "marketing", V{GAUTH "adwords"}, V{}},

      // ---- communications
      {"twilio", "communications", V{}, V{}},

      // ---- social
      {"x", "social", V{"tweet.read", "users.read", "offline.access"},
       V{"tweet.write", "dm.read", "dm.write", "follows.write", "like.write"}},
      {"linkedin", "social", V{"openid", "profile", "email", "r_organization_social"},
       V{"w_member_social", "w_organization_social", "rw_organization_admin"}},
      {"facebook", "social", V{"public_profile", "pages_show_list", "pages_read_engagement"},
       V{"pages_manage_posts", "pages_manage_metadata", "ads_management", "business_management",
         "pages_messaging"}},
      {"instagram", "social", V{"instagram_basic", "pages_show_list"},
       V{"instagram_content_publish", "instagram_manage_comments",
         "instagram_manage_messages"}},
      {"youtube", "social", V{GAUTH "youtube.readonly"},
       V{GAUTH "youtube", GAUTH "youtube.force-ssl", GAUTH "youtube.upload"}},

      // ---- ai
      {"openai", "ai", V{}, V{}},
      {"anthropic", "ai", V{}, V{}},
      {"huggingface", "ai", V{}, V{}},

      // ---- design
      {"figma", "design", V{"file_content:read", "file_metadata:read", "file_comments:read"},
       V{"file_comments:write", "file_variables:write", "webhooks:write",
         "file_dev_resources:write"}},
      {"miro", "design", V{"boards:read", "identity:read", "team:read"},
       V{"boards:write", "team:write", "organizations:teams:write", "identity:write"}},
      {"canva", "design", V{"design:meta:read", "design:content:read", "asset:read"},
       V{"design:content:write", "asset:write", "folder:write"}},
  };
  c.by_name.reserve(c.tools.size());
  for (const ToolInfo& t : c.tools) c.by_name.push_back(&t);
  std::sort(c.by_name.begin(), c.by_name.end(),
            [](const ToolInfo* a, const ToolInfo* b) { return a->name < b->name; });
  for (const ToolInfo& t : c.tools) {
    for (std::string_view s : t.required_scopes) c.known_risk.emplace(s, judge(s));
    for (std::string_view s : t.optional_scopes) c.known_risk.emplace(s, judge(s));
  }
  return c;
}

#undef GAUTH

const Catalog& catalog() {
  static const Catalog c = build_catalog();  // thread-safe one-time initialisation
  return c;
}

// ---------------------------------------------------------------------------------------------
// Scope risk. Every helper works on an already lowercased view.

char ascii_lower(char ch) { return (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch; }

bool is_alnum(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z');
}

bool contains(std::string_view s, std::string_view needle) {
  return s.find(needle) != std::string_view::npos;
}

/// True iff `word` occurs in s bounded by non-alphanumerics (or the ends), and the character
/// after it is not one of `not_followed_by`.
bool has_word(std::string_view s, std::string_view word, std::string_view not_followed_by = {}) {
  for (size_t pos = s.find(word); pos != std::string_view::npos; pos = s.find(word, pos + 1)) {
    const size_t end = pos + word.size();
    if (pos > 0 && is_alnum(s[pos - 1])) continue;
    if (end < s.size() && (is_alnum(s[end]) || contains(not_followed_by, s.substr(end, 1))))
      continue;
    return true;
  }
  return false;
}

constexpr std::string_view kHighExact[] = {"api", "global", "default", "workflow"};
constexpr std::string_view kHighSubstrings[] = {
    "*",      "admin",      "write",  "delete", "manage",          "full",
    "owner",  "sudo",       "impersonat",       "create",          "update",
    "publish", "mail.google.com", "gmail.modify", "gmail.send", "mail.send"};
constexpr std::string_view kHighWords[] = {"all", "any", "send", "edit"};
constexpr std::string_view kMediumSubstrings[] = {
    "read",   "history",  "mail",    "contact", "user",     "people",
    "employee", "payroll", "messag", "repositor"};
// Words, not substrings: "profile" is not about files.
constexpr std::string_view kMediumWords[] = {"file", "files", "repo"};
constexpr std::string_view kGooglePrefix = "googleapis.com/auth/";

/// A Google scope URL whose last segment does not restrict it to reading grants read-write.
bool is_read_write_google_scope(std::string_view s) {
  const size_t at = s.find(kGooglePrefix);
  if (at == std::string_view::npos) return false;
  std::string_view last = s.substr(at + kGooglePrefix.size());
  if (const size_t slash = last.rfind('/'); slash != std::string_view::npos)
    last = last.substr(slash + 1);
  if (last.empty()) return false;
  return !contains(last, "read") && !contains(last, "metadata") && !contains(last, "userinfo");
}

Risk judge_lowercase(std::string_view s) {
  for (std::string_view e : kHighExact)
    if (s == e) return Risk::high;
  for (std::string_view n : kHighSubstrings)
    if (contains(s, n)) return Risk::high;
  for (std::string_view w : kHighWords)
    if (has_word(s, w)) return Risk::high;
  if (has_word(s, "repo", ":_")) return Risk::high;
  if (s.starts_with("w_") || s.starts_with("rw_") || s.ends_with("/.default")) return Risk::high;
  if (is_read_write_google_scope(s)) return Risk::high;
  for (std::string_view n : kMediumSubstrings)
    if (contains(s, n)) return Risk::medium;
  for (std::string_view w : kMediumWords)
    if (has_word(s, w)) return Risk::medium;
  if (s.starts_with("r_")) return Risk::medium;
  return Risk::low;
}

/// Lowercases the scope (on the stack when it fits) and applies the rules.
Risk judge(std::string_view scope) {
  constexpr size_t kStack = 256;
  if (scope.size() <= kStack) {
    std::array<char, kStack> buf;
    for (size_t i = 0; i < scope.size(); ++i) buf[i] = ascii_lower(scope[i]);
    return judge_lowercase(std::string_view(buf.data(), scope.size()));
  }
  std::string lower(scope);
  for (char& ch : lower) ch = ascii_lower(ch);
  return judge_lowercase(lower);
}

}  // namespace

std::string_view to_string(Risk r) {
  switch (r) {
    case Risk::low: return "low";
    case Risk::medium: return "medium";
    case Risk::high: return "high";
  }
  return "low";
}

std::span<const ToolInfo> tools() { return catalog().tools; }

const ToolInfo* find_tool(std::string_view tool) {
  const auto& idx = catalog().by_name;
  auto it = std::lower_bound(idx.begin(), idx.end(), tool,
                             [](const ToolInfo* t, std::string_view n) { return t->name < n; });
  return (it != idx.end() && (*it)->name == tool) ? *it : nullptr;
}

Risk scope_risk(std::string_view scope) {
  const auto& known = catalog().known_risk;
  if (auto it = known.find(scope); it != known.end()) return it->second;
  return judge(scope);
}

Risk max_risk(std::span<const std::string> scopes) {
  Risk best = Risk::low;
  for (const std::string& s : scopes) {
    best = std::max(best, scope_risk(s));
    if (best == Risk::high) break;
  }
  return best;
}

bool is_sensitive_category(std::string_view tool) {
  static constexpr std::string_view kSensitive[] = {
      "source_code", "email", "identity", "secrets",       "cloud",
      "hr",          "payments", "data_warehouse", "database"};
  const ToolInfo* t = find_tool(tool);
  if (t == nullptr) return false;
  return std::find(std::begin(kSensitive), std::end(kSensitive), t->category) !=
         std::end(kSensitive);
}

std::vector<std::string> excess_scopes(std::string_view tool,
                                       std::span<const std::string> scopes) {
  std::vector<std::string> out;
  const ToolInfo* t = find_tool(tool);
  if (t == nullptr || t->required_scopes.empty()) return out;
  for (const std::string& s : scopes) {
    const auto& req = t->required_scopes;
    if (std::find(req.begin(), req.end(), std::string_view(s)) != req.end()) continue;
    if (std::find(out.begin(), out.end(), s) != out.end()) continue;
    out.push_back(s);
  }
  return out;
}

}  // namespace sever::catalog

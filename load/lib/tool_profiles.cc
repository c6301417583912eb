// The tool mix of a typical integration platform: GitHub, Google and Slack dominate, Microsoft,
// Atlassian and the CRMs follow, then a long tail; a few tools (workday, gong, metabase, sentry,
// vercel, render) have only a handful of credentials. Secret formats follow each provider's real
// prefixes and lengths (trimmed where real tokens run to kilobytes, e.g. Microsoft JWTs).
#include "tool_profiles.h"

namespace sever::load {
namespace {

using K = Kind;

// Shared formats.
constexpr std::string_view kGoogleAccess = "ya29.a0{u100}";
constexpr std::string_view kGoogleRefresh = "1//0{u99}";
constexpr std::string_view kMsAccess = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJ{u60}.{u43}";
constexpr std::string_view kMsRefresh = "0.A{u100}";
constexpr std::string_view kJwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJ{u60}.{u43}";
constexpr std::string_view kHs256Jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ{u60}.{u43}";
constexpr std::string_view kPassword = "{b32}";

const std::vector<KindSpec> kGoogle = {{K::oauth_access, 40, kGoogleAccess},
                                       {K::oauth_refresh, 60, kGoogleRefresh}};
const std::vector<KindSpec> kMicrosoft = {{K::oauth_access, 40, kMsAccess},
                                          {K::oauth_refresh, 60, kMsRefresh}};
const std::vector<KindSpec> kAtlassian = {{K::oauth_access, 45, kJwt},
                                          {K::oauth_refresh, 35, kJwt},
                                          {K::api_key, 20, "ATATT3xFfGF0{u100}"}};

const std::vector<ToolProfile>& profiles() {
  static const std::vector<ToolProfile> p = {
      // ---- the heavy hitters
      {"github", 18000,
       {{K::oauth_access, 50, "gho_{b36}"},
        {K::pat, 25, "ghp_{b36}"},
        {K::pat, 10, "github_pat_{b22}_{b59}"},
        {K::oauth_refresh, 15, "ghr_{b76}"}}},
      {"gmail", 13000, kGoogle},
      {"slack", 12000,
       {{K::bot_token, 65, "xoxb-{d13}-{d13}-{b24}"},
        {K::oauth_access, 25, "xoxp-{d13}-{d13}-{d13}-{h32}"},
        {K::oauth_refresh, 10, "xoxe-1-{u100}"}}},
      {"google_drive", 5500, kGoogle},
      {"google_calendar", 3500, kGoogle},
      {"jira", 3000, kAtlassian},
      {"outlook", 2500, kMicrosoft},
      {"hubspot", 2400,
       {{K::pat, 35, "pat-na1-{g}"},
        {K::oauth_access, 40, "C{u130}"},
        {K::oauth_refresh, 25, "na1-{h4}-{h4}-{h4}-{h4}-{h12}"}}},
      {"microsoft_teams", 2200, kMicrosoft},
      {"salesforce", 2200,
       {{K::oauth_access, 45, "00D{b12}!AQ{u94}"}, {K::oauth_refresh, 55, "5Aep861{u80}"}}},
      {"notion", 2000,
       {{K::oauth_access, 50, "ntn_{d11}{b35}"},
        {K::api_key, 30, "ntn_{d11}{b35}"},
        {K::api_key, 20, "secret_{b43}"}}},
      {"google_sheets", 1800, kGoogle},
      {"confluence", 1800, kAtlassian},

      // ---- common
      {"gitlab", 1300,
       {{K::pat, 50, "glpat-{u20}"},
        {K::oauth_access, 35, "{h64}"},
        {K::oauth_refresh, 15, "{h64}"}}},
      {"google_docs", 1200, kGoogle},
      {"asana", 1200,
       {{K::pat, 40, "2/{d16}/{d16}:{h32}"},
        {K::oauth_access, 35, kJwt},
        {K::oauth_refresh, 25, "2/{d16}/{d16}:{h32}"}}},
      {"zendesk", 1200, {{K::oauth_access, 60, "{h64}"}, {K::api_key, 40, "{b40}"}}},
      {"zoom", 1200,
       {{K::oauth_access, 50, kHs256Jwt}, {K::oauth_refresh, 40, kHs256Jwt},
        {K::api_key, 10, "{b22}"}}},
      {"onedrive", 1000, kMicrosoft},
      {"linear", 900,
       {{K::oauth_access, 60, "lin_oauth_{h64}"}, {K::api_key, 40, "lin_api_{b40}"}}},
      {"sharepoint", 900, kMicrosoft},
      {"dropbox", 900,
       {{K::oauth_access, 40, "sl.u.{u120}"}, {K::oauth_refresh, 60, "{b11}AAAAAAAAAA{b43}"}}},
      {"stripe", 900, {{K::api_key, 70, "sk_live_51{b97}"}, {K::api_key, 30, "rk_live_51{b97}"}}},
      {"intercom", 800, {{K::oauth_access, 70, "dG9rOj{u52}="}, {K::api_key, 30, "dG9rOj{u52}="}}},
      {"openai", 800,
       {{K::api_key, 70, "sk-proj-{u74}T3BlbkFJ{u74}"}, {K::api_key, 30, "sk-{b20}T3BlbkFJ{b20}"}}},
      {"shopify", 700, {{K::pat, 50, "shpat_{h32}"}, {K::oauth_access, 50, "shpua_{h32}"}}},
      {"bitbucket", 600,
       {{K::oauth_access, 50, "{u86}"}, {K::pat, 30, "ATBB{b28}{H8}"},
        {K::oauth_refresh, 20, "{b32}"}}},
      {"trello", 600, {{K::oauth_access, 60, "ATTA{h64}{H8}"}, {K::api_key, 40, "{h32}"}}},
      {"figma", 600, {{K::pat, 60, "figd_{u40}"}, {K::oauth_access, 40, "figu_{u40}"}}},
      {"airtable", 600, {{K::pat, 60, "pat{b14}.{h64}"}, {K::oauth_access, 40, "{b17}.v1.{u100}"}}},
      {"monday", 500, {{K::api_key, 60, kHs256Jwt}, {K::oauth_access, 40, kJwt}}},
      {"box", 500, {{K::oauth_access, 50, "{b32}"}, {K::oauth_refresh, 50, "{b64}"}}},
      {"discord", 500, {{K::bot_token, 70, "MT{u24}.{u6}.{u38}"}, {K::oauth_access, 30, "{b30}"}}},
      {"google_workspace", 500, kGoogle},
      {"aws", 500, {{K::api_key, 100, "AKIA{B16}:{s40}"}}},
      {"quickbooks", 450, {{K::oauth_access, 40, kJwt}, {K::oauth_refresh, 60, "AB11{d9}{b40}"}}},
      {"google_analytics", 400, kGoogle},
      {"bigquery", 400, kGoogle},
      {"entra_id", 400,
       {{K::oauth_access, 40, kMsAccess}, {K::oauth_refresh, 40, kMsRefresh},
        {K::api_key, 20, "{u3}8Q~{u34}"}}},
      {"clickup", 400, {{K::pat, 60, "pk_{d8}_{B32}"}, {K::oauth_access, 40, "{d8}_{h40}"}}},
      {"pipedrive", 400, {{K::oauth_access, 50, "{d7}:{d8}:{h40}"}, {K::api_key, 50, "{h40}"}}},
      {"gcp", 350,
       {{K::oauth_access, 40, kGoogleAccess}, {K::oauth_refresh, 45, kGoogleRefresh},
        {K::api_key, 15, "AIza{u35}"}}},
      {"okta", 350, {{K::api_key, 60, "00{u40}"}, {K::oauth_access, 40, kJwt}}},
      {"calendly", 350, {{K::pat, 60, kJwt}, {K::oauth_access, 40, kJwt}}},
      {"mailchimp", 350, {{K::api_key, 70, "{h32}-us{d2}"}, {K::oauth_access, 30, "{h32}"}}},
      {"linkedin", 350, {{K::oauth_access, 70, "AQV{u120}"}, {K::oauth_refresh, 30, "AQW{u120}"}}},
      {"google_ads", 300, kGoogle},
      {"azure", 300,
       {{K::oauth_access, 50, kMsAccess}, {K::oauth_refresh, 30, kMsRefresh},
        {K::api_key, 20, "{u3}8Q~{u34}"}}},
      {"azure_devops", 300, {{K::pat, 70, "{l52}"}, {K::oauth_access, 30, kMsAccess}}},
      {"xero", 300, {{K::oauth_access, 40, kJwt}, {K::oauth_refresh, 60, "{h64}"}}},
      {"freshdesk", 300, {{K::api_key, 100, "{b20}"}}},
      {"miro", 300, {{K::oauth_access, 100, "eyJtaXJvLm9yaWdpbiI6ImV1MDEifQ_{u27}"}}},
      {"docusign", 300, {{K::oauth_access, 60, kJwt}, {K::oauth_refresh, 40, kJwt}}},
      {"anthropic", 300, {{K::api_key, 100, "sk-ant-api03-{u93}-{u6}AA"}}},
      {"snowflake", 250,
       {{K::oauth_access, 40, "ver:1-hint:{d10}-ETMsDgAAA{u90}"},
        {K::oauth_refresh, 40, "ver:2-hint:{d10}-did:{d4}-ETMsDgAAA{u90}"},
        {K::api_key, 20, kPassword}}},
      {"auth0", 250, {{K::oauth_access, 100, kJwt}}},
      {"datadog", 250, {{K::api_key, 70, "{h32}"}, {K::oauth_access, 30, "{u40}"}}},
      {"sendgrid", 250, {{K::api_key, 100, "SG.{u22}.{u43}"}}},
      {"twilio", 250, {{K::api_key, 100, "SK{h32}:{b32}"}}},
      {"facebook", 250, {{K::oauth_access, 100, "EAAG{b120}"}}},
      {"front", 200, {{K::api_key, 100, kHs256Jwt}}},
      {"bamboohr", 200, {{K::api_key, 100, "{h40}"}}},
      {"paypal", 200, {{K::oauth_access, 100, "A21AA{u92}"}}},
      {"pagerduty", 200, {{K::api_key, 50, "u+{u18}"}, {K::oauth_access, 50, "pdus+_0XBP{u36}"}}},
      {"postgres", 200, {{K::api_key, 100, kPassword}}},
      {"x", 200, {{K::oauth_access, 60, "{u91}"}, {K::oauth_refresh, 40, "{u91}"}}},
      {"youtube", 150, kGoogle},
      {"dynamics_365", 150, kMicrosoft},
      {"smartsheet", 150, {{K::oauth_access, 50, "{l37}"}, {K::pat, 50, "{b37}"}}},
      {"zoho_crm", 150,
       {{K::oauth_access, 50, "1000.{h32}.{h32}"}, {K::oauth_refresh, 50, "1000.{h32}.{h32}"}}},
      {"servicenow", 150, {{K::oauth_access, 50, "{u86}"}, {K::oauth_refresh, 50, "{u86}"}}},
      {"telegram", 150, {{K::bot_token, 100, "{d10}:AA{u33}"}}},
      {"square", 150, {{K::oauth_access, 60, "EAAA{u60}"}, {K::oauth_refresh, 40, "EQAA{u60}"}}},
      {"gusto", 150, {{K::oauth_access, 50, "{u43}"}, {K::oauth_refresh, 50, "{u43}"}}},
      {"databricks", 150, {{K::pat, 60, "dapi{h32}"}, {K::oauth_access, 40, kJwt}}},
      {"klaviyo", 150, {{K::api_key, 50, "pk_{h34}"}, {K::oauth_access, 50, kJwt}}},
      {"instagram", 150, {{K::oauth_access, 100, "IGQV{u120}"}}},
      {"canva", 150, {{K::oauth_access, 60, kJwt}, {K::oauth_refresh, 40, kJwt}}},

      // ---- the long tail
      {"rippling", 120, {{K::api_key, 60, "{b64}"}, {K::oauth_access, 40, "{b30}"}}},
      {"greenhouse", 120, {{K::api_key, 100, "{h32}"}}},
      {"mysql", 120, {{K::api_key, 100, kPassword}}},
      {"cloudflare", 120, {{K::api_key, 100, "{u40}"}}},
      {"tableau", 120, {{K::pat, 100, "{u22}==:{b32}"}}},
      {"segment", 120, {{K::api_key, 100, "{b32}"}}},
      {"webex", 100,
       {{K::oauth_access, 60, "{b64}_PF84_{g}"}, {K::oauth_refresh, 40, "{b64}_PF84_{g}"}}},
      {"netsuite", 100, {{K::oauth_access, 50, kJwt}, {K::api_key, 50, "{h64}"}}},
      {"plaid", 100, {{K::api_key, 100, "access-production-{g}"}}},
      {"redshift", 100, {{K::api_key, 100, kPassword}}},
      {"mongodb_atlas", 100, {{K::api_key, 100, "{g}"}}},
      {"heroku", 100,
       {{K::oauth_access, 50, "HRKU-AA{u58}"}, {K::oauth_refresh, 20, "{g}"},
        {K::api_key, 30, "HRKU-AA{u58}"}}},
      {"circleci", 100, {{K::pat, 100, "CCIPAT_{b22}_{h40}"}}},
      {"looker", 100, {{K::api_key, 100, "{b20}:{b24}"}}},
      {"mixpanel", 100, {{K::api_key, 100, "{h32}"}}},
      {"amplitude", 100, {{K::api_key, 100, "{h32}"}}},
      {"huggingface", 100, {{K::pat, 100, "hf_{b34}"}}},
      {"brex", 80, {{K::oauth_access, 50, "bxt_{b40}"}, {K::oauth_refresh, 50, "{u60}"}}},
      {"ramp", 80,
       {{K::oauth_access, 60, "ramp_tok_{b40}"}, {K::oauth_refresh, 40, "ramp_tok_{b40}"}}},
      {"deel", 80, {{K::api_key, 70, "{b64}"}, {K::oauth_access, 30, "{b40}"}}},
      {"docker_hub", 80, {{K::pat, 100, "dckr_pat_{u27}"}}},
      {"digitalocean", 60, {{K::pat, 70, "dop_v1_{h64}"}, {K::oauth_access, 30, "doo_v1_{h64}"}}},
      {"terraform_cloud", 60, {{K::pat, 100, "{b14}.atlasv1.{b67}"}}},
      {"hashicorp_vault", 60, {{K::api_key, 100, "hvs.CAESI{u86}"}}},
      {"onepassword", 60, {{K::api_key, 100, "ops_eyJ{u150}"}}},
      {"launchdarkly", 50, {{K::api_key, 100, "api-{g}"}}},
      {"netlify", 40, {{K::pat, 100, "nfp_{b36}"}}},

      // ---- a handful each
      {"gong", 1, {{K::api_key, 60, "{B32}:{u100}"}, {K::oauth_access, 40, kHs256Jwt}}},
      {"sentry", 1, {{K::pat, 50, "sntryu_{h64}"}, {K::api_key, 50, "sntrys_eyJ{u100}"}}},
      {"workday", 1, {{K::oauth_refresh, 60, "{l88}"}, {K::oauth_access, 40, "{b32}"}}},
      {"vercel", 1, {{K::pat, 100, "{b24}"}}},
      {"metabase", 1, {{K::api_key, 100, "mb_{u43}"}}},
      {"render", 1, {{K::api_key, 100, "rnd_{b32}"}}},
  };
  return p;
}

}  // namespace

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::oauth_access: return "oauth_access";
    case Kind::oauth_refresh: return "oauth_refresh";
    case Kind::api_key: return "api_key";
    case Kind::bot_token: return "bot_token";
    case Kind::pat: return "pat";
  }
  return "api_key";
}

std::span<const ToolProfile> tool_profiles() { return profiles(); }

const ToolProfile& default_profile() {
  static const ToolProfile p = {"", 20, {{Kind::api_key, 100, "{b40}"}}};
  return p;
}

}  // namespace sever::load

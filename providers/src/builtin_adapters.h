// Factories of the built-in adapters, one per file in adapters/. The registry calls each of them
// explicitly (no static initializers: a static library would drop them at link time).
#pragma once

#include <memory>

#include "sever/providers/adapter.h"

namespace sever::providers {

std::unique_ptr<Adapter> make_rfc7009_adapter();
std::unique_ptr<Adapter> make_google_adapter();
std::unique_ptr<Adapter> make_github_adapter();
std::unique_ptr<Adapter> make_github_grant_adapter();
std::unique_ptr<Adapter> make_slack_adapter();
std::unique_ptr<Adapter> make_salesforce_adapter();
std::unique_ptr<Adapter> make_hubspot_adapter();
std::unique_ptr<Adapter> make_dropbox_adapter();
std::unique_ptr<Adapter> make_zoom_adapter();
std::unique_ptr<Adapter> make_okta_adapter();
std::unique_ptr<Adapter> make_auth0_adapter();
std::unique_ptr<Adapter> make_discord_adapter();
std::unique_ptr<Adapter> make_x_adapter();
std::unique_ptr<Adapter> make_sentry_adapter();
std::unique_ptr<Adapter> make_vercel_adapter();
std::unique_ptr<Adapter> make_linear_adapter();
std::unique_ptr<Adapter> make_asana_adapter();
std::unique_ptr<Adapter> make_notion_adapter();
std::unique_ptr<Adapter> make_box_adapter();
std::unique_ptr<Adapter> make_manual_adapter();

}  // namespace sever::providers

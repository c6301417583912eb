// Word lists for generated tenants and users. All entries are lowercase ASCII letters.
#pragma once

#include <span>
#include <string_view>

namespace sever::load {

/// Company-like words for tenant names ("t00042-<word>") and domains.
std::span<const std::string_view> tenant_words();

/// First names of users.
std::span<const std::string_view> first_names();

/// Last names of users.
std::span<const std::string_view> last_names();

/// Local parts of shared service mailboxes that own bot tokens and API keys.
std::span<const std::string_view> service_mailboxes();

}  // namespace sever::load

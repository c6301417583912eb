// `sever-load fake-providers --port PORT [--rate R]`: prints a providers file that points every
// tool of the catalog at a sever-fake-provider on 127.0.0.1:PORT: tools with an adapter of their
// own under /<adapter>, the others (no revocation API in real life) through the generic RFC 7009
// adapter, so a demo or benchmark exercises every tool over HTTP.
#include <iostream>
#include <set>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "sever/providers/catalog.h"
#include "sever/store/catalog.h"

namespace sever::load::cli {

void add_fake_providers_command(CLI::App& app) {
  struct Flags {
    int port = 0;
    double rate = 1000;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("fake-providers",
                                 "print a providers file pointing every tool at the fake provider");
  cmd->add_option("--port", f->port, "the fake provider's port")->required()->check(CLI::Range(1, 65535));
  cmd->add_option("--rate", f->rate, "rate_limit_per_s of every provider (default 1000)")
      ->check(CLI::PositiveNumber);
  cmd->callback([f] {
    static const std::set<std::string_view> served = {
        "github", "google", "slack", "salesforce", "hubspot", "dropbox", "zoom", "discord",
        "x", "sentry", "vercel", "linear", "asana", "notion", "box"};
    const std::string base = "http://127.0.0.1:" + std::to_string(f->port);
    nlohmann::json p = nlohmann::json::object();
    for (const auto& tool : sever::catalog::tools()) {
      const std::string adapter = providers::builtin_provider_config(tool.name).adapter;
      nlohmann::json e;
      if (served.count(adapter)) {
        e = {{"adapter", adapter}, {"base_url", base + "/" + adapter}};
      } else {
        e = {{"adapter", "rfc7009"}, {"endpoint", base + "/rfc7009/" + std::string(tool.name)}};
      }
      e["client_id"] = "demo-client";
      e["client_secret_env"] = "SEVER_DEMO_SECRET";
      e["rate_limit_per_s"] = f->rate;
      e["max_concurrency"] = 64;
      p[std::string(tool.name)] = e;
    }
    std::cout << nlohmann::json{{"providers", p}}.dump(1) << "\n";
  });
}

}  // namespace sever::load::cli

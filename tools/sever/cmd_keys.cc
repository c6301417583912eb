// sever keys list: tenant DEKs, their versions and states (never key material).
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "sever/store/time.h"

namespace sever::cli {

void register_keys(CLI::App& app, Globals& g) {
  auto* keys = app.add_subcommand("keys", "data keys");
  keys->require_subcommand(1);
  struct Args {
    std::string tenant;
    Format format = Format::table;
  };
  auto args = std::make_shared<Args>();
  auto* list = keys->add_subcommand("list", "list tenant DEKs: version, state, age, encryptions");
  list->add_option("--tenant", args->tenant, "only this tenant");
  add_format_option(list, &args->format, false);
  list->callback([&g, args] {
    g.run = [&g, args] {
      int code = kDone;
      auto store = open_store(g, &code);
      if (!store) return code;
      auto r = store->keyring().List(args->tenant);
      if (!r.ok()) return fail(r.status());
      if (args->format == Format::json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& e : *r) {
          out.push_back({{"tenant", e.tenant}, {"version", e.version},
                         {"state", to_string(e.state)}, {"created_at", format_rfc3339(e.created_at)},
                         {"state_changed_at", format_rfc3339(e.state_changed_at)},
                         {"encryptions", e.encryptions}, {"kek_version", e.kek_version}});
        }
        std::cout << out.dump(2) << "\n";
        return int{kDone};
      }
      Table t({"TENANT", "VERSION", "STATE", "CREATED", "ENCRYPTIONS", "KEK"});
      for (const auto& e : *r) {
        t.add({e.tenant, std::to_string(e.version), std::string(to_string(e.state)),
               format_rfc3339(e.created_at), std::to_string(e.encryptions),
               std::to_string(e.kek_version)});
      }
      t.print_aligned(std::cout);
      return int{kDone};
    };
  });
}

}  // namespace sever::cli

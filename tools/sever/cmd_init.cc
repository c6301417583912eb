// sever init: a new store and, for file:, a new master key.
#include <iostream>

#include "cli.h"

namespace sever::cli {

void register_init(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("init", "create a new store (and, for file:, a new master key)");
  cmd->callback([&g] {
    g.run = [&g] {
      auto r = Store::Create(store_options(g), actor());
      if (!r.ok()) return fail(r.status());
      std::cout << "created store " << g.data_dir << " (master key: " << (*r)->key_source().spec()
                << ")\n";
      if (g.key_source.starts_with("file:")) {
        std::cout << "keep the key file apart from backups of the data directory: "
                     "a copy of both opens every secret\n";
      }
      return int{kDone};
    };
  });
}

}  // namespace sever::cli

// sever get TENANT ID: print one secret (audited).
#include <cstdio>

#include "cli.h"

namespace sever::cli {

void register_get(CLI::App& app, Globals& g) {
  auto args = std::make_shared<std::pair<std::string, std::string>>();
  auto* cmd = app.add_subcommand("get", "print a credential's secret (audited); frozen or "
                                        "revoked: exit 3");
  cmd->add_option("tenant", args->first, "tenant")->required();
  cmd->add_option("id", args->second, "credential id")->required();
  cmd->callback([&g, args] {
    g.run = [&g, args] {
      int code = kDone;
      auto store = open_store(g, &code);
      if (!store) return code;
      auto secret = store->GetSecret(args->first, args->second, actor());
      if (!secret.ok()) return fail(secret.status());
      std::fwrite(secret->data(), 1, secret->size(), stdout);
      std::fputc('\n', stdout);
      std::fflush(stdout);
      return int{kDone};
    };
  });
}

}  // namespace sever::cli

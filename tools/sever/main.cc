// sever: revoke and rotate credentials fast. See README.md and DESIGN.md's CLI contract.
#include <iostream>

#include "cli.h"

int main(int argc, char** argv) {
  using namespace sever::cli;
  CLI::App app{"sever: an encrypted credential store that revokes and rotates fast", "sever"};
  app.require_subcommand(1);
  Globals g;
  app.add_option("--data", g.data_dir, "data directory (default $SEVER_DATA, else ./sever-data)");
  app.add_option("--key-source", g.key_source,
                 "master key: file:PATH or pkcs11:token=T;object=K (default $SEVER_KEY_SOURCE, "
                 "else file:DIR.key)");
  register_init(app, g);
  register_import(app, g);
  register_get(app, g);
  register_inventory(app, g);
  register_report(app, g);
  register_keys(app, g);
  register_audit(app, g);
  register_revoke(app, g);
  register_jobs(app, g);
  register_rotate(app, g);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    std::cerr << "sever: " << e.what() << "\n";
    return kBadInput;
  }
  resolve_globals(g);
  try {
    return g.run ? g.run() : kBadInput;
  } catch (const std::exception& e) {
    std::cerr << "sever: internal error: " << e.what() << "\n";
    return kInternal;
  }
}

// sever-load: load generation for sever. Each subcommand is registered from its own file.
#include <CLI/CLI.hpp>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"sever-load: generates synthetic credential stores and load for sever",
               "sever-load"};
  app.require_subcommand(1);
  sever::load::cli::add_gen_command(app);
  sever::load::cli::add_bench_store_command(app);
  sever::load::cli::add_bench_revoke_command(app);
  sever::load::cli::add_bench_rotate_command(app);
  sever::load::cli::add_fake_providers_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // a command failed and has said why
  } catch (const CLI::ParseError& e) {
    // --help prints and exits 0; every bad flag or value is a usage error: exit 2.
    return app.exit(e) == 0 ? 0 : 2;
  }
  return 0;
}

// The subcommands of sever-load. Each lives in its own <name>_command.cc and registers itself
// on the app; main.cc calls every add_*_command.
//
// Contract of a command's callback: on failure it prints "sever-load <cmd>: <why>" to stderr
// and throws CLI::RuntimeError(exit code), which main turns into the process exit code
// (0 ok, 2 bad input, 3 refused, 1 anything else; see sever::exit_code).
#pragma once

#include <CLI/CLI.hpp>

namespace sever::load::cli {

/// Registers `gen`: writes generated credentials as JSONL (see sever/load/generator.h).
void add_gen_command(CLI::App& app);

/// Registers `bench-store`: import and get at scale, with baselines measured in the same run.
void add_bench_store_command(CLI::App& app);

/// Registers `bench-revoke`: revocation against the fake provider, with HTTP baselines.
void add_bench_revoke_command(CLI::App& app);

/// Registers `bench-rotate`: DEK rotation alone and under load, beside a naive re-seal.
void add_bench_rotate_command(CLI::App& app);

/// Registers `fake-providers`: a providers file pointing every tool at the fake provider.
void add_fake_providers_command(CLI::App& app);

}  // namespace sever::load::cli

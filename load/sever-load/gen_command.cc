// `sever-load gen --count N [--tenants T] [--seed S] [--now RFC3339] [--out FILE|-]`
#include <charconv>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "commands.h"
#include "sever/load/generator.h"
#include "sever/store/time.h"
#include "sever/store/status.h"

namespace sever::load::cli {
namespace {

struct GenFlags {
  uint64_t count = 0;
  uint32_t tenants = 0;
  uint64_t seed = 1;
  std::string now;  // empty: the start of the current UTC day
  std::string out = "-";
};

/// Accepts only decimal integers in [0, 2^64): CLI11 would otherwise wrap "-3" to 2^64-3.
const CLI::Validator kUnsigned(
    [](std::string& v) -> std::string {
      uint64_t parsed = 0;
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), parsed);
      if (v.empty() || v[0] == '-' || v[0] == '+' || ec != std::errc() ||
          end != v.data() + v.size())
        return "'" + v + "' is not an integer in [0, 2^64)";
      return {};
    },
    "");

/// Fails the command: prints why and hands main the exit code.
[[noreturn]] void fail(const Status& s) {
  std::cerr << "sever-load gen: " << s.message() << "\n";
  throw CLI::RuntimeError(exit_code(s));
}

void run_gen(const GenFlags& f) {
  GenOptions opt;
  opt.count = f.count;
  opt.tenants = f.tenants;
  opt.seed = f.seed;
  if (f.now.empty()) {
    opt.now_unix = start_of_utc_day(static_cast<int64_t>(std::time(nullptr)));
  } else {
    Result<int64_t> now = parse_rfc3339(f.now);
    if (!now.ok()) fail(now.status().Prefixed("--now"));
    opt.now_unix = *now;
  }
  if (Status s = validate(opt); !s.ok()) fail(s);

  Status s;
  if (f.out == "-") {
    std::ios::sync_with_stdio(false);
    s = generate(opt, std::cout);
  } else {
    std::ofstream file(f.out, std::ios::binary | std::ios::trunc);
    if (!file) fail(Status::IoError("cannot open --out " + f.out + " for writing"));
    s = generate(opt, file);
    if (s.ok()) {
      file.close();
      if (!file) s = Status::IoError("closing " + f.out + " failed");
    }
  }
  if (!s.ok()) fail(s);
}

}  // namespace

void add_gen_command(CLI::App& app) {
  auto flags = std::make_shared<GenFlags>();
  CLI::App* cmd = app.add_subcommand(
      "gen", "Write generated credentials as JSONL, one per line (deterministic per flags)");
  cmd->add_option("--count", flags->count, "Number of credentials (lines) to write")
      ->required()
      ->check(kUnsigned);
  cmd->add_option("--tenants", flags->tenants,
                  "Number of tenants; 0 or absent: count/200, clamped to [1, 100000]")
      ->check(CLI::Range(uint32_t{0}, kMaxTenants));
  cmd->add_option("--seed", flags->seed, "Seed of the random stream")
      ->check(kUnsigned)
      ->capture_default_str();
  cmd->add_option("--now", flags->now,
                  "Reference time, RFC 3339 (e.g. 2026-01-02T00:00:00Z); default: the start "
                  "of the current UTC day");
  cmd->add_option("--out", flags->out, "Output file, or - for stdout")->capture_default_str();
  cmd->callback([flags] { run_gen(*flags); });
}

}  // namespace sever::load::cli

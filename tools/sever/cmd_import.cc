// sever import FILE|-: JSONL, all or nothing.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "sever/store/import.h"

namespace sever::cli {
namespace {

struct ImportArgs {
  std::string file;
  bool upsert = false;
  size_t memory_mib = 128;
  Format format = Format::table;
};

int run_import(const Globals& g, const ImportArgs& a) {
  std::FILE* in = stdin;
  if (a.file != "-") {
    in = std::fopen(a.file.c_str(), "rb");
    if (in == nullptr) {
      return fail(Status::InvalidArgument("cannot open " + a.file + ": " + std::strerror(errno)));
    }
  }
  int code = kDone;
  auto store = open_store(g, &code);
  if (!store) {
    if (in != stdin) std::fclose(in);
    return code;
  }
  ImportOptions o;
  o.upsert = a.upsert;
  o.memory_budget_bytes = a.memory_mib << 20;
  o.actor = actor();
  o.source = a.file == "-" ? "stdin" : a.file;
  auto t0 = std::chrono::steady_clock::now();
  auto r = import_jsonl(*store, in, o);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (in != stdin) std::fclose(in);
  if (!r.ok()) return fail(r.status().Prefixed("nothing imported"));
  if (a.format == Format::json) {
    std::cout << nlohmann::json{{"created", r->created}, {"replaced", r->replaced},
                                {"new_deks", r->new_deks}, {"lines", r->lines},
                                {"seconds", secs}, {"parse_seconds", r->parse_seconds},
                                {"write_seconds", r->write_seconds},
                                {"ingest_seconds", r->ingest_seconds}}
                     .dump()
              << "\n";
  } else {
    uint64_t n = r->created + r->replaced;
    std::printf("imported %llu credentials (%llu new, %llu replaced, %llu new tenant keys) "
                "from %s in %.2f s (%.0f/s)\n",
                static_cast<unsigned long long>(n), static_cast<unsigned long long>(r->created),
                static_cast<unsigned long long>(r->replaced),
                static_cast<unsigned long long>(r->new_deks), o.source.c_str(), secs,
                secs > 0 ? n / secs : 0.0);
  }
  return kDone;
}

}  // namespace

void register_import(CLI::App& app, Globals& g) {
  auto args = std::make_shared<ImportArgs>();
  auto* cmd = app.add_subcommand("import", "import credentials from JSONL (one per line; - for "
                                           "stdin); a bad line imports nothing");
  cmd->add_option("file", args->file, "JSONL file, or - for standard input")->required();
  cmd->add_flag("--upsert", args->upsert, "replace credentials whose id already exists");
  cmd->add_option("--memory-mib", args->memory_mib,
                  "rows buffered in memory before sorted runs spill to disk (default 128)")
      ->check(CLI::Range(16, 1 << 20));
  add_format_option(cmd, &args->format, false);
  cmd->callback([&g, args] { g.run = [&g, args] { return run_import(g, *args); }; });
}

}  // namespace sever::cli

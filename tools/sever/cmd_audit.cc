// sever audit verify | audit tail [-n N]
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "sever/store/time.h"

namespace sever::cli {
namespace {

std::string format_ms(int64_t ms) {
  std::string s = format_rfc3339(ms / 1000);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms % 1000));
  return s.insert(s.size() - 1, frac);
}

}  // namespace

void register_audit(CLI::App& app, Globals& g) {
  auto* audit = app.add_subcommand("audit", "the tamper-evident audit log");
  audit->require_subcommand(1);
  auto* verify = audit->add_subcommand("verify", "check the whole chain; exit 3 naming the first "
                                                 "bad entry when it was altered");
  verify->callback([&g] {
    g.run = [&g] {
      int code = kDone;
      auto store = open_store(g, &code);
      if (!store) return code;
      auto v = store->audit().Verify();
      if (!v.ok()) return fail(v.status());
      if (v->first_bad) {
        std::cerr << "sever: audit log fails verification at entry " << *v->first_bad << ": "
                  << v->problem << " (" << v->entries << " entries before it are intact)\n";
        return int{kRefused};
      }
      std::cout << "audit log intact: " << v->entries << " entries\n";
      return int{kDone};
    };
  });
  struct TailArgs {
    size_t n = 20;
    Format format = Format::table;
  };
  auto targs = std::make_shared<TailArgs>();
  auto* tail = audit->add_subcommand("tail", "print the last entries");
  tail->add_option("-n", targs->n, "how many (default 20)")->check(CLI::NonNegativeNumber);
  add_format_option(tail, &targs->format, false);
  tail->callback([&g, targs] {
    g.run = [&g, targs] {
      int code = kDone;
      auto store = open_store(g, &code);
      if (!store) return code;
      nlohmann::json out = nlohmann::json::array();
      Table t({"SEQ", "TIME", "ACTOR", "ACTION", "TARGET", "DETAIL"});
      Status s = store->audit().Tail(targs->n, [&](const AuditEntry& e) {
        if (targs->format == Format::json) {
          // A detail that is not JSON (only a tampered entry has one) is shown as a string.
          nlohmann::json d = e.event.detail.empty()
                                 ? nlohmann::json::object()
                                 : nlohmann::json::parse(e.event.detail, nullptr, false);
          if (d.is_discarded()) d = e.event.detail;
          out.push_back({{"seq", e.seq}, {"time", format_ms(e.time_ms)}, {"actor", e.event.actor},
                         {"action", e.event.action}, {"target", e.event.target}, {"detail", d}});
        } else {
          t.add({std::to_string(e.seq), format_ms(e.time_ms), e.event.actor, e.event.action,
                 e.event.target, e.event.detail});
        }
      });
      if (!s.ok()) return fail(s);
      if (targs->format == Format::json) std::cout << out.dump(2) << "\n";
      else t.print_aligned(std::cout);
      return int{kDone};
    };
  });
}

}  // namespace sever::cli

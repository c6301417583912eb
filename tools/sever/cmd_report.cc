// sever report: the blast radius of what the store holds.
#include <algorithm>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "sever/store/inventory.h"
#include "sever/store/time.h"

namespace sever::cli {

namespace {

struct ReportArgs {
  InventoryFilter filter;
  int64_t dormant_days = 90;
  Format format = Format::table;
  size_t top = 25;
};

nlohmann::json counts_json(const ReportCounts& c) {
  return {{"total", c.total}, {"high_risk", c.high_risk}, {"overprivileged", c.overprivileged},
          {"dormant", c.dormant}, {"never_used", c.never_used},
          {"sensitive_tool", c.sensitive_tool}};
}

std::string pct(uint64_t part, uint64_t whole) {
  char b[16];
  std::snprintf(b, sizeof b, "%.1f%%", whole ? 100.0 * part / whole : 0.0);
  return b;
}

void print_table(const Report& r, size_t top) {
  const auto& a = r.all;
  std::cout << "Blast radius at " << format_rfc3339(r.generated_at) << ": " << a.total
            << " credentials across " << r.tenants << " tenants and " << r.by_tool.size()
            << " tools\n\n";
  Table summary({"MEASURE", "COUNT", "SHARE"});
  summary.add({"high-risk scope (admin, write, repo, mail, ...)", std::to_string(a.high_risk),
               pct(a.high_risk, a.total)});
  summary.add({"overprivileged (scopes beyond need)", std::to_string(a.overprivileged),
               pct(a.overprivileged, a.total)});
  summary.add({"dormant (> " + std::to_string(r.dormant_days) + " days unused)",
               std::to_string(a.dormant), pct(a.dormant, a.total)});
  summary.add({"never used", std::to_string(a.never_used), pct(a.never_used, a.total)});
  summary.add({"on sensitive tools (code, mail, identity, cloud, ...)",
               std::to_string(a.sensitive_tool), pct(a.sensitive_tool, a.total)});
  summary.print_aligned(std::cout);
  for (const auto& [title, m] : {std::pair{"STATE", &r.by_state}, std::pair{"KIND", &r.by_kind},
                                 std::pair{"RISK", &r.by_risk}}) {
    std::cout << "\n";
    Table t({title, "COUNT", "SHARE"});
    for (const auto& [k, v] : *m) t.add({k, std::to_string(v), pct(v, a.total)});
    t.print_aligned(std::cout);
  }
  std::vector<std::pair<std::string, ReportCounts>> tools(r.by_tool.begin(), r.by_tool.end());
  std::sort(tools.begin(), tools.end(), [](const auto& x, const auto& y) {
    return x.second.total != y.second.total ? x.second.total > y.second.total : x.first < y.first;
  });
  std::cout << "\nTOP " << std::min(top, tools.size()) << " OF " << tools.size()
            << " TOOLS BY CREDENTIALS\n";
  Table t({"TOOL", "TOTAL", "HIGH_RISK", "OVERPRIVILEGED", "DORMANT", "NEVER_USED"});
  for (size_t i = 0; i < tools.size() && i < top; ++i) {
    const auto& c = tools[i].second;
    t.add({tools[i].first, std::to_string(c.total), std::to_string(c.high_risk),
           std::to_string(c.overprivileged), std::to_string(c.dormant),
           std::to_string(c.never_used)});
  }
  t.print_aligned(std::cout);
}

int run_report(const Globals& g, const ReportArgs& a) {
  int code = kDone;
  auto store = open_store(g, &code);
  if (!store) return code;
  auto r = build_report(*store, a.filter, now_unix(), a.dormant_days);
  if (!r.ok()) return fail(r.status());
  if (a.format == Format::json) {
    nlohmann::json tools = nlohmann::json::object();
    for (const auto& [k, v] : r->by_tool) tools[k] = counts_json(v);
    std::cout << nlohmann::json{{"generated_at", format_rfc3339(r->generated_at)},
                                {"dormant_days", r->dormant_days},
                                {"tenants", r->tenants},
                                {"all", counts_json(r->all)},
                                {"by_state", r->by_state},
                                {"by_kind", r->by_kind},
                                {"by_risk", r->by_risk},
                                {"by_tool", tools}}
                     .dump(2)
              << "\n";
  } else {
    print_table(*r, a.top);
  }
  return kDone;
}

}  // namespace

void register_report(CLI::App& app, Globals& g) {
  auto a = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand("report", "blast radius: counts by tool, scope risk, state, "
                                           "dormancy");
  add_filter_options(cmd, a->filter);
  cmd->add_option("--dormant-days", a->dormant_days, "dormancy threshold (default 90)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--top", a->top, "tools listed in the table (default 25)")
      ->check(CLI::NonNegativeNumber);
  add_format_option(cmd, &a->format, false);
  cmd->callback([&g, a] { g.run = [&g, a] { return run_report(g, *a); }; });
}

}  // namespace sever::cli

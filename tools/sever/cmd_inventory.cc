// sever inventory: list or count credentials by tenant, tool, user, state, dormancy, privilege.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli.h"
#include "sever/store/inventory.h"
#include "sever/store/time.h"

namespace sever::cli {
namespace {

struct InventoryArgs {
  InventoryFilter filter;
  std::string state;
  int64_t dormant_days = -1;
  Format format = Format::table;
  bool count = false;
  uint64_t limit = 0;
};

std::string opt_time(const std::optional<int64_t>& t) { return t ? format_rfc3339(*t) : "-"; }

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

std::vector<std::string> row(const Credential& c, State eff) {
  return {c.tenant, c.id, c.tool, std::string(to_string(c.kind)), std::string(to_string(eff)),
          c.user, join(c.scopes, " "), format_rfc3339(c.created_at), opt_time(c.last_used_at),
          opt_time(c.expires_at), std::string(catalog::to_string(catalog::max_risk(c.scopes)))};
}

const std::vector<std::string> kHeaders = {"TENANT", "ID", "TOOL", "KIND", "STATE", "USER",
                                           "SCOPES", "CREATED", "LAST_USED", "EXPIRES", "RISK"};

nlohmann::json to_json(const Credential& c, State eff) {
  auto t = [](const std::optional<int64_t>& x) {
    return x ? nlohmann::json(format_rfc3339(*x)) : nlohmann::json(nullptr);
  };
  return {{"tenant", c.tenant}, {"id", c.id}, {"tool", c.tool}, {"kind", to_string(c.kind)},
          {"state", to_string(eff)}, {"user", c.user}, {"client", c.client},
          {"scopes", c.scopes}, {"created_at", format_rfc3339(c.created_at)},
          {"last_used_at", t(c.last_used_at)}, {"expires_at", t(c.expires_at)},
          {"risk", catalog::to_string(catalog::max_risk(c.scopes))},
          {"excess_scopes", catalog::excess_scopes(c.tool, c.scopes)},
          {"dek_version", c.dek_version}};
}

// Streams rows as they come: aligned tables take their widths from the first rows buffered.
class Printer {
 public:
  explicit Printer(Format f) : f_(f) {}
  void add(const Credential& c, State eff) {
    if (f_ == Format::json) {
      std::cout << (n_++ ? ",\n  " : "[\n  ") << to_json(c, eff).dump();
    } else if (f_ == Format::csv) {
      if (n_++ == 0) print_csv_row(kHeaders);
      print_csv_row(row(c, eff));
    } else {
      ++n_;
      if (widths_.empty()) {
        buffered_.push_back(row(c, eff));
        if (buffered_.size() == kBuffer) flush_buffer();
      } else {
        print_aligned(row(c, eff));
      }
    }
  }
  void finish() {
    if (f_ == Format::json) std::cout << (n_ ? "\n]\n" : "[]\n");
    else if (f_ == Format::csv && n_ == 0) print_csv_row(kHeaders);
    else if (f_ == Format::table && widths_.empty()) flush_buffer();
  }

 private:
  static constexpr size_t kBuffer = 1000;
  void print_csv_row(const std::vector<std::string>& r) {
    for (size_t i = 0; i < r.size(); ++i) {
      if (i) std::cout << ',';
      write_csv_field(std::cout, r[i]);
    }
    std::cout << "\r\n";
  }
  void flush_buffer() {
    widths_.assign(kHeaders.size(), 0);
    for (size_t i = 0; i < kHeaders.size(); ++i) widths_[i] = kHeaders[i].size();
    for (const auto& r : buffered_) {
      for (size_t i = 0; i < r.size(); ++i) widths_[i] = std::max(widths_[i], r[i].size());
    }
    print_aligned(kHeaders);
    for (const auto& r : buffered_) print_aligned(r);
    buffered_.clear();
  }
  void print_aligned(const std::vector<std::string>& r) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line.append(r[i].size() < widths_[i] ? widths_[i] - r[i].size() + 2 : 2, ' ');
    }
    std::cout << line << '\n';
  }

  Format f_;
  uint64_t n_ = 0;
  std::vector<std::vector<std::string>> buffered_;
  std::vector<size_t> widths_;
};

int run_inventory(const Globals& g, InventoryArgs& a) {
  if (!a.state.empty()) {
    auto s = parse_state(a.state);
    if (!s.ok()) return fail(s.status().Prefixed("--state"));
    a.filter.state = *s;
  }
  if (a.dormant_days >= 0) a.filter.dormant_days = a.dormant_days;
  int code = kDone;
  auto store = open_store(g, &code);
  if (!store) return code;
  uint64_t n = 0;
  Printer printer(a.format);
  Status s = scan_inventory(*store, a.filter, now_unix(), [&](const Credential& c, State eff) {
    ++n;
    if (!a.count) printer.add(c, eff);
    return a.limit == 0 || n < a.limit;
  });
  if (!s.ok()) return fail(s);
  if (a.count) {
    if (a.format == Format::json) std::cout << nlohmann::json{{"count", n}}.dump() << "\n";
    else std::cout << n << "\n";
  } else {
    printer.finish();
  }
  return kDone;
}

}  // namespace

void add_filter_options(CLI::App* cmd, InventoryFilter& f) {
  cmd->add_option("--tenant", f.tenant, "only this tenant");
  cmd->add_option("--tool", f.tool, "only this tool");
}

void register_inventory(CLI::App& app, Globals& g) {
  auto a = std::make_shared<InventoryArgs>();
  auto* cmd = app.add_subcommand("inventory", "list or count credentials (metadata only)");
  add_filter_options(cmd, a->filter);
  cmd->add_option("--user", a->filter.user, "only credentials issued by this user");
  cmd->add_option("--state", a->state, "issued, active, dormant, expired or revoked");
  cmd->add_option("--dormant-days", a->dormant_days,
                  "last used more than N days ago (or never, and created more than N days ago)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--overprivileged", a->filter.overprivileged,
                "granted scopes beyond what the integration needs");
  cmd->add_flag("--count", a->count, "print only the number of matching credentials");
  cmd->add_option("--limit", a->limit, "stop after N credentials")->check(CLI::NonNegativeNumber);
  add_format_option(cmd, &a->format, true);
  cmd->callback([&g, a] { g.run = [&g, a] { return run_inventory(g, *a); }; });
}

}  // namespace sever::cli

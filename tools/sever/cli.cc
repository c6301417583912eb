#include "cli.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

namespace sever::cli {

void add_format_option(CLI::App* cmd, Format* out, bool allow_csv) {
  std::map<std::string, Format> names = {{"table", Format::table}, {"json", Format::json}};
  if (allow_csv) names["csv"] = Format::csv;
  cmd->add_option("--format", *out, allow_csv ? "table, json or csv" : "table or json")
      ->transform(CLI::CheckedTransformer(names, CLI::ignore_case));
}

void resolve_globals(Globals& g) {
  if (g.data_dir.empty()) {
    const char* env = std::getenv("SEVER_DATA");
    g.data_dir = env && *env ? env : "./sever-data";
  }
  if (g.key_source.empty()) {
    const char* env = std::getenv("SEVER_KEY_SOURCE");
    g.key_source = env && *env ? env : default_key_source(g.data_dir);
  }
}

StoreOptions store_options(const Globals& g) {
  StoreOptions o;
  o.data_dir = g.data_dir;
  o.key_source = g.key_source;
  return o;
}

std::unique_ptr<Store> open_store(const Globals& g, int* exit) {
  auto r = Store::Open(store_options(g));
  if (!r.ok()) {
    *exit = fail(r.status());
    return nullptr;
  }
  return std::move(r).value();
}

std::string actor() {
  if (const char* op = std::getenv("SEVER_OPERATOR"); op && *op) return std::string("cli:") + op;
  if (passwd* pw = getpwuid(getuid()); pw && pw->pw_name) return std::string("cli:") + pw->pw_name;
  return "cli:uid" + std::to_string(getuid());
}

int fail(const Status& s) {
  std::cerr << "sever: " << s.message() << "\n";
  return exit_code(s);
}

void write_csv_field(std::ostream& os, const std::string& f) {
  if (f.find_first_of(",\"\r\n") == std::string::npos) {
    os << f;
    return;
  }
  os << '"';
  for (char c : f) {
    if (c == '"') os << '"';
    os << c;
  }
  os << '"';
}

void Table::print_aligned(std::ostream& os) const {
  std::vector<size_t> w(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) w[i] = headers_[i].size();
  for (const auto& r : rows_) {
    for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
  }
  auto line = [&](const std::vector<std::string>& r) {
    std::string out;
    for (size_t i = 0; i < r.size(); ++i) {
      out += r[i];
      if (i + 1 < r.size()) out.append(w[i] - r[i].size() + 2, ' ');
    }
    os << out << '\n';
  };
  line(headers_);
  for (const auto& r : rows_) line(r);
}

void Table::print_csv(std::ostream& os) const {
  auto line = [&](const std::vector<std::string>& r) {
    for (size_t i = 0; i < r.size(); ++i) {
      if (i) os << ',';
      write_csv_field(os, r[i]);
    }
    os << "\r\n";
  };
  line(headers_);
  for (const auto& r : rows_) line(r);
}

}  // namespace sever::cli

// The `sever` command line: shared options, store opening and output helpers for every command.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sever/store/inventory.h"
#include "sever/store/status.h"
#include "sever/store/store.h"

namespace sever::cli {

/// Exit codes of the CLI contract.
enum Exit : int { kDone = 0, kInternal = 1, kBadInput = 2, kRefused = 3, kUnfinished = 4 };

/// Options every command shares, and the command chosen.
struct Globals {
  std::string data_dir;    // --data, else $SEVER_DATA, else ./sever-data
  std::string key_source;  // --key-source, else $SEVER_KEY_SOURCE, else file:DIR.key
  std::function<int()> run;  // set by the chosen subcommand's callback
};

/// Output formats of listing commands.
enum class Format { table, json, csv };

/// Adds `--format` (table|json, plus csv when allowed) to a command, bound to `out`.
void add_format_option(CLI::App* cmd, Format* out, bool allow_csv);

/// Adds --tenant and --tool, bound to the filter.
void add_filter_options(CLI::App* cmd, InventoryFilter& f);

/// Fills unset globals from the environment and defaults.
void resolve_globals(Globals& g);

/// Returns StoreOptions for the globals.
StoreOptions store_options(const Globals& g);

/// Opens the store, or prints the failure and returns nullptr with `*exit` set.
std::unique_ptr<Store> open_store(const Globals& g, int* exit);

/// Returns who runs the command, for the audit log: "cli:" + $SEVER_OPERATOR, else the user name.
std::string actor();

/// Prints "sever: <message>" to stderr and returns the contract's exit code for the status.
int fail(const Status& s);

/// A table of strings printed aligned for people, or as CSV; JSON output builds its own objects.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  /// Prints the header and rows, columns padded to their widest cell.
  void print_aligned(std::ostream& os) const;
  /// Prints RFC 4180 CSV: a header line, then one line per row.
  void print_csv(std::ostream& os) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

/// Writes one CSV field, quoted when it holds a comma, quote or line break.
void write_csv_field(std::ostream& os, const std::string& field);

// Each command file registers its subcommand on the app.
void register_init(CLI::App& app, Globals& g);
void register_import(CLI::App& app, Globals& g);
void register_get(CLI::App& app, Globals& g);
void register_inventory(CLI::App& app, Globals& g);
void register_report(CLI::App& app, Globals& g);
void register_keys(CLI::App& app, Globals& g);
void register_audit(CLI::App& app, Globals& g);
void register_revoke(CLI::App& app, Globals& g);
void register_jobs(CLI::App& app, Globals& g);
void register_rotate(CLI::App& app, Globals& g);

}  // namespace sever::cli

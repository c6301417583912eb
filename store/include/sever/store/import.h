// Bulk import of credentials from JSONL: streaming, validated, all or nothing.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "sever/store/status.h"
#include "sever/store/store.h"

namespace sever {

struct ImportOptions {
  bool upsert = false;        // replace credentials whose id already exists (default: refuse)
  std::string actor;          // who imports, for the audit log
  std::string source = "-";   // the file name, for messages and the audit log
  /// Rows buffered in memory before sorted runs spill to disk (2/3 records, 1/6 per index).
  size_t memory_budget_bytes = size_t{128} << 20;
};

struct ImportStats {
  uint64_t lines = 0;        // lines read, blank ones included
  uint64_t created = 0;      // new credentials
  uint64_t replaced = 0;     // existing credentials replaced (--upsert)
  uint64_t new_deks = 0;     // tenant DEKs created
  double parse_seconds = 0;  // reading, validating and sealing every line
  double write_seconds = 0;  // merging sorted rows into SST files
  double ingest_seconds = 0; // the atomic ingestion
};

/// Imports one credential per line (the format of DESIGN.md's CLI contract) from `in`.
/// Every line is parsed and validated (required fields, kind, RFC 3339 timestamps, names, no
/// unknown field, no id twice in the input, no id already stored unless upsert) and its secret
/// sealed into a staging database beside the store; only when every line is good does one atomic
/// ingestion make all of it visible, with its DEKs and audit entries. Memory stays bounded
/// whatever the input size. A bad line imports nothing and returns invalid_argument
/// "SOURCE line N: what is wrong".
Result<ImportStats> import_jsonl(Store& store, std::FILE* in, const ImportOptions& options);

}  // namespace sever

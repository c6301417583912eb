// Internal: parses one JSONL import line into a credential and its plaintext secret.
#pragma once

#include <string>
#include <string_view>

#include <simdjson.h>

#include "sever/store/status.h"
#include "sever/store/store.h"

namespace sever::detail {

/// Parses import lines. Reuses its buffers; the padded copy of each line is zeroized after use,
/// and the secret is unescaped straight into the credential's SecretBytes (never into simdjson's
/// string buffer).
class JsonLineParser {
 public:
  /// Parses and validates `line` into `out`. Returns invalid_argument saying what is wrong
  /// (without the line number: the caller adds it). Never echoes the secret.
  Status Parse(std::string_view line, NewCredential* out);

 private:
  simdjson::ondemand::parser parser_;
  std::string padded_;
};

/// Unescapes the JSON string token `raw` (with its quotes) into `out`. Returns false when it is
/// not a well-formed string.
bool unescape_json_string(std::string_view raw, SecretBytes* out);

}  // namespace sever::detail

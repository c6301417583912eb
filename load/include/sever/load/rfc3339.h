// RFC 3339 timestamps as sever-load writes and reads them: UTC seconds, "2026-01-02T03:04:05Z".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sever/store/status.h"

namespace sever::load {

/// Returns the Unix time of an RFC 3339 date-time ("2026-01-02T03:04:05Z", with an optional
/// fraction that is dropped and a "Z" or "+hh:mm"/"-hh:mm" offset; 't'/'z' and a space for 'T'
/// are accepted) or of a full date ("2026-01-02", midnight UTC). Years 1970-9999.
/// InvalidArgument, naming the problem, for anything else.
Result<int64_t> parse_rfc3339(std::string_view text);

/// Appends unix_seconds as "YYYY-MM-DDTHH:MM:SSZ" (UTC) to *out. Years 0-9999.
void append_rfc3339(int64_t unix_seconds, std::string* out);

/// Returns unix_seconds as "YYYY-MM-DDTHH:MM:SSZ" (UTC).
std::string format_rfc3339(int64_t unix_seconds);

/// Returns the start (00:00:00 UTC) of the day that holds unix_seconds.
int64_t start_of_utc_day(int64_t unix_seconds);

}  // namespace sever::load

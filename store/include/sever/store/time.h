// Timestamps: Unix seconds in memory and on disk, RFC 3339 at the edges.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sever/store/status.h"

namespace sever {

/// Parses an RFC 3339 date-time ("2026-01-02T03:04:05Z", optional fraction, "Z" or ±hh:mm,
/// 't'/'z' accepted) into Unix seconds (fraction truncated). Returns invalid_argument saying
/// what is wrong.
Result<int64_t> parse_rfc3339(std::string_view s);

/// Formats Unix seconds as "YYYY-MM-DDThh:mm:ssZ" (UTC).
std::string format_rfc3339(int64_t unix_seconds);

/// Appends format_rfc3339(unix_seconds) to `out` without allocating (years 0-9999).
void append_rfc3339(int64_t unix_seconds, std::string* out);

/// Returns the start (00:00:00 UTC) of the day that holds unix_seconds.
int64_t start_of_utc_day(int64_t unix_seconds);

/// Returns the current Unix time in seconds.
int64_t now_unix();

/// Returns the current Unix time in milliseconds.
int64_t now_unix_ms();

}  // namespace sever

// The number and time notations providers put in rate-limit headers: decimal seconds, HTTP-dates
// (RFC 9110 §5.6.7) and ISO-8601 instants. Private to sever::providers.
#pragma once

#include <optional>
#include <string_view>

namespace sever::providers {

/// Returns `s` without leading and trailing spaces and tabs.
std::string_view trim_ows(std::string_view s);

/// Parses a non-negative decimal number: digits with an optional fraction ("120", "2.5", "0.75").
/// Returns nullopt for anything else (signs, exponents, "inf", "nan", empty, trailing junk).
std::optional<double> parse_decimal(std::string_view s);

/// Parses an HTTP-date in any of its three forms: IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"),
/// RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") or asctime ("Sun Nov  6 08:49:37 1994"). Returns
/// Unix seconds, or nullopt when malformed. A two-digit RFC 850 year more than 50 years after
/// the year of `now_unix` is taken to be in the past century (RFC 9110). Day and month names
/// are matched case-insensitively; "UTC" is accepted for "GMT"; the weekday is not checked
/// against the date.
std::optional<double> parse_http_date(std::string_view s, double now_unix);

/// Parses an ISO-8601 instant "YYYY-MM-DDThh:mm[:ss[.fraction]][Z|±hh:mm|±hhmm]" ('T', 't' or
/// a space between date and time; no zone means UTC). Returns Unix seconds with the fraction
/// kept, or nullopt when malformed or out of range.
std::optional<double> parse_iso8601_instant(std::string_view s);

}  // namespace sever::providers

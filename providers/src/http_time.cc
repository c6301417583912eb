#include "http_time.h"

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace sever::providers {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kShortDays = {"mon", "tue", "wed", "thu",
                                                         "fri", "sat", "sun"};
constexpr std::array<std::string_view, 7> kLongDays = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != b[i]) return false;  // b is lowercase
  }
  return true;
}

template <size_t N>
bool is_one_of(std::string_view s, const std::array<std::string_view, N>& names) {
  for (std::string_view n : names) {
    if (iequals(s, n)) return true;
  }
  return false;
}

// Returns 1-12 for a three-letter month name, or 0.
unsigned month_number(std::string_view s) {
  for (size_t i = 0; i < kMonths.size(); ++i) {
    if (iequals(s, kMonths[i])) return static_cast<unsigned>(i + 1);
  }
  return 0;
}

// Parses exactly `n` digits (n = 0: one or more); returns nullopt otherwise.
std::optional<int> parse_digits(std::string_view s, size_t n = 0) {
  if (s.empty() || (n != 0 && s.size() != n) || s.size() > 9) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// Unix seconds of a UTC calendar date and time of day, or nullopt when any field is out of
// range (a leap second 60 is accepted and lands on the next second).
std::optional<double> to_unix(int year, unsigned month, unsigned day, int hour, int minute,
                              double second) {
  using namespace std::chrono;
  if (year < 1 || year > 9999) return std::nullopt;
  year_month_day ymd{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}};
  if (!ymd.ok()) return std::nullopt;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second >= 61) {
    return std::nullopt;
  }
  const int64_t days = sys_days(ymd).time_since_epoch().count();
  return static_cast<double>(days) * 86400.0 + hour * 3600.0 + minute * 60.0 + second;
}

// Parses "hh:mm:ss" into its three fields.
bool parse_clock(std::string_view s, int* h, int* m, int* sec) {
  if (s.size() != 8 || s[2] != ':' || s[5] != ':') return false;
  auto hh = parse_digits(s.substr(0, 2), 2);
  auto mm = parse_digits(s.substr(3, 2), 2);
  auto ss = parse_digits(s.substr(6, 2), 2);
  if (!hh || !mm || !ss) return false;
  *h = *hh;
  *m = *mm;
  *sec = *ss;
  return true;
}

std::vector<std::string_view> split_spaces(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

bool is_gmt(std::string_view s) { return iequals(s, "gmt") || iequals(s, "utc"); }

// IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
std::optional<double> parse_imf(const std::vector<std::string_view>& t) {
  if (t.size() != 6 || !t[0].ends_with(',') || !is_gmt(t[5])) return std::nullopt;
  if (!is_one_of(t[0].substr(0, t[0].size() - 1), kShortDays)) return std::nullopt;
  auto day = t[1].size() <= 2 ? parse_digits(t[1]) : std::nullopt;  // "6" is tolerated
  unsigned mon = month_number(t[2]);
  auto year = parse_digits(t[3], 4);
  int h, m, s;
  if (!day || mon == 0 || !year || !parse_clock(t[4], &h, &m, &s)) return std::nullopt;
  return to_unix(*year, mon, static_cast<unsigned>(*day), h, m, s);
}

// RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
std::optional<double> parse_rfc850(const std::vector<std::string_view>& t, double now_unix) {
  if (t.size() != 4 || !t[0].ends_with(',') || !is_gmt(t[3])) return std::nullopt;
  if (!is_one_of(t[0].substr(0, t[0].size() - 1), kLongDays)) return std::nullopt;
  std::string_view date = t[1];
  if (date.size() < 9 || date[2] != '-' || date[6] != '-') return std::nullopt;
  auto day = parse_digits(date.substr(0, 2), 2);
  unsigned mon = month_number(date.substr(3, 3));
  std::string_view y = date.substr(7);
  auto year = parse_digits(y);
  int h, m, s;
  if (!day || mon == 0 || !year || (y.size() != 2 && y.size() != 4) ||
      !parse_clock(t[2], &h, &m, &s)) {
    return std::nullopt;
  }
  int full_year = *year;
  if (y.size() == 2) {
    using namespace std::chrono;
    auto now_days = floor<days>(sys_seconds(seconds(static_cast<int64_t>(now_unix))));
    int this_year = static_cast<int>(year_month_day(now_days).year());
    full_year = (this_year / 100) * 100 + *year;
    if (full_year > this_year + 50) full_year -= 100;
  }
  return to_unix(full_year, mon, static_cast<unsigned>(*day), h, m, s);
}

// asctime: Sun Nov  6 08:49:37 1994
std::optional<double> parse_asctime(const std::vector<std::string_view>& t) {
  if (t.size() != 5 || !is_one_of(t[0], kShortDays)) return std::nullopt;
  unsigned mon = month_number(t[1]);
  auto day = parse_digits(t[2]);
  auto year = parse_digits(t[4], 4);
  int h, m, s;
  if (mon == 0 || !day || t[2].size() > 2 || !year || !parse_clock(t[3], &h, &m, &s)) {
    return std::nullopt;
  }
  return to_unix(*year, mon, static_cast<unsigned>(*day), h, m, s);
}

}  // namespace

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<double> parse_decimal(std::string_view s) {
  if (s.empty() || s.size() > 32) return std::nullopt;
  double whole = 0;
  size_t i = 0;
  for (; i < s.size() && is_digit(s[i]); ++i) whole = whole * 10 + (s[i] - '0');
  if (i == 0) return std::nullopt;
  if (i == s.size()) return whole;
  if (s[i] != '.' || i + 1 == s.size()) return std::nullopt;
  double scale = 0.1;
  for (++i; i < s.size(); ++i) {
    if (!is_digit(s[i])) return std::nullopt;
    whole += (s[i] - '0') * scale;
    scale /= 10;
  }
  return whole;
}

std::optional<double> parse_http_date(std::string_view s, double now_unix) {
  s = trim_ows(s);
  if (s.size() > 64) return std::nullopt;
  std::vector<std::string_view> t = split_spaces(s);
  if (auto v = parse_imf(t)) return v;
  if (auto v = parse_rfc850(t, now_unix)) return v;
  return parse_asctime(t);
}

std::optional<double> parse_iso8601_instant(std::string_view s) {
  s = trim_ows(s);
  // Date: YYYY-MM-DD, then 'T', 't' or ' ', then hh:mm.
  if (s.size() < 16 || s.size() > 40 || s[4] != '-' || s[7] != '-' || s[13] != ':') {
    return std::nullopt;
  }
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
  auto year = parse_digits(s.substr(0, 4), 4);
  auto mon = parse_digits(s.substr(5, 2), 2);
  auto day = parse_digits(s.substr(8, 2), 2);
  auto hour = parse_digits(s.substr(11, 2), 2);
  auto minute = parse_digits(s.substr(14, 2), 2);
  if (!year || !mon || !day || !hour || !minute) return std::nullopt;
  std::string_view rest = s.substr(16);
  double second = 0;
  if (rest.starts_with(':')) {
    auto ss = rest.size() >= 3 ? parse_digits(rest.substr(1, 2), 2) : std::nullopt;
    if (!ss) return std::nullopt;
    second = *ss;
    rest.remove_prefix(3);
    if (rest.starts_with('.') || rest.starts_with(',')) {
      size_t n = 1;
      double scale = 0.1;
      while (n < rest.size() && is_digit(rest[n])) {
        second += (rest[n] - '0') * scale;
        scale /= 10;
        ++n;
      }
      if (n == 1) return std::nullopt;
      rest.remove_prefix(n);
    }
  }
  double offset = 0;  // seconds east of UTC
  if (rest == "Z" || rest == "z" || rest.empty()) {
    // UTC
  } else if (rest[0] == '+' || rest[0] == '-') {
    std::string_view z = rest.substr(1);
    std::optional<int> oh, om;
    if (z.size() == 5 && z[2] == ':') {
      oh = parse_digits(z.substr(0, 2), 2);
      om = parse_digits(z.substr(3, 2), 2);
    } else if (z.size() == 4) {
      oh = parse_digits(z.substr(0, 2), 2);
      om = parse_digits(z.substr(2, 2), 2);
    } else if (z.size() == 2) {
      oh = parse_digits(z, 2);
      om = 0;
    }
    if (!oh || !om || *oh > 23 || *om > 59) return std::nullopt;
    offset = (*oh * 3600.0 + *om * 60.0) * (rest[0] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  auto t = to_unix(*year, static_cast<unsigned>(*mon), static_cast<unsigned>(*day), *hour, *minute,
                   second);
  if (!t) return std::nullopt;
  return *t - offset;
}

}  // namespace sever::providers

// RFC 3339 parsing and formatting with Howard Hinnant's civil-date algorithms (no time zones,
// no locale, no allocation when appending).
#include "sever/load/rfc3339.h"

namespace sever::load {
namespace {

constexpr int64_t kDay = 86400;

/// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct Civil {
  int64_t y;
  unsigned m, d;
};

Civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

/// Reads exactly n digits at text[*pos]; false if they are not all digits.
bool read_digits(std::string_view text, size_t* pos, size_t n, unsigned* value) {
  if (*pos + n > text.size()) return false;
  unsigned v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char ch = text[*pos + i];
    if (ch < '0' || ch > '9') return false;
    v = v * 10 + static_cast<unsigned>(ch - '0');
  }
  *pos += n;
  *value = v;
  return true;
}

bool expect(std::string_view text, size_t* pos, char want) {
  if (*pos >= text.size() || text[*pos] != want) return false;
  ++*pos;
  return true;
}

void append_2(unsigned v, std::string* out) {
  out->push_back(static_cast<char>('0' + v / 10));
  out->push_back(static_cast<char>('0' + v % 10));
}

}  // namespace

Result<int64_t> parse_rfc3339(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("not an RFC 3339 timestamp (" + std::string(why) + "): '" +
                                   std::string(text) + "'");
  };
  size_t pos = 0;
  unsigned year, month, day;
  if (!read_digits(text, &pos, 4, &year) || !expect(text, &pos, '-') ||
      !read_digits(text, &pos, 2, &month) || !expect(text, &pos, '-') ||
      !read_digits(text, &pos, 2, &day))
    return bad("want YYYY-MM-DD");
  if (year < 1970) return bad("year before 1970");
  if (month < 1 || month > 12) return bad("month out of range");
  if (day < 1 || day > days_in_month(year, month)) return bad("day out of range");
  const int64_t days = days_from_civil(year, month, day);
  if (pos == text.size()) return days * kDay;

  const char sep = text[pos++];
  if (sep != 'T' && sep != 't' && sep != ' ') return bad("want 'T' after the date");
  unsigned hour, minute, second;
  if (!read_digits(text, &pos, 2, &hour) || !expect(text, &pos, ':') ||
      !read_digits(text, &pos, 2, &minute) || !expect(text, &pos, ':') ||
      !read_digits(text, &pos, 2, &second))
    return bad("want hh:mm:ss");
  if (hour > 23 || minute > 59 || second > 60) return bad("time out of range");
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start) return bad("empty fraction");
  }
  if (pos >= text.size()) return bad("missing 'Z' or offset");
  int64_t offset = 0;
  const char zone = text[pos++];
  if (zone == '+' || zone == '-') {
    unsigned oh, om;
    if (!read_digits(text, &pos, 2, &oh) || !expect(text, &pos, ':') ||
        !read_digits(text, &pos, 2, &om) || oh > 23 || om > 59)
      return bad("bad offset");
    offset = (zone == '+' ? 1 : -1) * static_cast<int64_t>(oh * 3600 + om * 60);
  } else if (zone != 'Z' && zone != 'z') {
    return bad("want 'Z' or an offset");
  }
  if (pos != text.size()) return bad("trailing characters");
  return days * kDay + hour * 3600 + minute * 60 + second - offset;
}

void append_rfc3339(int64_t unix_seconds, std::string* out) {
  const int64_t day = unix_seconds >= 0 ? unix_seconds / kDay : -((-unix_seconds + kDay - 1) / kDay);
  const int64_t secs = unix_seconds - day * kDay;
  const Civil c = civil_from_days(day);
  const unsigned y = static_cast<unsigned>(c.y < 0 ? 0 : (c.y > 9999 ? 9999 : c.y));
  out->push_back(static_cast<char>('0' + y / 1000));
  out->push_back(static_cast<char>('0' + y / 100 % 10));
  append_2(y % 100, out);
  out->push_back('-');
  append_2(c.m, out);
  out->push_back('-');
  append_2(c.d, out);
  out->push_back('T');
  append_2(static_cast<unsigned>(secs / 3600), out);
  out->push_back(':');
  append_2(static_cast<unsigned>(secs / 60 % 60), out);
  out->push_back(':');
  append_2(static_cast<unsigned>(secs % 60), out);
  out->push_back('Z');
}

std::string format_rfc3339(int64_t unix_seconds) {
  std::string s;
  s.reserve(20);
  append_rfc3339(unix_seconds, &s);
  return s;
}

int64_t start_of_utc_day(int64_t unix_seconds) {
  const int64_t r = unix_seconds % kDay;
  return unix_seconds - (r < 0 ? r + kDay : r);
}

}  // namespace sever::load

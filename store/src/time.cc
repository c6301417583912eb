#include "sever/store/time.h"

#include <chrono>

namespace sever {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

Result<int64_t> parse_rfc3339(std::string_view s) {
  auto bad = [&](const char* what) {
    return Status::InvalidArgument("'" + std::string(s) + "' is not an RFC 3339 date-time (" +
                                   what + ")");
  };
  int y, mo, d, h, mi, se;
  if (!digits(s, 0, 4, &y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, &mo) ||
      s[7] != '-' || !digits(s, 8, 2, &d)) {
    return bad("expected YYYY-MM-DDThh:mm:ssZ");
  }
  if (s[10] != 'T' && s[10] != 't') return bad("expected 'T' between date and time");
  if (!digits(s, 11, 2, &h) || s[13] != ':' || !digits(s, 14, 2, &mi) || s[16] != ':' ||
      !digits(s, 17, 2, &se)) {
    return bad("expected hh:mm:ss");
  }
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12) return bad("month out of range");
  if (d < 1 || d > kDays[mo - 1] + (mo == 2 && is_leap(y) ? 1 : 0)) return bad("day out of range");
  if (h > 23 || mi > 59 || se > 60) return bad("time out of range");
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return bad("empty fraction");
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return bad("bad UTC offset");
    }
    offset = (s[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return bad("missing time zone ('Z' or ±hh:mm)");
  }
  if (pos != s.size()) return bad("trailing characters");
  if (se == 60) se = 59;  // leap second: clamp
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset;
}

static void append_2(unsigned v, std::string* out) {
  out->push_back(static_cast<char>('0' + v / 10 % 10));
  out->push_back(static_cast<char>('0' + v % 10));
}

int64_t start_of_utc_day(int64_t t) {
  const int64_t r = t % 86400;
  return t - (r < 0 ? r + 86400 : r);
}

void append_rfc3339(int64_t t, std::string* out) {
  const int64_t day_start = start_of_utc_day(t);
  const int64_t secs = t - day_start;
  int64_t y;
  unsigned m, d;
  civil_from_days(day_start / 86400, &y, &m, &d);
  const auto yy = static_cast<unsigned>(y < 0 ? 0 : (y > 9999 ? 9999 : y));
  append_2(yy / 100, out);
  append_2(yy % 100, out);
  out->push_back('-');
  append_2(m, out);
  out->push_back('-');
  append_2(d, out);
  out->push_back('T');
  append_2(static_cast<unsigned>(secs / 3600), out);
  out->push_back(':');
  append_2(static_cast<unsigned>(secs / 60 % 60), out);
  out->push_back(':');
  append_2(static_cast<unsigned>(secs % 60), out);
  out->push_back('Z');
}

std::string format_rfc3339(int64_t t) {
  std::string s;
  s.reserve(20);
  append_rfc3339(t, &s);
  return s;
}

int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sever

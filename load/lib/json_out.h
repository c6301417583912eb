// Appending JSON pieces to a std::string by hand: the per-line fast path of the generator.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sever::load {

/// Appends s as a JSON string literal, quotes included, escaping '"', '\\' and control
/// characters (bytes >= 0x80 pass through: the input is UTF-8).
inline void append_json_string(std::string_view s, std::string* out) {
  out->push_back('"');
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char ch = static_cast<unsigned char>(s[i]);
    if (ch >= 0x20 && ch != '"' && ch != '\\') continue;
    out->append(s.data() + start, i - start);
    start = i + 1;
    switch (ch) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        const char esc[6] = {'\\', 'u', '0', '0', kHex[ch >> 4], kHex[ch & 0xf]};
        out->append(esc, sizeof esc);
      }
    }
  }
  out->append(s.data() + start, s.size() - start);
  out->push_back('"');
}

/// Appends v in decimal, left-padded with zeros to at least `width` digits.
inline void append_uint(uint64_t v, std::string* out, int width = 1) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n < width && n < static_cast<int>(sizeof buf)) buf[n++] = '0';
  while (n > 0) out->push_back(buf[--n]);
}

}  // namespace sever::load

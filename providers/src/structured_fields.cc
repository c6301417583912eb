#include "structured_fields.h"

namespace sever::providers {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lcalpha(char c) { return c >= 'a' && c <= 'z'; }
bool is_alpha(char c) { return is_lcalpha(c) || (c >= 'A' && c <= 'Z'); }

// RFC 9110 tchar.
bool is_tchar(char c) {
  if (is_alpha(c) || is_digit(c)) return true;
  for (char t : std::string_view("!#$%&'*+-.^_`|~")) {
    if (c == t) return true;
  }
  return false;
}

bool is_base64(char c) { return is_alpha(c) || is_digit(c) || c == '+' || c == '/' || c == '='; }

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  std::optional<std::vector<SfItem>> list() {
    std::vector<SfItem> out;
    skip_sp();
    if (done()) return out;
    while (true) {
      SfItem item;
      if (peek() == '(' || !bare_item(&item.value) || !params(&item.params)) return std::nullopt;
      out.push_back(std::move(item));
      skip_ows();
      if (done()) return out;
      if (peek() != ',') return std::nullopt;
      ++i_;
      skip_ows();
      if (done()) return std::nullopt;  // trailing comma
    }
  }

 private:
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  void skip_sp() {
    while (peek() == ' ') ++i_;
  }
  void skip_ows() {
    while (peek() == ' ' || peek() == '\t') ++i_;
  }

  bool params(std::vector<std::pair<std::string, SfValue>>* out) {
    while (peek() == ';') {
      ++i_;
      skip_sp();
      std::string key;
      if (!param_key(&key)) return false;
      SfValue v;  // a parameter without a value is Boolean true
      if (peek() == '=') {
        ++i_;
        if (!bare_item(&v)) return false;
      }
      out->emplace_back(std::move(key), std::move(v));
    }
    return true;
  }

  bool param_key(std::string* key) {
    if (!(is_lcalpha(peek()) || peek() == '*')) return false;
    while (!done()) {
      char c = peek();
      if (!(is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '.' || c == '*')) break;
      key->push_back(c);
      ++i_;
    }
    return true;
  }

  bool bare_item(SfValue* v) {
    char c = peek();
    if (c == '-' || is_digit(c)) return number(v);
    if (c == '"') return string(v);
    if (c == '*' || is_alpha(c)) return token(v);
    if (c == ':') return bytes(v);
    if (c == '?') return boolean(v);
    return false;
  }

  bool number(SfValue* v) {
    bool negative = peek() == '-';
    if (negative) ++i_;
    size_t start = i_, int_digits = 0, frac_digits = 0;
    bool decimal = false;
    double value = 0, scale = 0.1;
    while (!done()) {
      char c = peek();
      if (is_digit(c)) {
        if (decimal) {
          value += (c - '0') * scale;
          scale /= 10;
          ++frac_digits;
        } else {
          value = value * 10 + (c - '0');
          ++int_digits;
        }
      } else if (c == '.' && !decimal) {
        decimal = true;
      } else {
        break;
      }
      ++i_;
    }
    if (i_ == start || int_digits == 0) return false;
    if (!decimal && int_digits > 15) return false;
    if (decimal && (int_digits > 12 || frac_digits == 0 || frac_digits > 3)) return false;
    v->type = decimal ? SfValue::Type::decimal : SfValue::Type::integer;
    v->number = negative ? -value : value;
    return true;
  }

  bool string(SfValue* v) {
    ++i_;  // opening quote
    v->type = SfValue::Type::string;
    while (!done()) {
      char c = s_[i_++];
      if (c == '"') return true;
      if (c == '\\') {
        if (done()) return false;
        char e = s_[i_++];
        if (e != '"' && e != '\\') return false;
        v->text.push_back(e);
      } else if (c < 0x20 || c > 0x7e) {
        return false;
      } else {
        v->text.push_back(c);
      }
    }
    return false;  // unterminated
  }

  bool token(SfValue* v) {
    v->type = SfValue::Type::token;
    while (!done() && (is_tchar(peek()) || peek() == ':' || peek() == '/')) {
      v->text.push_back(s_[i_++]);
    }
    return true;
  }

  bool bytes(SfValue* v) {
    ++i_;
    v->type = SfValue::Type::bytes;
    while (!done() && peek() != ':') {
      if (!is_base64(peek())) return false;
      v->text.push_back(s_[i_++]);
    }
    if (done()) return false;
    ++i_;
    return true;
  }

  bool boolean(SfValue* v) {
    ++i_;
    if (peek() != '0' && peek() != '1') return false;
    v->type = SfValue::Type::boolean;
    v->boolean = s_[i_++] == '1';
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

const SfValue* SfItem::param(std::string_view key) const {
  for (const auto& [k, v] : params) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::optional<std::vector<SfItem>> parse_sf_list(std::string_view field) {
  if (field.size() > 4096) return std::nullopt;
  // Trailing spaces are not part of the field value.
  while (!field.empty() && (field.back() == ' ' || field.back() == '\t')) field.remove_suffix(1);
  return Parser(field).list();
}

}  // namespace sever::providers

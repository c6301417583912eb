#include "sever/providers/http.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>

namespace sever::providers {

HttpRequest::~HttpRequest() {
  cleanse(url);  // some providers take the token in the path (HubSpot)
  cleanse(body);
  for (auto& [name, value] : headers) cleanse(value);
}

std::string_view HttpResponse::header(std::string_view lowercase_name) const {
  for (const auto& [n, v] : headers) {
    if (n == lowercase_name) return v;
  }
  return {};
}

bool is_allowed_url(std::string_view url) {
  if (url.starts_with("https://")) return url.size() > 8;
  if (!url.starts_with("http://")) return false;
  std::string_view rest = url.substr(7);
  // A user-info part ("http://127.0.0.1:80@remote/") hides the real host: refuse any.
  if (rest.substr(0, rest.find_first_of("/?#")).find('@') != std::string_view::npos) return false;
  std::string_view host;
  if (rest.starts_with("[")) {
    auto end = rest.find(']');
    if (end == std::string_view::npos) return false;
    host = rest.substr(1, end - 1);
    return host == "::1";
  }
  host = rest.substr(0, rest.find_first_of(":/?#"));
  if (host == "localhost") return true;
  // 127.0.0.0/8: four decimal octets, the first 127.
  if (!host.starts_with("127.")) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') ++dots;
    else if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return dots == 3;
}

std::string percent_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out.push_back('&');
    out += percent_encode(k);
    out.push_back('=');
    out += percent_encode(v);
  }
  return out;
}

std::string basic_auth(std::string_view user, std::string_view password) {
  std::string plain;
  plain.reserve(user.size() + password.size() + 1);
  plain.append(user).push_back(':');
  plain.append(password);
  std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(plain.data()),
                          static_cast<int>(plain.size()));
  out.resize(n);
  cleanse(plain);
  return "Basic " + out;
}

}  // namespace sever::providers

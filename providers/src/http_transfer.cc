#include "http_transfer.h"

#include <cerrno>

namespace sever::providers::detail {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

CURLcode GlobalInit() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  return rc;
}

void ScrubBuffer(std::string& s) {
  s.resize(s.capacity());
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

void ScrubMovedFrom(HttpRequest& r) {
  ScrubBuffer(r.url);  // a query string may carry a token
  ScrubBuffer(r.body);
  for (auto& [name, value] : r.headers) ScrubBuffer(value);
}

bool ValidMethod(std::string_view m) {
  if (m.empty() || m.size() > 16) return false;
  for (char c : m) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

bool ValidHeaders(const HttpRequest& r) {
  for (const auto& [name, value] : r.headers) {
    static constexpr std::string_view kBadInName(":\r\n \t\0", 6);
    static constexpr std::string_view kBadInValue("\r\n\0", 3);
    if (name.empty() || name.find_first_of(kBadInName) != std::string::npos) return false;
    if (value.find_first_of(kBadInValue) != std::string::npos) return false;
  }
  return true;
}

bool LoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  if (!host.starts_with("127.")) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

HttpResponse Failure(std::string why) {
  HttpResponse r;
  r.transport_error = std::move(why);
  return r;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  if (t->response.body.size() + len > t->max_body) {
    t->body_too_large = true;
    return 0;  // != len: libcurl aborts with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, len);
  return len;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t len = size * n;
  std::string_view line(data, len);
  auto& headers = t->response.headers;
  if (line.starts_with("HTTP/")) {
    headers.clear();  // a new status line (after a 1xx): keep only the final response's
    return len;
  }
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    std::string_view more = Trim(line);  // obsolete line folding
    if (!headers.empty() && !more.empty()) {
      headers.back().second.push_back(' ');
      headers.back().second.append(more);
    }
    return len;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return len;  // blank line or junk
  std::string name(line.substr(0, colon));
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  headers.emplace_back(std::move(name), std::string(Trim(line.substr(colon + 1))));
  return len;
}

std::string Describe(CURLcode rc, Transfer& t, bool* timed_out) {
  long os_errno = 0;
  curl_easy_getinfo(t.easy, CURLINFO_OS_ERRNO, &os_errno);
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      *timed_out = true;
      return "timeout";
    case CURLE_COULDNT_CONNECT:
      if (os_errno == ECONNREFUSED) return "connection refused";
      break;
    case CURLE_GOT_NOTHING:  // the server closed the connection without answering
      return "connection reset";
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      if (os_errno == ECONNRESET || os_errno == EPIPE || os_errno == ECONNABORTED) {
        return "connection reset";
      }
      break;
    case CURLE_WRITE_ERROR:
      if (t.body_too_large) {
        return "response body exceeds " + std::to_string(t.max_body) + " bytes";
      }
      break;
    default:
      break;
  }
  // The error buffer names host and port at most, never the path or query of the URL.
  std::string text = curl_easy_strerror(rc);
  if (t.error[0] != '\0') {
    text += ": ";
    text += t.error;
  }
  return text;
}

}  // namespace sever::providers::detail

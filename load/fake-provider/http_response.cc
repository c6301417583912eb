#include "http_response.h"

#include <charconv>

#include "codec.h"

namespace sever::fake {
namespace {

void append_int(std::string* out, uint64_t v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, static_cast<size_t>(end - buf));
}

bool has_no_content(int status) { return status < 200 || status == 204 || status == 304; }

}  // namespace

const std::string& DateCache::get(int64_t unix_seconds) {
  if (unix_seconds != second_) {
    second_ = unix_seconds;
    text_ = http_date(unix_seconds);
  }
  return text_;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 529: return "Site is overloaded";
    default: return "Status";
  }
}

void append_response(const Decision& d, bool close, int minor_version, std::string_view date,
                     std::string* out) {
  out->append("HTTP/1.1 ");
  append_int(out, static_cast<uint64_t>(d.status));
  out->push_back(' ');
  out->append(reason_phrase(d.status));
  out->append("\r\nDate: ");
  out->append(date);
  out->append("\r\n");
  if (!has_no_content(d.status)) {
    out->append("Content-Length: ");
    append_int(out, d.body.size());
    out->append("\r\n");
    if (!d.body.empty()) {
      out->append("Content-Type: ");
      out->append(d.content_type);
      out->append("\r\n");
    }
  }
  out->append(d.headers);
  if (close) {
    out->append("Connection: close\r\n");
  } else if (minor_version == 0) {
    out->append("Connection: keep-alive\r\n");
  }
  out->append("\r\n");
  if (!has_no_content(d.status)) out->append(d.body);
}

void append_error_response(int status, std::string_view date, std::string* out) {
  Decision d;
  d.status = status;
  d.body = R"({"error":")" + std::string(reason_phrase(status)) + "\"}";
  append_response(d, true, 1, date, out);
}

}  // namespace sever::fake

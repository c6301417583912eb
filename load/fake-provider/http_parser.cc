#include "http_parser.h"

#include <charconv>
#include <cstring>

#include "codec.h"

namespace sever::fake {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// Returns true iff the comma-separated header value holds `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    if (comma == std::string_view::npos) comma = value.size();
    if (iequals(trim(value.substr(0, comma)), token)) return true;
    value.remove_prefix(comma == value.size() ? comma : comma + 1);
  }
  return false;
}

ParseResult fail(int status) { return {ParseState::error, 0, status}; }

bool is_tchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

/// Parses "METHOD SP target SP HTTP/1.x" into out. Returns 0 or an error status.
int parse_request_line(std::string_view line, Request* out) {
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return 400;
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return 400;
  out->method = line.substr(0, sp1);
  for (const char c : out->method) {
    if (!is_tchar(c)) return 400;
  }
  out->target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/") return 400;
  if (version[5] != '1' || version[6] != '.' || version[7] < '0' || version[7] > '9') return 505;
  out->minor_version = version[7] - '0';
  if (out->target.empty() || out->target.front() != '/') return 400;
  const size_t q = out->target.find('?');
  out->path = out->target.substr(0, q);
  out->query = q == std::string_view::npos ? std::string_view() : out->target.substr(q + 1);
  return 0;
}

}  // namespace

std::string_view Request::header(std::string_view name) const {
  for (size_t i = 0; i < header_count; ++i) {
    if (iequals(headers[i].name, name)) return headers[i].value;
  }
  return {};
}

ParseResult parse_request(std::string_view buf, const ParseLimits& limits, Request* out) {
  // Tolerate empty lines between pipelined requests (RFC 9112 §2.2).
  size_t start = 0;
  while (start + 1 < buf.size() && buf[start] == '\r' && buf[start + 1] == '\n') start += 2;
  const size_t end = buf.find("\r\n\r\n", start);
  if (end == std::string_view::npos) {
    if (buf.size() - start > limits.max_header_bytes) return fail(431);
    return {ParseState::need_headers, 0, 0};
  }
  if (end - start > limits.max_header_bytes) return fail(431);

  *out = Request{};
  std::string_view block = buf.substr(start, end - start);
  size_t eol = block.find("\r\n");
  const std::string_view line = block.substr(0, eol);
  if (const int status = parse_request_line(line, out); status != 0) return fail(status);

  bool has_length = false;
  bool chunked = false;
  std::string_view connection;
  while (eol != std::string_view::npos) {
    block.remove_prefix(eol + 2);
    eol = block.find("\r\n");
    const std::string_view h = block.substr(0, eol);
    const size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) return fail(400);
    const std::string_view name = h.substr(0, colon);
    for (const char c : name) {
      if (!is_tchar(c)) return fail(400);
    }
    const std::string_view value = trim(h.substr(colon + 1));
    if (out->header_count == Request::kMaxHeaders) return fail(431);
    out->headers[out->header_count++] = {name, value};
    if (iequals(name, "content-length")) {
      size_t n = 0;
      const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || ec != std::errc() || p != value.data() + value.size()) return fail(400);
      if (has_length && n != out->content_length) return fail(400);
      has_length = true;
      out->content_length = n;
    } else if (iequals(name, "transfer-encoding")) {
      chunked = true;
    } else if (iequals(name, "connection")) {
      connection = value;
    } else if (iequals(name, "expect")) {
      if (!iequals(value, "100-continue")) return fail(417);
      out->expect_continue = true;
    }
  }
  if (chunked) return fail(411);
  if (out->content_length > limits.max_body_bytes) return fail(413);
  out->keep_alive = out->minor_version >= 1 ? !has_token(connection, "close")
                                            : has_token(connection, "keep-alive");

  const size_t body_start = end + 4;
  if (buf.size() - body_start < out->content_length) return {ParseState::need_body, 0, 0};
  out->body = buf.substr(body_start, out->content_length);
  return {ParseState::complete, body_start + out->content_length, 0};
}

}  // namespace sever::fake

// An HTTP/1.1 request parser over a connection's input buffer: no copies, pipelining-safe.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace sever::fake {

/// One parsed request. Every view points into the buffer given to parse_request and is valid
/// until that buffer changes.
struct Request {
  std::string_view method;
  std::string_view target;  // as sent: path and query
  std::string_view path;    // target before '?'
  std::string_view query;   // target after '?', empty if none
  int minor_version = 1;    // HTTP/1.<minor>
  bool keep_alive = true;   // after this request, per version and Connection header
  bool expect_continue = false;
  size_t content_length = 0;
  std::string_view body;

  static constexpr size_t kMaxHeaders = 48;
  struct Header {
    std::string_view name;
    std::string_view value;
  };
  std::array<Header, kMaxHeaders> headers{};
  size_t header_count = 0;

  /// Returns the value of the first header with this name (case-insensitive), or an empty view.
  std::string_view header(std::string_view name) const;
};

/// What parse_request found at the start of the buffer.
enum class ParseState {
  complete,       // a whole request: `consumed` bytes belong to it
  need_headers,   // the header block is not complete yet
  need_body,      // headers complete (request fields filled), body not yet all here
  error,          // malformed or over a limit: answer `error_status` and close
};

struct ParseResult {
  ParseState state = ParseState::need_headers;
  size_t consumed = 0;    // complete: bytes of header block + body
  int error_status = 0;   // error: 400, 411, 413, 431, 501 or 505
};

/// Limits the parser enforces.
struct ParseLimits {
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 64 * 1024;
};

/// Parses one request from the start of `buf` into `out`. Requests with a body must carry
/// Content-Length; Transfer-Encoding (chunked) is refused with 411. Never reads past `buf`.
ParseResult parse_request(std::string_view buf, const ParseLimits& limits, Request* out);

}  // namespace sever::fake

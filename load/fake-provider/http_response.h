// Serialises answers as HTTP/1.1 responses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine.h"

namespace sever::fake {

/// The Date header value, formatted at most once per second. One per thread.
class DateCache {
 public:
  /// Returns the IMF-fixdate of `unix_seconds`.
  const std::string& get(int64_t unix_seconds);

 private:
  int64_t second_ = -1;
  std::string text_;
};

/// Returns the reason phrase of a status code ("Too Many Requests"); "Status" if unknown.
std::string_view reason_phrase(int status);

/// Appends the response for `d` to `out`. `close` adds Connection: close; for HTTP/1.0
/// clients a kept-alive connection is announced with Connection: keep-alive.
void append_response(const Decision& d, bool close, int minor_version, std::string_view date,
                     std::string* out);

/// Appends a minimal error response (parse failures) with Connection: close.
void append_error_response(int status, std::string_view date, std::string* out);

}  // namespace sever::fake

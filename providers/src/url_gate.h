// Internal to the providers module: the check every request's URL passes before it goes out,
// with the verdict kept per origin. Owned by one client thread (not thread-safe).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sever::providers::detail {

class UrlGate {
 public:
  /// Returns "" when the URL may go out, or why not. is_allowed_url reads the text; this checks
  /// the host libcurl would connect to, parsed as libcurl parses it, so
  /// "http://127.0.0.1:80@example.com/" (user info, then a remote host) is refused too. The
  /// verdict is kept per origin ("scheme://host:port" up to the path) when the origin holds
  /// nothing but host and port characters: such an origin names the same host in every URL.
  std::string Check(const std::string& url);

 private:
  /// Parses the whole URL and checks its scheme and host. Sets *about_origin when the verdict
  /// rests on them alone (not on a malformed URL or a failed allocation), so it may be kept.
  static std::string ParseAndCheck(const std::string& url, bool* about_origin);

  static constexpr size_t kMaxOrigins = 1024;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  // origin → Check's verdict
  std::unordered_map<std::string, std::string, Hash, std::equal_to<>> origins_;
};

}  // namespace sever::providers::detail

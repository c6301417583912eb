#include "url_gate.h"

#include <curl/curl.h>

#include <cstring>

#include "http_transfer.h"

namespace sever::providers::detail {

std::string UrlGate::Check(const std::string& url) {
  const size_t start = url.find("://");
  size_t end = start == std::string::npos ? 0 : url.find('/', start + 3);
  std::string_view origin;
  if (end != std::string::npos && end > start + 3) {
    origin = std::string_view(url).substr(0, end);
    static constexpr std::string_view kPlain =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]";
    if (origin.substr(start + 3).find_first_not_of(kPlain) != std::string_view::npos) origin = {};
  }
  if (!origin.empty()) {
    if (auto it = origins_.find(origin); it != origins_.end()) return it->second;
  }
  bool about_origin = false;
  std::string verdict = ParseAndCheck(url, &about_origin);
  if (about_origin && !origin.empty() && origins_.size() < kMaxOrigins) {
    origins_.emplace(origin, verdict);
  }
  return verdict;
}

std::string UrlGate::ParseAndCheck(const std::string& url, bool* about_origin) {
  CURLU* u = curl_url();
  if (u == nullptr) return "request setup failed: out of memory";
  std::string verdict = kRefusedUrl;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    verdict = "refused: malformed URL";
  } else {
    char* scheme = nullptr;
    char* host = nullptr;
    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    curl_url_get(u, CURLUPART_HOST, &host, 0);
    *about_origin = scheme != nullptr && host != nullptr;
    if (*about_origin && (std::strcmp(scheme, "https") == 0 ||
                          (std::strcmp(scheme, "http") == 0 && LoopbackHost(host)))) {
      verdict.clear();
    }
    curl_free(scheme);
    curl_free(host);
  }
  curl_url_cleanup(u);
  return verdict;
}

}  // namespace sever::providers::detail

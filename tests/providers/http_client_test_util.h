// Helpers shared by the HTTP client tests: requests, a started client, one blocking fetch, and a
// collector of many callbacks.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sever/providers/http_client.h"

namespace sever::providers::testing {

/// Returns a request with the method, URL, body and headers.
inline HttpRequest Req(std::string method, std::string url, std::string body = "",
                       std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

/// Starts a client with the options (a test failure when it does not start).
inline std::unique_ptr<HttpClient> StartClient(HttpClientOptions options = {}) {
  auto client = HttpClient::Start(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return std::move(client).value();
}

/// Runs one request and returns its response (fails the test after 20 s).
inline HttpResponse Fetch(HttpClient& client, HttpRequest request, long timeout_ms = 0) {
  auto promise = std::make_shared<std::promise<HttpResponse>>();
  auto future = promise->get_future();
  client.Submit(std::move(request), [promise](HttpResponse r) { promise->set_value(std::move(r)); },
                timeout_ms);
  if (future.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    ADD_FAILURE() << "no callback within 20 s";
    std::abort();  // the callback would later touch a dead promise's state otherwise
  }
  return future.get();
}

/// Collects many responses, counting callbacks per request index.
class Collector {
 public:
  explicit Collector(size_t n) : calls_(n) {
    for (auto& c : calls_) c.store(0);
  }
  HttpClient::Callback For(size_t i) {
    return [this, i](HttpResponse r) {
      calls_[i].fetch_add(1);
      std::lock_guard<std::mutex> lock(mu_);
      threads_.insert_or_assign(std::this_thread::get_id(), true);
      responses_.push_back(std::move(r));
      cv_.notify_all();
    };
  }
  /// Returns true iff n callbacks ran within the time.
  bool WaitFor(size_t n, std::chrono::milliseconds within) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, within, [&] { return responses_.size() >= n; });
  }
  int calls(size_t i) const { return calls_[i].load(); }
  size_t size() const { return calls_.size(); }
  std::vector<HttpResponse> responses() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::move(responses_);
  }
  size_t thread_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return threads_.size();
  }
  bool ran_on(std::thread::id id) {
    std::lock_guard<std::mutex> lock(mu_);
    return threads_.count(id) > 0;
  }

 private:
  std::vector<std::atomic<int>> calls_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<HttpResponse> responses_;
  std::map<std::thread::id, bool> threads_;
};

/// Returns the seconds elapsed since `since`.
inline double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace sever::providers::testing

#include "http_loops.h"

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

#include <curl/curl.h>

#include "bench_util.h"
#include "sever/providers/http_client.h"

namespace sever::load {

double bare_curl_multi(const std::vector<providers::HttpRequest>& requests, int parallel) {
  CURLM* m = curl_multi_init();
  curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(parallel));
  std::vector<curl_slist*> headers(parallel, nullptr);
  size_t started = 0, done = 0;
  auto add = [&](CURL* e, size_t slot) {
    const providers::HttpRequest& r = requests[started++];
    curl_slist_free_all(headers[slot]);
    headers[slot] = curl_slist_append(nullptr, "Expect:");
    for (const auto& [name, value] : r.headers) {
      headers[slot] = curl_slist_append(headers[slot], (name + ": " + value).c_str());
    }
    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers[slot]);
    // As sever's client does: back to a GET, then this request's method and body.
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, static_cast<const char*>(nullptr));
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    const bool plain = r.method == "GET" || r.method == "POST";
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, plain ? nullptr : r.method.c_str());
    if (r.method == "POST" || !r.body.empty()) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.c_str());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(r.body.size()));
    }
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, +[](char*, size_t s, size_t n, void*) { return s * n; });
    // Without it libcurl brackets each transfer's every step with two sigaction calls.
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PRIVATE, reinterpret_cast<void*>(slot));
    curl_multi_add_handle(m, e);
  };
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < parallel && started < requests.size(); ++i) add(curl_easy_init(), i);
  while (done < requests.size()) {
    int running = 0;
    curl_multi_perform(m, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(m, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* e = msg->easy_handle;
      void* slot = nullptr;
      curl_easy_getinfo(e, CURLINFO_PRIVATE, &slot);
      curl_multi_remove_handle(m, e);
      ++done;
      if (started < requests.size()) add(e, reinterpret_cast<size_t>(slot));
      else curl_easy_cleanup(e);
    }
    if (done < requests.size()) curl_multi_poll(m, nullptr, 0, 100, nullptr);
  }
  const double secs = cli::since(t0);
  for (curl_slist* h : headers) curl_slist_free_all(h);
  curl_multi_cleanup(m);
  return secs;
}

Result<double> client_loop(const std::vector<providers::HttpRequest>& requests, size_t parallel,
                           size_t threads) {
  providers::HttpClientOptions o;
  o.max_in_flight = parallel;
  o.max_host_connections = static_cast<long>(parallel);  // as the revocation run sets it
  o.threads = threads;
  SEVER_ASSIGN_OR_RETURN(auto client, providers::HttpClient::Start(o));
  const size_t n = requests.size();
  std::atomic<size_t> next{0}, done{0}, failed{0};
  std::mutex mu;
  std::condition_variable cv;
  std::function<void()> submit = [&] {
    const size_t i = next.fetch_add(1);
    if (i >= n) return;
    const providers::HttpRequest& from = requests[i];
    providers::HttpRequest r;  // sever's adapters build each request afresh too
    r.method = from.method;
    r.url = from.url;
    r.headers = from.headers;
    r.body = from.body;
    client->Submit(std::move(r), [&](providers::HttpResponse resp) {
      if (resp.status == 0) failed.fetch_add(1);
      if (done.fetch_add(1) + 1 == n) {
        std::lock_guard<std::mutex> lock(mu);
        cv.notify_all();
      } else {
        submit();
      }
    });
  };
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < parallel; ++i) submit();
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done.load() == n; });
  }
  const double secs = cli::since(t0);
  if (failed.load() > 0) {
    return Status::Internal(std::to_string(failed.load()) + " requests failed in transport");
  }
  return secs;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return cli::rusage_cpu_seconds(u);
}

}  // namespace sever::load

#include "sever/providers/http_client.h"

#include <curl/curl.h>
#include <openssl/crypto.h>

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "http_transfer.h"
#include "url_gate.h"

namespace sever::providers {
namespace {
using detail::Describe;
using detail::Failure;
using detail::GlobalInit;
using detail::kRefusedUrl;
using detail::kStopped;
using detail::OnBody;
using detail::OnHeader;
using detail::Pending;
using detail::ScrubBuffer;
using detail::ScrubMovedFrom;
using detail::Transfer;
using detail::ValidHeaders;
using detail::ValidMethod;

/// One thread driving one libcurl multi handle: a share of the client's transfers.
class Lane {
 public:
  using Callback = HttpClient::Callback;

  explicit Lane(HttpClientOptions options) : options_(std::move(options)) {}

  ~Lane() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      if (multi_ != nullptr) curl_multi_wakeup(multi_);
    }
    if (thread_.joinable()) thread_.join();
    pool_.clear();  // easy handles go before the multi handle
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
  }

  Status Init() {
    if (GlobalInit() != CURLE_OK) return Status::Internal("curl_global_init failed");
    multi_ = curl_multi_init();
    if (multi_ == nullptr) return Status::Internal("curl_multi_init failed");
    long cache = std::max<long>(static_cast<long>(options_.max_in_flight),
                                options_.max_total_connections);
    if (curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX) != CURLM_OK ||
        curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS,
                          options_.max_host_connections) != CURLM_OK ||
        curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                          options_.max_total_connections) != CURLM_OK ||
        curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, cache) != CURLM_OK) {
      return Status::Internal("curl_multi_setopt failed");
    }
    pool_.reserve(options_.max_in_flight);
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "sever-http");
      Run();
    });
    return Status::Ok();
  }

  void Submit(HttpRequest request, Callback done, long timeout_ms) {
    auto job = std::make_unique<Pending>();
    job->request = std::move(request);  // the only move of the request's strings
    ScrubMovedFrom(request);
    job->done = std::move(done);
    job->timeout_ms = timeout_ms;
    outstanding_.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!stopping_) {
        // The thread takes the whole queue at once: only the first submission after it
        // emptied the queue needs to wake it. Woken under the lock so that a destructor
        // cannot free the multi handle in between.
        bool wake = incoming_.empty();
        incoming_.push_back(std::move(job));
        if (wake) curl_multi_wakeup(multi_);
        return;
      }
    }
    Complete(std::move(job), Failure(kStopped));
  }

  size_t in_flight() const { return outstanding_.load(std::memory_order_relaxed); }

 private:
  /// The client thread: starts queued transfers, drives libcurl, reaps completions.
  void Run() {
    std::vector<std::unique_ptr<Pending>> batch;
    for (;;) {
      bool stop;
      {
        std::lock_guard<std::mutex> lock(mu_);
        batch.swap(incoming_);
        stop = stopping_;
      }
      for (auto& job : batch) waiting_.push_back(std::move(job));
      batch.clear();
      if (stop) break;
      StartWaiting();
      int running = 0;
      curl_multi_perform(multi_, &running);
      Reap();
      if (!waiting_.empty() && active_ < options_.max_in_flight) continue;  // slots freed
      curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
    }
    StopAll();
  }

  /// Starts queued requests while there is room; refuses the ones that may not go out.
  void StartWaiting() {
    while (active_ < options_.max_in_flight && !waiting_.empty()) {
      std::unique_ptr<Pending> job = std::move(waiting_.front());
      waiting_.pop_front();
      const HttpRequest& r = job->request;
      if (!is_allowed_url(r.url)) {
        Complete(std::move(job), Failure(kRefusedUrl));
        continue;
      }
      if (!ValidMethod(r.method)) {
        Complete(std::move(job), Failure("refused: invalid HTTP method"));
        continue;
      }
      if (!ValidHeaders(r)) {
        Complete(std::move(job), Failure("refused: invalid header name or value"));
        continue;
      }
      Transfer* t = Acquire();
      t->job = std::move(job);
      std::string refused = Setup(*t);
      if (!refused.empty()) {
        Finish(t, Failure(std::move(refused)));
        continue;
      }
      if (curl_multi_add_handle(multi_, t->easy) != CURLM_OK) {
        Finish(t, Failure("curl_multi_add_handle failed"));
        continue;
      }
      ++active_;
    }
  }

  /// Returns a transfer from the pool (a new one when the pool is empty).
  Transfer* Acquire() {
    if (free_.empty()) {
      auto t = std::make_unique<Transfer>();
      t->max_body = options_.max_response_body;
      free_.push_back(t.get());
      pool_.push_back(std::move(t));
    }
    Transfer* t = free_.back();
    free_.pop_back();
    if (t->easy == nullptr) {
      t->easy = curl_easy_init();
      if (t->easy != nullptr && ConfigureOnce(*t) != CURLE_OK) {
        curl_easy_cleanup(t->easy);
        t->easy = nullptr;
      }
    }
    return t;
  }

  /// Sets every option of the transfer; returns why it cannot go out, or "".
  std::string Setup(Transfer& t) {
    if (t.easy == nullptr) return "request setup failed: out of memory";
    std::string refused = url_gate_.Check(t.job->request.url);
    if (!refused.empty()) return refused;
    CURLcode rc = Configure(t);
    if (rc != CURLE_OK) return std::string("request setup failed: ") + curl_easy_strerror(rc);
    return "";
  }

  /// Sets the options every transfer of this handle shares, once per easy handle.
  CURLcode ConfigureOnce(Transfer& t) {
    CURL* e = t.easy;
    CURLcode rc = CURLE_OK;
    auto set = [&](CURLoption opt, auto value) {
      if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, value);
    };
    set(CURLOPT_PRIVATE, static_cast<void*>(&t));
    set(CURLOPT_NOSIGNAL, 1L);
    set(CURLOPT_PROTOCOLS_STR, "http,https");
    set(CURLOPT_REDIR_PROTOCOLS_STR, "https");
    set(CURLOPT_FOLLOWLOCATION, 0L);
    set(CURLOPT_SSL_VERIFYPEER, 1L);
    set(CURLOPT_SSL_VERIFYHOST, 2L);
    set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    if (!options_.ca_file.empty()) set(CURLOPT_CAINFO, options_.ca_file.c_str());
    set(CURLOPT_TCP_KEEPALIVE, 1L);
    set(CURLOPT_TCP_KEEPIDLE, 30L);
    set(CURLOPT_TCP_KEEPINTVL, 15L);
    set(CURLOPT_USERAGENT, options_.user_agent.c_str());
    set(CURLOPT_ERRORBUFFER, t.error);
    set(CURLOPT_WRITEFUNCTION, &OnBody);
    set(CURLOPT_WRITEDATA, static_cast<void*>(&t));
    set(CURLOPT_HEADERFUNCTION, &OnHeader);
    set(CURLOPT_HEADERDATA, static_cast<void*>(&t));
    return rc;
  }

  /// Sets the options of this request on a handle ConfigureOnce prepared; returns the first
  /// failure. Every option a request may set is set again here (to its default when unused),
  /// so nothing of the handle's previous request carries over.
  CURLcode Configure(Transfer& t) {
    CURL* e = t.easy;
    HttpRequest& r = t.job->request;
    long timeout = t.job->timeout_ms > 0 ? t.job->timeout_ms : options_.default_timeout_ms;
    bool https = r.url.starts_with("https://");
    CURLcode rc = CURLE_OK;
    auto set = [&](CURLoption opt, auto value) {
      if (rc == CURLE_OK) rc = curl_easy_setopt(e, opt, value);
    };
    set(CURLOPT_URL, r.url.c_str());
    if (https) {
      set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
      set(CURLOPT_PIPEWAIT, 1L);  // prefer multiplexing on one h2 connection to opening more
      set(CURLOPT_PROXY, static_cast<const char*>(nullptr));  // the *_proxy environment
    } else {
      set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
      set(CURLOPT_PIPEWAIT, 0L);
      set(CURLOPT_PROXY, "");  // plaintext never leaves the host through a proxy
    }
    set(CURLOPT_CONNECTTIMEOUT_MS, std::min(options_.connect_timeout_ms, timeout));
    set(CURLOPT_TIMEOUT_MS, timeout);
    // The method: back to a plain GET without a body first, then this request's.
    set(CURLOPT_POSTFIELDS, static_cast<const char*>(nullptr));
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(-1));
    set(CURLOPT_CUSTOMREQUEST, static_cast<const char*>(nullptr));
    set(CURLOPT_NOBODY, 0L);
    set(CURLOPT_HTTPGET, 1L);  // what a GET without a body needs, and nothing more
    if (r.method == "HEAD" && r.body.empty()) {
      set(CURLOPT_NOBODY, 1L);
    } else if (r.method != "GET" || !r.body.empty()) {
      if (r.method == "POST") {
        set(CURLOPT_POST, 1L);
      } else {
        set(CURLOPT_CUSTOMREQUEST, r.method.c_str());
      }
      if (r.method == "POST" || !r.body.empty()) {
        // libcurl reads the request's own buffer (no copy); the job outlives the transfer.
        set(CURLOPT_POSTFIELDS, static_cast<const char*>(r.body.data()));
        set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
      }
    }
    if (rc != CURLE_OK) return rc;

    // curl_slist_append copies each line: those copies are zeroized in ReleaseHeaders.
    std::string line;
    auto append = [&](const std::string& text) {
      curl_slist* next = curl_slist_append(t.headers, text.c_str());
      if (next == nullptr) return false;
      t.headers = next;
      return true;
    };
    bool ok = append("Expect:");  // never wait for a 100 Continue
    for (const auto& [name, value] : r.headers) {
      if (!ok) break;
      line.clear();
      line.append(name);
      if (value.empty()) {
        line.push_back(';');  // libcurl's syntax for a header with an empty value
      } else {
        line.append(": ");
        line.append(value);
      }
      ok = append(line);
    }
    ScrubBuffer(line);
    if (!ok) return CURLE_OUT_OF_MEMORY;
    return curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
  }

  /// Hands every finished transfer to its callback.
  void Reap() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      CURLcode rc = msg->data.result;  // msg is freed by the remove below
      void* priv = nullptr;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
      auto* t = static_cast<Transfer*>(priv);
      curl_multi_remove_handle(multi_, easy);
      --active_;
      HttpResponse& resp = t->response;
      curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME, &resp.seconds);
      if (rc == CURLE_OK) {
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &resp.status);
      } else {
        resp.status = 0;
        resp.headers.clear();
        resp.body.clear();
        resp.transport_error = Describe(rc, *t, &resp.timed_out);
      }
      Finish(t, std::move(resp));
    }
  }

  /// Returns the transfer to the pool (zeroizing what it held) and runs the callback.
  void Finish(Transfer* t, HttpResponse response) {
    std::unique_ptr<Pending> job = std::move(t->job);
    t->ReleaseHeaders();
    t->response = HttpResponse();
    t->body_too_large = false;
    t->error[0] = '\0';
    free_.push_back(t);
    Complete(std::move(job), std::move(response));
  }

  /// Destroys the request (zeroizing it) and runs the callback once.
  void Complete(std::unique_ptr<Pending> job, HttpResponse response) {
    Callback done = std::move(job->done);
    job.reset();
    outstanding_.fetch_sub(1, std::memory_order_relaxed);
    try {
      if (done) done(std::move(response));
    } catch (...) {
      // A callback must not throw; swallowing keeps the other transfers running.
    }
  }

  /// Fails every running and queued transfer with "client stopped".
  void StopAll() {
    for (auto& t : pool_) {
      if (t->job == nullptr) continue;
      curl_multi_remove_handle(multi_, t->easy);
      --active_;
      Finish(t.get(), Failure(kStopped));
    }
    while (!waiting_.empty()) {
      std::unique_ptr<Pending> job = std::move(waiting_.front());
      waiting_.pop_front();
      Complete(std::move(job), Failure(kStopped));
    }
  }

  const HttpClientOptions options_;
  CURLM* multi_ = nullptr;
  std::thread thread_;

  std::mutex mu_;                                   // guards incoming_ and stopping_
  std::vector<std::unique_ptr<Pending>> incoming_;  // submitted, not yet seen by the thread
  bool stopping_ = false;
  std::atomic<size_t> outstanding_{0};              // submitted, callback not yet started

  // Owned by the client thread.
  std::deque<std::unique_ptr<Pending>> waiting_;  // over max_in_flight
  std::vector<std::unique_ptr<Transfer>> pool_;   // every easy handle
  std::vector<Transfer*> free_;                   // idle ones
  size_t active_ = 0;                             // in the multi handle
  detail::UrlGate url_gate_;                      // the URL check, with its verdicts
};

}  // namespace

/// The lanes of the client: requests go to them in turn.
class HttpClient::Impl {
 public:
  explicit Impl(const HttpClientOptions& options) {
    const size_t n = std::clamp<size_t>(options.threads, 1, options.max_in_flight);
    // Lane i's share of a total split over n lanes (at least 1); 0 stays "no limit".
    auto share = [n](long total, size_t i) {
      if (total <= 0) return total;
      const long lanes = static_cast<long>(n), extra = static_cast<long>(i) < total % lanes;
      return std::max<long>(1, total / lanes + extra);
    };
    for (size_t i = 0; i < n; ++i) {
      HttpClientOptions o = options;
      o.max_in_flight = static_cast<size_t>(share(static_cast<long>(options.max_in_flight), i));
      o.max_host_connections = share(options.max_host_connections, i);
      o.max_total_connections = share(options.max_total_connections, i);
      lanes_.push_back(std::make_unique<Lane>(std::move(o)));
    }
  }

  Status Init() {
    for (auto& lane : lanes_) SEVER_RETURN_IF_ERROR(lane->Init());
    return Status::Ok();
  }

  void Submit(HttpRequest request, Callback done, long timeout_ms) {
    const size_t i = next_.fetch_add(1, std::memory_order_relaxed) % lanes_.size();
    lanes_[i]->Submit(std::move(request), std::move(done), timeout_ms);
  }

  size_t in_flight() const {
    size_t n = 0;
    for (const auto& lane : lanes_) n += lane->in_flight();
    return n;
  }

 private:
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::atomic<size_t> next_{0};
};

Result<std::unique_ptr<HttpClient>> HttpClient::Start(HttpClientOptions options) {
  if (options.max_in_flight == 0) {
    return Status::InvalidArgument("http client: max_in_flight must be at least 1");
  }
  if (options.connect_timeout_ms <= 0 || options.default_timeout_ms <= 0) {
    return Status::InvalidArgument("http client: timeouts must be positive");
  }
  if (!options.ca_file.empty()) {
    std::FILE* f = std::fopen(options.ca_file.c_str(), "rb");
    if (f == nullptr) {
      return Status::InvalidArgument("http client: cannot read ca_file " + options.ca_file +
                                     ": " + std::strerror(errno));
    }
    std::fclose(f);
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  SEVER_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpClient::~HttpClient() = default;

void HttpClient::Submit(HttpRequest request, Callback done, long timeout_ms) {
  impl_->Submit(std::move(request), std::move(done), timeout_ms);
}

size_t HttpClient::in_flight() const { return impl_->in_flight(); }

}  // namespace sever::providers

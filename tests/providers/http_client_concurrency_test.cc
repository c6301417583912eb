// Tests of the libcurl multi client under load: many requests, the in-flight bound, several
// submitting threads, callbacks that submit again, and destruction with transfers in flight;
// and a throughput benchmark run by hand.
#include "sever/providers/http_client.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http_client_test_util.h"
#include "http_test_server.h"

namespace sever::providers {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using testing::Collector;
using testing::Req;
using testing::Seconds;
using testing::StartClient;
using testing::TestServer;

TEST(HttpClientTest, ManyRequestsCompleteOnceAndReuseConnections) {
  TestServer server;
  HttpClientOptions options;
  options.max_in_flight = 64;
  constexpr size_t kN = 2000;
  Collector got(kN);
  auto client = StartClient(options);
  for (size_t i = 0; i < kN; ++i) {
    client->Submit(Req("POST", server.url("/ok?i=" + std::to_string(i)), "token=t"), got.For(i));
  }
  ASSERT_TRUE(got.WaitFor(kN, milliseconds(60000)));
  std::this_thread::sleep_for(milliseconds(50));  // a duplicate callback would show now
  for (size_t i = 0; i < kN; ++i) EXPECT_EQ(got.calls(i), 1) << i;
  for (const auto& r : got.responses()) {
    EXPECT_EQ(r.status, 200) << r.transport_error;
    EXPECT_EQ(r.body, "hello");
  }
  EXPECT_EQ(server.requests(), static_cast<int>(kN));
  EXPECT_LE(server.accepted(), 70);
  EXPECT_EQ(client->in_flight(), 0u);
  EXPECT_EQ(got.thread_count(), 1u) << "every callback runs on the client's thread";
  EXPECT_FALSE(got.ran_on(std::this_thread::get_id()));
}

TEST(HttpClientTest, MaxInFlightBoundsConcurrencyOverEveryThread) {
  for (size_t threads : {1, 2}) {
    SCOPED_TRACE("threads " + std::to_string(threads));
    TestServer server;
    HttpClientOptions options;
    options.threads = threads;
    options.max_in_flight = 4;  // with two threads, two on each
    Collector got(12);
    auto client = StartClient(options);
    auto start = Clock::now();
    for (size_t i = 0; i < 12; ++i) {
      client->Submit(Req("GET", server.url("/slow?ms=500")), got.For(i));
    }
    for (int i = 0; i < 500 && server.requests() < 4; ++i) {
      std::this_thread::sleep_for(milliseconds(2));
    }
    EXPECT_EQ(client->in_flight(), 12u);
    std::this_thread::sleep_for(milliseconds(50));
    EXPECT_EQ(server.requests(), 4);  // the other 8 wait in the client's queues
    ASSERT_TRUE(got.WaitFor(12, milliseconds(20000)));
    EXPECT_GE(Seconds(start), 1.45);  // three rounds of 500 ms
    EXPECT_LE(server.accepted(), 4);
    for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got.calls(i), 1) << i;
    EXPECT_EQ(got.thread_count(), threads) << "each thread ran its share of the callbacks";
    EXPECT_EQ(client->in_flight(), 0u);
  }
}

TEST(HttpClientTest, SubmitFromSeveralThreads) {
  TestServer server;
  HttpClientOptions options;
  options.max_in_flight = 32;
  constexpr size_t kThreads = 4, kEach = 500;
  Collector got(kThreads * kEach);
  auto client = StartClient(options);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < kEach; ++i) {
        size_t n = t * kEach + i;
        client->Submit(Req("POST", server.url("/ok?n=" + std::to_string(n)), "x"), got.For(n));
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(got.WaitFor(kThreads * kEach, milliseconds(60000)));
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got.calls(i), 1) << i;
  for (const auto& r : got.responses()) EXPECT_EQ(r.status, 200) << r.transport_error;
}

TEST(HttpClientTest, CallbackMaySubmitAgain) {
  TestServer server;
  std::promise<int> done;
  std::atomic<int> hops{0};
  std::function<void(HttpResponse)> next;  // outlives the client, whose callbacks use it
  auto client = StartClient();
  std::atomic<bool> finished{false};
  next = [&](HttpResponse r) {
    if (r.status == 200 && ++hops < 20) {
      client->Submit(Req("GET", server.url("/ok")), next);
    } else if (!finished.exchange(true)) {
      done.set_value(hops.load());
    }
  };
  client->Submit(Req("GET", server.url("/ok")), next);
  auto f = done.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_EQ(f.get(), 20);
}

TEST(HttpClientTest, DestroyWithTransfersInFlightFailsEachOnce) {
  TestServer server;
  constexpr size_t kN = 40;
  Collector got(kN);
  HttpClientOptions options;
  options.max_in_flight = 8;  // 8 on the wire, 32 queued
  auto client = StartClient(options);
  for (size_t i = 0; i < kN; ++i) {
    client->Submit(Req("POST", server.url("/slow?ms=30000"), "token=x"), got.For(i), 60000);
  }
  for (int i = 0; i < 1000 && server.requests() < 8; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(server.requests(), 8);
  auto start = Clock::now();
  client.reset();
  EXPECT_LT(Seconds(start), 3.0);
  ASSERT_TRUE(got.WaitFor(kN, milliseconds(1000)));
  for (size_t i = 0; i < kN; ++i) EXPECT_EQ(got.calls(i), 1) << i;
  for (const auto& r : got.responses()) {
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.transport_error, "client stopped");
  }
}

// ---------------------------------------------------------------------------------------------
// By hand: requests per second. Against the in-process test server by default, or any URL
// (SEVER_BENCH_CA names a PEM file to trust for an https URL):
//   SEVER_BENCH_URL=http://127.0.0.1:8080/ok SEVER_BENCH_N=100000 SEVER_BENCH_IN_FLIGHT=256
//   sever_providers_tests --gtest_also_run_disabled_tests --gtest_filter='HttpClientBench*'
// ---------------------------------------------------------------------------------------------
TEST(HttpClientBench, DISABLED_Throughput) {
  auto env = [](const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return std::string(v != nullptr ? v : fallback);
  };
  std::unique_ptr<TestServer> server;
  std::string url = env("SEVER_BENCH_URL", "");
  if (url.empty()) {
    server = std::make_unique<TestServer>();
    url = server->url("/ok");
  }
  size_t n = std::stoul(env("SEVER_BENCH_N", "100000"));
  HttpClientOptions options;
  options.max_in_flight = std::stoul(env("SEVER_BENCH_IN_FLIGHT", "256"));
  options.max_host_connections = std::stol(env("SEVER_BENCH_HOST_CONNECTIONS", "64"));
  options.ca_file = env("SEVER_BENCH_CA", "");
  auto client = StartClient(options);
  std::atomic<size_t> ok{0}, failed{0};
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<size_t> finished{0};
  auto cb = [&](HttpResponse r) {
    (r.status == 200 ? ok : failed).fetch_add(1);
    if (finished.fetch_add(1) + 1 == n) {
      std::lock_guard<std::mutex> lock(mu);
      cv.notify_all();
    }
  };
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  auto start = Clock::now();
  for (size_t i = 0; i < n; ++i) {
    client->Submit(Req("POST", url, "token=abc&token_type_hint=x"), cb);
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return finished.load() == n; });
  }
  double secs = Seconds(start);
  getrusage(RUSAGE_SELF, &after);
  auto cpu = [](const rusage& u) {
    return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  double cpu_s = cpu(after) - cpu(before);
  std::printf("%zu requests (%zu ok, %zu failed) at %zu in flight in %.2f s: %.0f req/s; "
              "process CPU %.2f s (%.1f us/request)%s\n",
              n, ok.load(), failed.load(), options.max_in_flight, secs, n / secs, cpu_s,
              cpu_s / n * 1e6, server ? " incl. the in-process server" : "");
  if (server) std::printf("connections accepted: %d\n", server->accepted());
  EXPECT_EQ(ok.load(), n);
}

}  // namespace
}  // namespace sever::providers

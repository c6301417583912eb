// Tests of what the libcurl multi client sends and returns, against the test HTTP server
// (http_test_server.h): methods, bodies, headers, statuses, caps, refused input and options.
#include "sever/providers/http_client.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "http_client_test_util.h"
#include "http_test_server.h"

namespace sever::providers {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using testing::Fetch;
using testing::Req;
using testing::StartClient;
using testing::TestServer;

TEST(HttpClientTest, GetReturnsStatusLowercasedHeadersAndBody) {
  TestServer server;
  auto client = StartClient();
  HttpResponse r = Fetch(*client, Req("GET", server.url("/ok")));
  EXPECT_EQ(r.transport_error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.header("x-test"), "1");
  EXPECT_EQ(r.header("content-length"), "5");
  for (const auto& [name, value] : r.headers) {
    EXPECT_EQ(name, [&] {
      std::string l = name;
      for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return l;
    }()) << "header names are lowercased";
  }
  EXPECT_FALSE(r.timed_out);
  EXPECT_GT(r.seconds, 0.0);
  EXPECT_EQ(client->in_flight(), 0u);
}

TEST(HttpClientTest, PostBodyAndHeadersArriveExactly) {
  TestServer server;
  auto client = StartClient();
  std::string body = "token=gho_s3cr3t%2B&token_type_hint=access_token";
  body.push_back('\0');  // binary-safe: the size, not a NUL, ends the body
  body += std::string(3000, 'z');
  HttpResponse r = Fetch(*client, Req("POST", server.url("/echo?x=1"), body,
                                      {{"Authorization", "Bearer s3cr3t-value"},
                                       {"Content-Type", "application/x-www-form-urlencoded"},
                                       {"X-Mixed-Case", "  spaced  value"},
                                       {"X-Empty", ""}}));
  ASSERT_EQ(r.transport_error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-echo-method"), "POST");
  EXPECT_EQ(r.body, body);

  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  const auto& s = seen[0];
  EXPECT_EQ(s.method, "POST");
  EXPECT_EQ(s.target, "/echo?x=1");
  EXPECT_EQ(s.body, body);
  ASSERT_NE(s.header("authorization"), nullptr);
  EXPECT_EQ(*s.header("authorization"), "Bearer s3cr3t-value");
  ASSERT_NE(s.header("content-type"), nullptr);
  EXPECT_EQ(*s.header("content-type"), "application/x-www-form-urlencoded");
  ASSERT_NE(s.header("content-length"), nullptr);
  EXPECT_EQ(*s.header("content-length"), std::to_string(body.size()));
  ASSERT_NE(s.header("x-empty"), nullptr);
  EXPECT_EQ(*s.header("x-empty"), "");
  ASSERT_NE(s.header("x-mixed-case"), nullptr);
  EXPECT_EQ(*s.header("x-mixed-case"), "spaced  value");
  ASSERT_NE(s.header("user-agent"), nullptr);
  EXPECT_EQ(*s.header("user-agent"), "sever/0.1");
  EXPECT_EQ(s.header("expect"), nullptr) << "no 100-continue round trip";
}

TEST(HttpClientTest, RequestUserAgentOverridesDefault) {
  TestServer server;
  auto client = StartClient();
  HttpResponse r =
      Fetch(*client, Req("GET", server.url("/echo"), "", {{"User-Agent", "acme-revoker/2"}}));
  ASSERT_EQ(r.status, 200);
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  ASSERT_NE(seen[0].header("user-agent"), nullptr);
  EXPECT_EQ(*seen[0].header("user-agent"), "acme-revoker/2");
}

TEST(HttpClientTest, DeleteWithAndWithoutBody) {
  TestServer server;
  auto client = StartClient();
  HttpResponse r = Fetch(*client, Req("DELETE", server.url("/echo/with"), R"({"access_token":"t"})",
                                      {{"Content-Type", "application/json"}}));
  ASSERT_EQ(r.transport_error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-echo-method"), "DELETE");
  r = Fetch(*client, Req("DELETE", server.url("/echo/without")));
  ASSERT_EQ(r.transport_error, "");
  EXPECT_EQ(r.header("x-echo-method"), "DELETE");

  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].method, "DELETE");
  EXPECT_EQ(seen[0].body, R"({"access_token":"t"})");
  ASSERT_NE(seen[0].header("content-length"), nullptr);
  EXPECT_EQ(*seen[0].header("content-length"), "20");
  EXPECT_EQ(*seen[0].header("content-type"), "application/json");
  EXPECT_EQ(seen[1].method, "DELETE");
  EXPECT_EQ(seen[1].body, "");
  EXPECT_EQ(seen[1].header("content-length"), nullptr);
}

TEST(HttpClientTest, AReusedHandleCarriesNothingOverFromItsLastRequest) {
  TestServer server;
  HttpClientOptions options;
  options.max_in_flight = 1;  // one easy handle serves every request in turn
  auto client = StartClient(options);
  struct Step {
    const char* method;
    const char* body;
  };
  const Step steps[] = {{"POST", "a=1"}, {"GET", ""},      {"DELETE", ""}, {"POST", "b=22"},
                        {"PUT", "c=333"}, {"DELETE", "{}"}, {"GET", ""},    {"POST", ""}};
  for (size_t i = 0; i < std::size(steps); ++i) {
    HttpRequest r = Req(steps[i].method, server.url("/echo/" + std::to_string(i)), steps[i].body);
    if (i == 0) r.headers.emplace_back("X-Only-First", "yes");
    HttpResponse resp = Fetch(*client, std::move(r));
    ASSERT_EQ(resp.transport_error, "") << i;
    EXPECT_EQ(resp.status, 200) << i;
  }
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), std::size(steps));
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].method, steps[i].method) << i;
    EXPECT_EQ(seen[i].target, "/echo/" + std::to_string(i)) << i;
    EXPECT_EQ(seen[i].body, steps[i].body) << i;
    EXPECT_EQ(seen[i].header("x-only-first") != nullptr, i == 0) << i;
    const bool has_body = std::string_view(steps[i].body).size() > 0 || steps[i].method == std::string("POST");
    EXPECT_EQ(seen[i].header("content-length") != nullptr, has_body) << i;
  }
}

TEST(HttpClientTest, RedirectIsReturnedNotFollowed) {
  TestServer server;
  auto client = StartClient();
  HttpResponse r = Fetch(*client, Req("POST", server.url("/status?code=302"), "token=x"));
  EXPECT_EQ(r.transport_error, "");
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.header("location"), "https://example.com/next");
}

TEST(HttpClientTest, ErrorStatusesAreResponsesNotTransportErrors) {
  TestServer server;
  auto client = StartClient();
  for (int code : {400, 401, 429, 503}) {
    std::string url = server.url("/status?code=" + std::to_string(code));
    HttpResponse r = Fetch(*client, Req("POST", url));
    EXPECT_EQ(r.transport_error, "");
    EXPECT_EQ(r.status, code);
    EXPECT_EQ(r.body, "status");
  }
}

TEST(HttpClientTest, MalformedMethodOrHeaderIsRefused) {
  TestServer server;
  auto client = StartClient();
  HttpResponse r =
      Fetch(*client, Req("POST", server.url("/echo"), "", {{"X-A", "1\r\nX-Injected: 1"}}));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.transport_error.find("refused"), std::string::npos);
  r = Fetch(*client, Req("GET / HTTP/1.1\r\n", server.url("/echo")));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.transport_error.find("refused"), std::string::npos);
  EXPECT_EQ(server.requests(), 0);
}

TEST(HttpClientTest, ResponseBodyOverCapFails) {
  TestServer server;
  HttpClientOptions options;
  options.max_response_body = 64 * 1024;
  auto client = StartClient(options);
  HttpResponse r = Fetch(*client, Req("GET", server.url("/big?n=65536")));
  EXPECT_EQ(r.transport_error, "");
  EXPECT_EQ(r.body.size(), 65536u);
  r = Fetch(*client, Req("GET", server.url("/big?n=2000000")));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.transport_error.find("exceeds"), std::string::npos) << r.transport_error;
  EXPECT_TRUE(r.body.empty());
}

TEST(HttpClientTest, StartRejectsUnusableOptions) {
  HttpClientOptions zero;
  zero.max_in_flight = 0;
  auto r = HttpClient::Start(zero);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::invalid_argument);
  HttpClientOptions missing_ca;
  missing_ca.ca_file = "/nonexistent/ca.pem";
  r = HttpClient::Start(missing_ca);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::invalid_argument);
}

}  // namespace
}  // namespace sever::providers

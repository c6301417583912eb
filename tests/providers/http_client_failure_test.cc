// Tests of how the libcurl multi client reports failures: timeouts, resets, refused
// connections, non-loopback and proxied plain HTTP, and TLS (against `openssl s_server`).
#include "sever/providers/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "http_client_test_util.h"
#include "http_test_server.h"

namespace sever::providers {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using testing::ClosedPort;
using testing::Fetch;
using testing::Req;
using testing::Seconds;
using testing::StartClient;
using testing::TestServer;

TEST(HttpClientTest, TimeoutIsReported) {
  TestServer server;
  auto client = StartClient();
  auto start = Clock::now();
  HttpResponse r = Fetch(*client, Req("GET", server.url("/slow?ms=20000")), 300);
  double took = Seconds(start);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport_error, "timeout");
  EXPECT_TRUE(r.timed_out);
  EXPECT_GE(took, 0.25);
  EXPECT_LT(took, 5.0);
}

TEST(HttpClientTest, DefaultTimeoutAppliesWhenSubmitNamesNone) {
  TestServer server;
  HttpClientOptions options;
  options.default_timeout_ms = 300;
  auto client = StartClient(options);
  auto start = Clock::now();
  HttpResponse r = Fetch(*client, Req("GET", server.url("/slow?ms=20000")));
  EXPECT_EQ(r.transport_error, "timeout");
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(Seconds(start), 5.0);
  // A slow answer inside the timeout is fine.
  r = Fetch(*client, Req("GET", server.url("/slow?ms=50")), 5000);
  EXPECT_EQ(r.transport_error, "");
  EXPECT_EQ(r.body, "slow");
}

TEST(HttpClientTest, ConnectionResetIsReported) {
  TestServer server;
  auto client = StartClient();
  HttpResponse r = Fetch(*client, Req("POST", server.url("/reset"), "token=x"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport_error, "connection reset");
  EXPECT_FALSE(r.timed_out);
  r = Fetch(*client, Req("POST", server.url("/close"), "token=x"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport_error, "connection reset");
}

TEST(HttpClientTest, ConnectionRefusedIsReported) {
  auto client = StartClient();
  HttpResponse r = Fetch(
      *client, Req("POST", "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/revoke", "t=1"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport_error, "connection refused");
}

TEST(HttpClientTest, NonLoopbackHttpIsRefusedWithoutNetwork) {
  HttpClientOptions options;
  options.connect_timeout_ms = 20000;  // a connect attempt would show as a long wait
  auto client = StartClient(options);
  for (const char* url : {"http://10.1.2.3/", "http://example.com/revoke", "ftp://127.0.0.1/",
                          "file:///etc/passwd", "http://127.0.0.1.example.com/",
                          // user info "127.0.0.1:80", host 10.1.2.3: the text starts like
                          // loopback, the host libcurl would connect to is not
                          "http://127.0.0.1:80@10.1.2.3/revoke"}) {
    auto start = Clock::now();
    HttpResponse r = Fetch(*client, Req("POST", url, "token=x"));
    EXPECT_LT(Seconds(start), 1.0) << url;
    EXPECT_EQ(r.status, 0) << url;
    EXPECT_NE(r.transport_error.find("loopback"), std::string::npos) << r.transport_error;
    EXPECT_NE(r.transport_error.find("https"), std::string::npos) << r.transport_error;
  }
  EXPECT_EQ(client->in_flight(), 0u);
}

TEST(HttpClientTest, AnOriginCheckedBeforeLetsNoTrickUrlThrough) {
  TestServer server;
  auto client = StartClient();
  const std::string origin = "http://127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(Fetch(*client, Req("POST", origin + "/ok", "token=x")).status, 200);
  // The same text up to the '@': user info, then a host that is not loopback.
  HttpResponse r = Fetch(*client, Req("POST", origin + "@10.1.2.3/revoke", "token=x"));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.transport_error.find("loopback"), std::string::npos) << r.transport_error;
  r = Fetch(*client, Req("POST", origin + "/ok?again=1", "token=x"));
  EXPECT_EQ(r.status, 200) << r.transport_error;
  EXPECT_EQ(server.requests(), 2);
}

TEST(HttpClientTest, AMalformedUrlDoesNotCondemnItsOrigin) {
  TestServer server;
  auto client = StartClient();
  const std::string origin = "http://127.0.0.1:" + std::to_string(server.port());
  HttpResponse r = Fetch(*client, Req("POST", origin + "/a path with spaces", "token=x"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport_error, "refused: malformed URL");
  r = Fetch(*client, Req("POST", origin + "/ok", "token=x"));
  EXPECT_EQ(r.status, 200) << r.transport_error;
  EXPECT_EQ(server.requests(), 1);
}

TEST(HttpClientTest, PlainHttpNeverGoesThroughAProxy) {
  TestServer server;
  std::string proxy = "http://127.0.0.1:" + std::to_string(ClosedPort());
  const char* vars[] = {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"};
  for (const char* v : vars) setenv(v, proxy.c_str(), 1);
  {
    auto client = StartClient();
    HttpResponse r = Fetch(*client, Req("POST", server.url("/ok"), "token=x"));
    EXPECT_EQ(r.transport_error, "");
    EXPECT_EQ(r.status, 200);
  }
  for (const char* v : vars) unsetenv(v);
}

TEST(HttpClientTest, HttpsToClosedPortFails) {
  auto client = StartClient();
  HttpResponse r =
      Fetch(*client, Req("POST", "https://127.0.0.1:" + std::to_string(ClosedPort()) + "/", "t"));
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.transport_error, "connection refused");
}

TEST(HttpClientTest, HttpsToPlainHttpServerFailsTls) {
  TestServer server;
  auto client = StartClient();
  HttpResponse r = Fetch(
      *client, Req("POST", "https://127.0.0.1:" + std::to_string(server.port()) + "/ok", "t"),
      5000);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.transport_error, "");
  EXPECT_NE(r.transport_error, "timeout");
  EXPECT_EQ(server.requests(), 0) << "no request went out in plaintext";
}

/// Runs `openssl s_server -www` with a fresh self-signed certificate for 127.0.0.1.
class TlsServer {
 public:
  TlsServer() {
    char tmpl[] = "/tmp/sever-tls-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    cert_ = dir_ + "/cert.pem";
    std::string key = dir_ + "/key.pem";
    std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
        "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " +
        cert_ + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) return;
    port_ = ClosedPort();
    pid_ = fork();
    if (pid_ == 0) {
      int devnull = open("/dev/null", O_RDWR);
      dup2(devnull, 0);
      dup2(devnull, 1);
      dup2(devnull, 2);
      std::string port = std::to_string(port_);
      execlp("openssl", "openssl", "s_server", "-quiet", "-www", "-accept", port.c_str(),
             "-cert", cert_.c_str(), "-key", key.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100 && !ready_; ++i) {  // wait until it listens
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<uint16_t>(port_));
      ready_ = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
      close(fd);
      if (!ready_) std::this_thread::sleep_for(milliseconds(50));
    }
  }
  ~TlsServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  bool ready() const { return ready_; }
  int port() const { return port_; }
  const std::string& cert() const { return cert_; }

 private:
  std::string dir_;
  std::string cert_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool ready_ = false;
};

TEST(HttpClientTest, TlsPeerIsVerified) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl CLI";
  TlsServer tls;
  ASSERT_TRUE(tls.ready()) << "openssl s_server did not start";
  std::string url = "https://127.0.0.1:" + std::to_string(tls.port()) + "/";
  {
    auto client = StartClient();  // system trust store: the self-signed certificate is unknown
    HttpResponse r = Fetch(*client, Req("GET", url), 5000);
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.transport_error.find("certificate"), std::string::npos) << r.transport_error;
  }
  HttpClientOptions options;
  options.ca_file = tls.cert();
  auto client = StartClient(options);
  HttpResponse r = Fetch(*client, Req("GET", url), 5000);
  EXPECT_EQ(r.transport_error, "");
  EXPECT_EQ(r.status, 200);
  // Trusted certificate, wrong name: host verification still refuses.
  r = Fetch(*client, Req("GET", "https://localhost:" + std::to_string(tls.port()) + "/"), 5000);
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.transport_error, "");
}

}  // namespace
}  // namespace sever::providers

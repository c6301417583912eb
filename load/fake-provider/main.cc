// sever-fake-provider: every provider API of providers/ENDPOINTS.md on one loopback port, with
// per-provider rate limits, latency and faults, and a record of every token it was asked to
// revoke (by SHA-256 only).
//
//   sever-fake-provider --listen 127.0.0.1:PORT [--config FILE] [--record FILE] [--threads N]
//                       [--seed S] [--max-seconds N] [--max-connections N]
//
// Prints "listening HOST:PORT" as its first stdout line. Exit codes: 0 stopped (SIGTERM,
// SIGINT, --max-seconds), 1 runtime failure, 2 bad flags, bad config or a non-loopback address.
#include <signal.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "config.h"
#include "engine.h"
#include "listen_address.h"
#include "server.h"

namespace {

struct Flags {
  std::string listen;
  std::string config;
  std::string record;
  int threads = 1;
  std::optional<uint64_t> seed;
  double max_seconds = 0;
  int64_t max_connections = 4096;
  size_t max_request_bytes = 64 * 1024;
  int idle_timeout_s = 120;
};

int fail(int code, const std::string& message) {
  std::cerr << "sever-fake-provider: " << message << "\n";
  return code;
}

/// Raises the open-file limit to its hard maximum so --max-connections can be reached.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App app{"sever-fake-provider: fake OAuth revocation endpoints for tests and benchmarks",
               "sever-fake-provider"};
  app.add_option("--listen", f.listen, "loopback HOST:PORT (port 0: any free port)")->required();
  app.add_option("--config", f.config, "JSON config: seed and per-provider limits and faults");
  app.add_option("--record", f.record, "JSONL record file, written on SIGTERM/SIGINT, on exit "
                                       "and on POST /_fake/flush");
  app.add_option("--threads", f.threads, "event loops")->check(CLI::Range(1, 16));
  app.add_option("--seed", f.seed, "seed of fault and latency draws (overrides the config)");
  app.add_option("--max-seconds", f.max_seconds, "exit after this many seconds (0: never)")
      ->check(CLI::Range(0.0, 1e7));
  app.add_option("--max-connections", f.max_connections, "concurrent connection limit")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  app.add_option("--max-request-bytes", f.max_request_bytes, "largest request body accepted")
      ->check(CLI::Range(size_t{1024}, size_t{64} << 20));
  app.add_option("--idle-timeout", f.idle_timeout_s, "close connections idle this many seconds")
      ->check(CLI::Range(1, 86400));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  using namespace sever::fake;
  const sever::Result<ListenAddress> addr = parse_listen_address(f.listen);
  if (!addr.ok()) return fail(2, addr.status().message());
  FakeConfig cfg;
  if (!f.config.empty()) {
    sever::Result<FakeConfig> loaded = load_config(f.config);
    if (!loaded.ok()) {
      return fail(2, "config " + f.config + ": " + loaded.status().message());
    }
    cfg = std::move(loaded).value();
  }
  if (f.seed) cfg.seed = *f.seed;

  // Signals are read from a signalfd by the server: block them in every thread first.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();

  uint16_t port = 0;
  const sever::Result<int> fd = listen_on(addr.value(), &port);
  if (!fd.ok()) return fail(1, fd.status().message());
  const std::string shown_host = addr->ipv6 ? "[" + addr->host + "]" : addr->host;
  std::printf("listening %s:%u\n", shown_host.c_str(), static_cast<unsigned>(port));
  std::fflush(stdout);

  Engine engine(cfg, f.record);
  ServerOptions opts;
  opts.threads = f.threads;
  opts.max_connections = f.max_connections;
  opts.limits.max_body_bytes = f.max_request_bytes;
  opts.idle_timeout_s = f.idle_timeout_s;
  opts.max_seconds = f.max_seconds;
  Server server(fd.value(), &engine, opts);
  const sever::Result<std::string> why = server.run();
  if (!why.ok()) return fail(1, why.status().message());
  const sever::Result<size_t> written = engine.write_record();
  if (!written.ok()) return fail(1, written.status().message());
  std::cerr << "sever-fake-provider: stopped (" << why.value() << ")";
  if (!f.record.empty()) std::cerr << "; " << written.value() << " tokens recorded in " << f.record;
  std::cerr << "\n";
  return 0;
}

// `sever-load bench-revoke --count N [--dir DIR] [--limited-seconds T] [--repeat P]
//                         [--format table|json]`
//
// The revocation benchmark of issue 3, every figure measured in one run:
//   1. a store of N generated credentials (sever init + sever import);
//   2. sever-fake-provider on loopback serving every tool: tools with an adapter of their own
//      under it, the others through the generic RFC 7009 adapter;
//   3. `sever revoke --all --yes` against it with no limits: wall time, requests/s, peak RSS,
//      and the freeze time the CLI reports; the CPU seconds of sever and of the fake provider
//      (wait4), which on this machine's cores bound the wall time, and so the ratio to 4.;
//   4. beside it, the ceiling of the HTTP library: a bare libcurl-multi loop sending the very
//      requests sever sends (each adapter's, built from the same generated credentials and
//      providers file) with 256 in flight; sever's HTTP client alone over the same requests
//      (one thread, then two), which splits the gap between the HTTP layer and the rest; and
//      `curl --parallel --parallel-max 64` (what an engineer would script) over a sample of
//      RFC 7009 requests. With --repeat P, 3. and the bare loop after it run P times, each job
//      on a checkpoint of the store taken before the first: the ratio of each job to
//      the bare loop next to it, and their median (this VM's speed drifts between runs);
//   5. with --limited-seconds T: a fresh store, every provider limited (in the fake, and in the
//      providers file) to its share of N/T requests per second: wall time against the ideal T,
//      and the share of requests answered 429.
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include "bench_util.h"
#include "commands.h"
#include "http_loops.h"
#include "same_requests.h"
#include "store_clones.h"
#include "sever/store/time.h"

namespace sever::load::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

struct Flags {
  uint64_t count = 1'700'000;
  std::string dir;
  double limited_seconds = 0;
  uint64_t curl_cli_sample = 20'000;
  uint64_t repeat = 1;  // unlimited jobs, each with its bare loop
  bool skip_unlimited = false;
  std::string format = "table";
};

[[noreturn]] void fail(const std::string& why) {
  std::cerr << "sever-load bench-revoke: " << why << "\n";
  throw CLI::RuntimeError(1);
}

// Runs a program to its end (see cli::run_child); fails when it cannot be started.
ChildRun run(const std::vector<std::string>& argv, const fs::path& work) {
  ChildRun c = run_child(argv, work);
  if (c.code == -1) fail(c.err);
  return c;
}

// The fake provider as a background child; its port from the first line it prints.
class Fake {
 public:
  Fake(const std::string& bin, const fs::path& config, const fs::path& work) {
    const fs::path out = work / "fake.out";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<std::string> argv = {bin, "--listen", "127.0.0.1:0", "--config", config.string(),
                                     "--max-seconds", "1800"};
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    if (posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ) != 0) fail("cannot run " + bin);
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 100 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::ifstream in(out);
      std::string line;
      if (std::getline(in, line) && line.rfind("listening ", 0) == 0) {
        port_ = std::stoi(line.substr(line.rfind(':') + 1));
      }
    }
    if (port_ == 0) fail("the fake provider did not start");
  }
  ~Fake() { Stop(); }

  /// Stops the fake provider (once) and returns the CPU seconds it used.
  double Stop() {
    if (pid_ == 0) return 0;
    kill(pid_, SIGTERM);
    struct rusage ru {};
    wait4(pid_, nullptr, 0, &ru);
    pid_ = 0;
    return rusage_cpu_seconds(ru);
  }
  int port() const { return port_; }
  json Stats() const {
    std::string body;
    CURL* c = curl_easy_init();
    std::string url = "http://127.0.0.1:" + std::to_string(port_) + "/_fake/stats";
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, +[](char* p, size_t s, size_t n, void* u) {
      static_cast<std::string*>(u)->append(p, s * n);
      return s * n;
    });
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_perform(c);
    curl_easy_cleanup(c);
    return json::parse(body, nullptr, false);
  }

 private:
  pid_t pid_ = 0;
  int port_ = 0;
};

// `curl --parallel --parallel-max 64` over n requests listed in a config file.
double curl_cli(int port, uint64_t n, const fs::path& work) {
  const fs::path cfg = work / "curl.cfg";
  {
    std::ofstream out(cfg);
    for (uint64_t i = 0; i < n; ++i) {
      out << "url = \"http://127.0.0.1:" << port << "/rfc7009/cli\"\ndata = \"token=cli-" << i
          << "\"\noutput = \"/dev/null\"\n";
    }
  }
  auto c = run({"/usr/bin/curl", "--silent", "--parallel", "--parallel-max", "64", "-K", cfg.string()}, work);
  if (c.code != 0) fail("curl --parallel failed: " + c.err);
  return c.seconds;
}

// Adapters the fake provider serves under a path of their own; every other tool goes through
// its generic RFC 7009 endpoint (and shares that path's limit).
const std::set<std::string> kOwnPath = {"github", "google", "slack", "salesforce", "hubspot",
                                        "dropbox", "zoom", "discord", "x", "sentry", "vercel",
                                        "linear", "asana", "notion", "box"};

// Every tool the store holds → an adapter on the fake provider.
json providers_file(const json& tools, int port, const json& rates) {
  json p = json::object();
  for (const auto& [tool, adapter] : tools.items()) {
    std::string a = adapter.get<std::string>();
    json e;
    if (kOwnPath.count(a)) {
      e = {{"adapter", a}, {"base_url", "http://127.0.0.1:" + std::to_string(port) + "/" + a}};
    } else {
      e = {{"adapter", "rfc7009"}, {"endpoint", "http://127.0.0.1:" + std::to_string(port) + "/rfc7009/" + tool}};
    }
    e["client_id"] = "bench";
    e["client_secret_env"] = "SEVER_BENCH_SECRET";
    // One limit per provider, as the fake enforces it: Slack's and Zoom's per-workspace quotas
    // would need the fake to know each token's workspace.
    e["quota"] = "client";
    e["rate_limit_per_s"] = rates.contains(tool) ? rates[tool].get<double>() : 1e6;
    e["max_concurrency"] = 256;
    p[tool] = e;
  }
  return {{"providers", p}};
}

struct Setup {
  fs::path work, data;
  std::string sever, load, fake;
  int64_t now_unix = 0;  // what the credentials were generated against
};

void make_store(const Setup& s, uint64_t count) {
  fs::remove_all(s.data);
  fs::remove(s.data.string() + ".key");
  if (run({s.sever, "--data", s.data.string(), "init"}, s.work).code != 0) fail("sever init failed");
  const fs::path jsonl = s.work / "creds.jsonl";
  if (run({s.load, "gen", "--count", std::to_string(count), "--seed", "1", "--now",
           format_rfc3339(s.now_unix), "--out", jsonl.string()}, s.work).code != 0) {
    fail("sever-load gen failed");
  }
  auto imp = run({s.sever, "--data", s.data.string(), "import", jsonl.string()}, s.work);
  fs::remove(jsonl);
  if (imp.code != 0) fail("sever import failed: " + imp.err);
}

// Maps each tool of the store to its built-in adapter, through a dry run.
json tool_adapters(const Setup& s, std::map<std::string, uint64_t>* counts) {
  auto dry = run({s.sever, "--data", s.data.string(), "revoke", "--all", "--reason", "bench",
                  "--dry-run", "--format", "json"}, s.work);
  if (dry.code != 0) fail("dry run failed: " + dry.err);
  auto j = json::parse(dry.out);
  json tools = json::object();
  for (const auto& [tool, v] : j["providers"].items()) {
    tools[tool] = v["adapter"];
    (*counts)[tool] = v["credentials"].get<uint64_t>();
  }
  return tools;
}

// The URL "http://127.0.0.1:<any port>/path" at `port` instead.
std::string with_port(const std::string& url, int port) {
  const auto colon = url.find(':', 7), slash = url.find('/', colon);
  return url.substr(0, colon + 1) + std::to_string(port) + url.substr(slash);
}

// `sever revoke --all` on the store at `data` against a fresh fake provider.
json revoke_run(const Setup& s, const fs::path& data, const json& pf, const json& fake_cfg,
                json* fake_stats) {
  std::ofstream(s.work / "fake.json") << fake_cfg.dump();
  std::ofstream(s.work / "providers.json") << pf.dump();
  Fake fake(s.fake, s.work / "fake.json", s.work);
  // The providers file was written for this port.
  json pf2 = pf;
  for (auto& [tool, e] : pf2["providers"].items()) {
    for (const char* k : {"base_url", "endpoint"}) {
      if (e.contains(k)) e[k] = with_port(e[k], fake.port());
    }
  }
  std::ofstream(s.work / "providers.json") << pf2.dump();
  auto c = run({s.sever, "--data", data.string(), "revoke", "--all", "--yes", "--reason", "bench",
                "--providers", (s.work / "providers.json").string(), "--no-progress", "--format", "json"},
               s.work);
  if (c.code != 0 && c.code != 4) fail("sever revoke failed (" + std::to_string(c.code) + "): " + c.err);
  *fake_stats = fake.Stats();
  json r = json::parse(c.out);
  r["wall_seconds"] = c.seconds;
  r["cpu_seconds"] = c.cpu_seconds;
  r["fake_cpu_seconds"] = fake.Stop();
  r["peak_rss_mib"] = c.rss_kib / 1024.0;
  return r;
}

// Points every request at the fake provider on `port` (a fresh one: a fake that has seen a
// token answers it as already revoked).
void retarget(std::vector<providers::HttpRequest>* requests, int port) {
  for (auto& r : *requests) r.url = with_port(r.url, port);
}

// The bare libcurl loop over `requests` against a fresh fake: its seconds and CPU per request.
json bare_run(const Setup& s, std::vector<providers::HttpRequest>* requests) {
  std::ofstream(s.work / "fake.json") << json{{"seed", 1}}.dump();
  Fake fake(s.fake, s.work / "fake.json", s.work);
  retarget(requests, fake.port());
  const double c0 = cpu_seconds();
  const double bare = bare_curl_multi(*requests, 256);
  const uint64_t n = requests->size();
  return {{"requests", n}, {"seconds", bare}, {"requests_per_s", n / bare},
          {"cpu_us_per_request", 1e6 * (cpu_seconds() - c0) / n}};
}

// The unlimited run and, right after it against a fresh fake, the bare loop: `repeat` times,
// the store restored before each job (the VM's speed drifts between runs, so each job is
// compared with the bare loop next to it). Then the other baselines, once. The figures of the
// first pair, the pairs and the baselines go into out.
void run_unlimited(const Setup& s, const Flags& f, const json& tools, json* out_ptr) {
  json& out = *out_ptr;
  // The store as it is before the first job, for the next ones.
  auto clones = clone_store(s.data, s.work, static_cast<int>(f.repeat) - 1);
  if (!clones.ok()) fail("copying the store: " + clones.status().ToString());
  std::vector<providers::HttpRequest> same;
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  std::vector<double> ratios;
  for (uint64_t i = 0; i < f.repeat; ++i) {
    json stats;
    json unlimited = revoke_run(s, i == 0 ? s.data : (*clones)[i - 1],
                                providers_file(tools, 1, json::object()), json{{"seed", 1}}, &stats);
    const uint64_t requests = unlimited["all"]["requests"];
    if (i == 0) {
      GenOptions gen;
      gen.count = f.count;
      gen.seed = 1;
      gen.now_unix = s.now_unix;
      auto built = same_requests(gen, providers_file(tools, 1, json::object()).dump());
      if (!built.ok()) fail("building sever's requests: " + built.status().ToString());
      same = std::move(built).value();
    }
    json bare = bare_run(s, &same);
    const double job = unlimited["seconds"], sever_cpu = unlimited["cpu_seconds"],
                 fake_cpu = unlimited["fake_cpu_seconds"];
    ratios.push_back(bare["seconds"].get<double>() / job);
    // What the CPU allows: sever and the fake provider share this machine's cores, so the
    // command cannot take less than their CPU seconds over the cores (the bare loop, one
    // thread, is not bound so). Hence a ceiling on the ratio to the bare loop.
    const double min_wall = (sever_cpu + fake_cpu) / cores;
    out["pairs"].push_back({{"requests", requests}, {"revoked", unlimited["all"]["revoked"]},
                            {"job_seconds", job}, {"wall_seconds", unlimited["wall_seconds"]},
                            {"bare_seconds", bare["seconds"]}, {"ratio_to_bare", ratios.back()},
                            {"sever_cpu_us_per_request", 1e6 * sever_cpu / requests},
                            {"fake_cpu_us_per_request", 1e6 * fake_cpu / requests},
                            {"bare_cpu_us_per_request", bare["cpu_us_per_request"]},
                            {"peak_rss_mib", unlimited["peak_rss_mib"]},
                            {"max_ratio_to_bare", bare["seconds"].get<double>() / min_wall}});
    if (i > 0) continue;
    out["unlimited"] = {{"wall_seconds", unlimited["wall_seconds"]}, {"job_seconds", job},
                        {"requests", requests}, {"requests_per_s", requests / job},
                        {"revoked", unlimited["all"]["revoked"]}, {"manual", unlimited["all"]["manual"]},
                        {"dead_letter", unlimited["all"]["dead_letter"]},
                        {"peak_rss_mib", unlimited["peak_rss_mib"]},
                        {"cpu_seconds", sever_cpu}, {"fake_cpu_seconds", fake_cpu},
                        {"materialize_seconds", unlimited.value("materialize_seconds", 0.0)},
                        {"freeze_all_ms", unlimited.value("freeze_ms", -1.0)}};
    out["bare_curl_multi"] = bare;
    out["cpu_bound"] = {{"cores", cores},
                        {"sever_cpu_us_per_request", 1e6 * sever_cpu / requests},
                        {"fake_cpu_us_per_request", 1e6 * fake_cpu / requests},
                        {"min_command_seconds", min_wall},
                        {"max_ratio_to_bare", bare["seconds"].get<double>() / min_wall}};
  }
  remove_clones(*clones);
  std::sort(ratios.begin(), ratios.end());
  const size_t mid = ratios.size() / 2;
  out["ratio_to_bare_median"] = ratios.size() % 2 ? ratios[mid] : (ratios[mid - 1] + ratios[mid]) / 2;
  {
    std::ofstream(s.work / "fake.json") << json{{"seed", 1}}.dump();
    Fake fake(s.fake, s.work / "fake.json", s.work);
    retarget(&same, fake.port());
    const uint64_t n = same.size();
    for (size_t threads : {1, 2}) {
      const double c0 = cpu_seconds();
      auto secs = client_loop(same, 256, threads);
      if (!secs.ok()) fail("sever's HTTP client alone: " + secs.status().ToString());
      const double cpu = cpu_seconds() - c0;
      out["http_client_alone"].push_back({{"threads", threads}, {"requests", n}, {"seconds", *secs},
                                          {"requests_per_s", n / *secs},
                                          {"cpu_us_per_request", 1e6 * cpu / n}});
    }
    if (access("/usr/bin/curl", X_OK) == 0) {
      double cli = curl_cli(fake.port(), f.curl_cli_sample, s.work);
      out["curl_parallel_64"] = {{"requests", f.curl_cli_sample}, {"seconds", cli},
                                 {"requests_per_s", f.curl_cli_sample / cli}};
    }
  }
}

void print_unlimited(const json& out, const Flags& f) {
  const auto& u = out["unlimited"];
  std::printf("sever revoke --all (no limits): %.2f s from start to exit, of which items written "
              "%.2f s and the job %.2f s: %llu requests = %.0f req/s; peak RSS %.0f MiB "
              "(%llu revoked, %llu manual, %llu dead)\n",
              u["wall_seconds"].get<double>(), u["materialize_seconds"].get<double>(),
              u["job_seconds"].get<double>(), (unsigned long long)u["requests"].get<uint64_t>(),
              u["requests_per_s"].get<double>(), u["peak_rss_mib"].get<double>(),
              (unsigned long long)u["revoked"].get<uint64_t>(), (unsigned long long)u["manual"].get<uint64_t>(),
              (unsigned long long)u["dead_letter"].get<uint64_t>());
  std::printf("freeze of --all on %llu credentials: %.2f ms\n", (unsigned long long)f.count,
              u["freeze_all_ms"].get<double>());
  const auto& b = out["bare_curl_multi"];
  std::printf("bare libcurl multi over the same requests (256 in flight): %llu in %.2f s = %.0f req/s\n",
              (unsigned long long)b["requests"].get<uint64_t>(), b["seconds"].get<double>(),
              b["requests_per_s"].get<double>());
  for (const auto& h : out["http_client_alone"]) {
    std::printf("sever's HTTP client alone, %d thread(s), same requests: %.2f s = %.0f req/s, "
                "%.1f us CPU/request (bare loop %.1f)\n",
                h["threads"].get<int>(), h["seconds"].get<double>(), h["requests_per_s"].get<double>(),
                h["cpu_us_per_request"].get<double>(), b["cpu_us_per_request"].get<double>());
  }
  const auto& cb = out["cpu_bound"];
  std::printf("CPU per request: sever %.1f us (whole command), the fake provider %.1f us; on %.0f "
              "cores the command takes at least %.2f s, so at most %.2fx the bare loop's speed\n",
              cb["sever_cpu_us_per_request"].get<double>(), cb["fake_cpu_us_per_request"].get<double>(),
              cb["cores"].get<double>(), cb["min_command_seconds"].get<double>(),
              cb["max_ratio_to_bare"].get<double>());
  if (out["pairs"].size() > 1) {
    std::printf("%zu pairs, each a job on the store as it was before the first and the bare loop "
                "right after it:\n", out["pairs"].size());
    int i = 0;
    for (const auto& p : out["pairs"]) {
      std::printf("  pair %d: job %.2f s (whole command %.2f s), bare loop %.2f s: %.2fx; CPU per "
                  "request sever %.1f us, fake %.1f us, bare loop %.1f us; peak RSS %.0f MiB\n",
                  ++i, p["job_seconds"].get<double>(), p["wall_seconds"].get<double>(),
                  p["bare_seconds"].get<double>(), p["ratio_to_bare"].get<double>(),
                  p["sever_cpu_us_per_request"].get<double>(), p["fake_cpu_us_per_request"].get<double>(),
                  p["bare_cpu_us_per_request"].get<double>(), p["peak_rss_mib"].get<double>());
    }
    std::printf("  median ratio to the bare loop: %.2fx\n", out["ratio_to_bare_median"].get<double>());
  }
  if (out.contains("curl_parallel_64")) {
    const auto& c = out["curl_parallel_64"];
    std::printf("curl --parallel --parallel-max 64: %llu requests in %.2f s = %.0f req/s\n",
                (unsigned long long)c["requests"].get<uint64_t>(), c["seconds"].get<double>(),
                c["requests_per_s"].get<double>());
  }
}

void run_bench(const Flags& f) {
  Setup s;
  s.work = f.dir.empty() ? fs::temp_directory_path() / ("sever-bench-revoke-" + std::to_string(getpid()))
                         : fs::path(f.dir);
  fs::create_directories(s.work);
  s.data = s.work / "store";
  const fs::path bin = fs::read_symlink("/proc/self/exe").parent_path();
  s.sever = (bin / "sever").string();
  s.load = (bin / "sever-load").string();
  s.fake = (bin / "sever-fake-provider").string();
  s.now_unix = start_of_utc_day(now_unix());
  setenv("SEVER_BENCH_SECRET", "bench-secret", 1);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  json out = {{"count", f.count}};

  make_store(s, f.count);
  std::map<std::string, uint64_t> counts;
  json tools = tool_adapters(s, &counts);
  json stats;
  if (!f.skip_unlimited) run_unlimited(s, f, tools, &out);
  if (f.limited_seconds > 0) {
    if (!f.skip_unlimited) make_store(s, f.count);
    json rates = json::object(), fake_cfg = {{"seed", 1}, {"providers", json::object()}};
    double sum = 0;
    for (const auto& [tool, n] : counts) {
      const double r = std::max(1.0, n / f.limited_seconds);
      rates[tool] = r;
      sum += r;
    }
    // The fake limits per adapter path: tools sharing an adapter share its bucket.
    std::map<std::string, double> per_adapter;
    for (const auto& [tool, a] : tools.items()) {
      std::string adapter = a.get<std::string>();
      per_adapter[kOwnPath.count(adapter) ? adapter : "rfc7009"] += rates[tool].get<double>();
    }
    for (const auto& [adapter, r] : per_adapter) {
      // Two seconds of burst: the sustained rate binds. (A 0.2 s bucket hits "remaining 0"
      // at every other request, and window-style headers then rightly pause sever to the
      // next reset second.)
      fake_cfg["providers"][adapter] = {{"rate_limit_per_s", r}, {"burst", std::max(1.0, 2 * r)}};
    }
    json limited = revoke_run(s, s.data, providers_file(tools, 1, rates), fake_cfg, &stats);
    const uint64_t lreq = limited["all"]["requests"];
    out["limited"] = {{"ideal_seconds", f.limited_seconds}, {"sum_limits_per_s", sum},
                      {"job_seconds", limited["seconds"]},
                      {"ratio_to_ideal", limited["seconds"].get<double>() / f.limited_seconds},
                      {"requests", lreq}, {"rate_limited", limited["all"]["rate_limited"]},
                      {"share_429", lreq ? limited["all"]["rate_limited"].get<double>() / lreq : 0.0}};
    // The tail: the providers that finished last, each against the ideal.
    std::vector<std::pair<double, std::string>> ends;
    for (const auto& [tool, p] : limited["by_provider"].items()) {
      if (p["finished_s"].is_number()) ends.emplace_back(p["finished_s"].get<double>(), tool);
    }
    std::sort(ends.rbegin(), ends.rend());
    json last = json::array();
    for (size_t i = 0; i < std::min<size_t>(3, ends.size()); ++i) {
      last.push_back({{"provider", ends[i].second}, {"finished_s", ends[i].first},
                      {"credentials", counts[ends[i].second]}, {"limit_per_s", rates[ends[i].second]}});
    }
    out["limited"]["last_to_finish"] = last;
  }
  if (f.dir.empty()) fs::remove_all(s.work);
  if (f.format == "json") {
    std::cout << out.dump(2) << "\n";
    return;
  }
  if (out.contains("unlimited")) print_unlimited(out, f);
  if (out.contains("limited")) {
    const auto& l = out["limited"];
    std::printf("limited (sum of limits %.0f/s, ideal %.1f s): %.2f s = %.2fx ideal, %.2f%% of %llu "
                "requests answered 429\n",
                l["sum_limits_per_s"].get<double>(), l["ideal_seconds"].get<double>(),
                l["job_seconds"].get<double>(), l["ratio_to_ideal"].get<double>(),
                100 * l["share_429"].get<double>(), (unsigned long long)l["requests"].get<uint64_t>());
    for (const auto& e : l["last_to_finish"]) {
      std::printf("  %s finished at %.1f s (%llu credentials at %.0f/s)\n",
                  e["provider"].get<std::string>().c_str(), e["finished_s"].get<double>(),
                  (unsigned long long)e["credentials"].get<uint64_t>(), e["limit_per_s"].get<double>());
    }
  }
}

}  // namespace

void add_bench_revoke_command(CLI::App& app) {
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("bench-revoke", "benchmark revocation against the fake provider, with baselines");
  cmd->add_option("--count", f->count, "credentials (default 1,700,000)")->check(CLI::PositiveNumber);
  cmd->add_option("--dir", f->dir, "work directory, kept afterwards (default: a temporary one)");
  cmd->add_option("--limited-seconds", f->limited_seconds,
                  "also run with every provider limited so the ideal time is this (0: skip)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--curl-sample", f->curl_cli_sample, "requests for the curl --parallel baseline")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--repeat", f->repeat,
                  "unlimited jobs, each on the store as it was before the first and followed by "
                  "the bare loop (default 1)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--skip-unlimited", f->skip_unlimited,
               "skip the unlimited run and its baselines (with --limited-seconds: that run alone)");
  cmd->add_option("--format", f->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([f] { run_bench(*f); });
}

}  // namespace sever::load::cli

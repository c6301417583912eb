// `sever-load bench-store --count N [--dir DIR] [--seed S] [--gets G] [--format table|json]`
//
// The store benchmark of issue 2, every figure measured in one run on this machine:
//   1. generate N credentials as JSONL (not timed as part of the import);
//   2. `sever import` of that file, run as a child process: wall time, rate, the phases it
//      reports, its peak RSS (wait4), and the store's size on disk;
//   3. the baseline beside it: the same lines written raw into a fresh RocksDB with WriteBatch
//      (no parsing, validation, encryption or indexes): the storage engine's ceiling;
//   4. in-process Store::GetSecret latency (decrypt + audit entry) for G random credentials,
//      p50/p99/p99.9/max, beside a raw RocksDB Get of the same rows.
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "bench_util.h"
#include "commands.h"
#include "sever/load/generator.h"
#include "sever/store/store.h"
#include "sever/store/time.h"

namespace sever::load::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct BenchFlags {
  uint64_t count = 1'700'000;
  uint64_t seed = 1;
  uint64_t gets = 100'000;
  std::string dir;
  std::string format = "table";
};

[[noreturn]] void fail(const std::string& why, int code = 1) {
  std::cerr << "sever-load bench-store: " << why << "\n";
  throw CLI::RuntimeError(code);
}

uint64_t dir_bytes(const fs::path& dir) {
  uint64_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) n += e.file_size();
  }
  return n;
}

// Picks `n` random (tenant, id) keys of the store by reservoir sampling its records.
std::vector<std::pair<std::string, std::string>> sample_keys(Store& store, uint64_t n,
                                                             uint64_t seed) {
  std::vector<std::pair<std::string, std::string>> keys;
  std::mt19937_64 rng(seed);
  std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator({}, store.cf(1)));  // creds
  uint64_t seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++seen) {
    std::string_view k = it->key().ToStringView();
    auto sep = k.find('\0');
    std::pair<std::string, std::string> key{std::string(k.substr(0, sep)),
                                            std::string(k.substr(sep + 1))};
    if (keys.size() < n) {
      keys.push_back(std::move(key));
    } else if (uint64_t j = rng() % (seen + 1); j < n) {
      keys[j] = std::move(key);
    }
  }
  return keys;
}

// The baseline: the same lines written raw into a fresh RocksDB (WAL on, 1,000 per batch).
double raw_rocksdb_load(const fs::path& jsonl, const fs::path& dir) {
  rocksdb::Options o;
  o.create_if_missing = true;
  o.max_background_jobs = 2;
  o.write_buffer_size = 64 << 20;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::Open(o, dir.string(), &raw).ok()) fail("cannot open baseline database");
  std::unique_ptr<rocksdb::DB> db(raw);
  std::ifstream in(jsonl);
  std::string line;
  rocksdb::WriteBatch batch;
  uint64_t n = 0;
  auto t0 = Clock::now();
  while (std::getline(in, line)) {
    char key[8];
    for (int i = 0; i < 8; ++i) key[i] = static_cast<char>(n >> (56 - 8 * i));
    batch.Put(rocksdb::Slice(key, 8), line);
    if (++n % 1000 == 0) {
      if (!db->Write({}, &batch).ok()) fail("baseline write failed");
      batch.Clear();
    }
  }
  if (!db->Write({}, &batch).ok() || !db->FlushWAL(true).ok()) fail("baseline write failed");
  double secs = since(t0);
  db->Close();
  return secs;
}

void run_bench(const BenchFlags& f) {
  fs::path dir = f.dir.empty() ? fs::temp_directory_path() / ("sever-bench-" + std::to_string(getpid()))
                               : fs::path(f.dir);
  fs::create_directories(dir);
  const fs::path jsonl = dir / "creds.jsonl";
  const fs::path data = dir / "store";
  const std::string sever = (fs::read_symlink("/proc/self/exe").parent_path() / "sever").string();
  fs::remove_all(data);
  fs::remove(dir / "store.key");
  nlohmann::json r;
  r["machine"] = machine();
  r["count"] = f.count;

  // 1. Generate.
  auto t0 = Clock::now();
  {
    std::ofstream out(jsonl, std::ios::binary);
    GenOptions g;
    g.count = f.count;
    g.seed = f.seed;
    g.now_unix = start_of_utc_day(now_unix());
    Status s = generate(g, out);
    if (!s.ok()) fail(s.message());
  }
  r["gen_seconds"] = since(t0);
  r["input_bytes"] = fs::file_size(jsonl);

  // 2. sever init + sever import, as an operator runs them.
  if (ChildRun init = run_child({sever, "--data", data.string(), "init"}, dir); init.code != 0) {
    fail("sever init failed: " + init.err);
  }
  ChildRun imported =
      run_child({sever, "--data", data.string(), "import", jsonl.string(), "--format", "json"}, dir);
  if (imported.code != 0) fail("sever import failed: " + imported.err);
  auto imp = nlohmann::json::parse(imported.out);
  r["import"] = {{"wall_seconds", imported.seconds},
                 {"rate_per_second", f.count / imported.seconds},
                 {"parse_seconds", imp["parse_seconds"]},
                 {"write_seconds", imp["write_seconds"]},
                 {"ingest_seconds", imp["ingest_seconds"]},
                 {"peak_rss_mib", imported.rss_kib / 1024.0},
                 {"disk_bytes", dir_bytes(data)}};

  // 3. Baseline: raw RocksDB load of the same lines.
  double raw = raw_rocksdb_load(jsonl, dir / "baseline");
  r["baseline_raw_rocksdb"] = {{"seconds", raw}, {"rate_per_second", f.count / raw},
                               {"disk_bytes", dir_bytes(dir / "baseline")}};
  fs::remove_all(dir / "baseline");
  fs::remove(jsonl);  // plaintext secrets: gone as soon as they are not needed

  // 4. Reads.
  StoreOptions so;
  so.data_dir = data.string();
  so.key_source = default_key_source(data.string());
  auto store = Store::Open(so);
  if (!store.ok()) fail(store.status().message());
  auto keys = sample_keys(**store, f.gets, f.seed);
  std::vector<double> get_us, raw_us;
  get_us.reserve(keys.size());
  raw_us.reserve(keys.size());
  for (const auto& [tenant, id] : keys) {
    auto t = Clock::now();
    auto s = (*store)->GetSecret(tenant, id, "bench");
    get_us.push_back(since(t) * 1e6);
    if (!s.ok()) fail("get " + tenant + "/" + id + ": " + s.status().message());
  }
  std::string value;
  for (const auto& [tenant, id] : keys) {
    auto t = Clock::now();
    auto s = (*store)->db()->Get({}, (*store)->cf(1), tenant + '\0' + id, &value);
    raw_us.push_back(since(t) * 1e6);
    if (!s.ok()) fail("raw get failed");
  }
  Latency g = percentiles(get_us), b = percentiles(raw_us);
  r["get"] = {{"samples", keys.size()}, {"p50_us", g.p50}, {"p99_us", g.p99},
              {"p999_us", g.p999}, {"max_us", g.max}};
  r["baseline_raw_get"] = {{"p50_us", b.p50}, {"p99_us", b.p99}, {"p999_us", b.p999},
                           {"max_us", b.max}};
  store->reset();
  if (f.dir.empty()) fs::remove_all(dir);

  if (f.format == "json") {
    std::cout << r.dump(2) << "\n";
    return;
  }
  const auto& i = r["import"];
  std::printf("machine: %s\n", r["machine"].get<std::string>().c_str());
  std::printf("generate %llu credentials: %.2f s, %.0f MB of JSONL\n",
              static_cast<unsigned long long>(f.count), r["gen_seconds"].get<double>(),
              r["input_bytes"].get<double>() / 1e6);
  std::printf("sever import:        %6.2f s  %8.0f/s  peak RSS %4.0f MiB  disk %4.0f MB  "
              "(parse+seal %.2f s, sort+write %.2f s, ingest %.2f s)\n",
              i["wall_seconds"].get<double>(), i["rate_per_second"].get<double>(),
              i["peak_rss_mib"].get<double>(), i["disk_bytes"].get<double>() / 1e6,
              i["parse_seconds"].get<double>(), i["write_seconds"].get<double>(),
              i["ingest_seconds"].get<double>());
  std::printf("baseline raw RocksDB:%6.2f s  %8.0f/s  (same lines, no parsing, crypto or indexes)\n",
              raw, f.count / raw);
  std::printf("get (decrypt+audit): p50 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us  (%zu gets)\n",
              g.p50, g.p99, g.p999, g.max, keys.size());
  std::printf("baseline raw Get:    p50 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us\n",
              b.p50, b.p99, b.p999, b.max);
}

}  // namespace

void add_bench_store_command(CLI::App& app) {
  auto f = std::make_shared<BenchFlags>();
  auto* cmd = app.add_subcommand("bench-store", "benchmark import and get at scale, with baselines");
  cmd->add_option("--count", f->count, "credentials (default 1,700,000)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", f->seed, "generator seed (default 1)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--gets", f->gets, "random gets to time (default 100,000)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--dir", f->dir, "work directory, kept afterwards (default: a temporary one)");
  cmd->add_option("--format", f->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([f] { run_bench(*f); });
}

}  // namespace sever::load::cli

// `sever-load bench-rotate --count N [--dir DIR] [--seed S] [--read-rate R] [--write-rate W]
//                           [--workers K] [--repeat N] [--format table|json]`
//
// The rotation benchmark of issue 4, every figure measured in one run on this machine:
//   1. a store of N generated credentials (the generator, then import_jsonl: `sever import`'s
//      path), and a sample of its credentials for the foreground load;
//   2. the ceiling: after the same begin (a new primary DEK per tenant), a naive single pass
//      that re-seals every record on K threads with no protection: no tenant lock (a concurrent
//      update can be lost), no checkpoint, no audit, no verification;
//   3. sever's rotation alone, in this process as the CLI runs it (begin_rotation, then
//      run_rotation: re-seal on the actors, verification, retirement, destruction and the purge
//      of the destroyed keys), timed like the ceiling; and `sever rotate dek --all --workers K`
//      itself as a child process (wall time from its start to its exit, peak RSS by wait4);
//   4. the same with foreground load at fixed rates: readers (GetSecret) and writers (upserts,
//      half of them on the largest tenant): rotation rate, read latency p50/p99 while it runs
//      (and idle, before it), failed reads, and lost updates (every written value read back
//      at the end);
//   5. the naive pass under the same load: what it loses.
// The loaded runs are in this process (the store allows one process), with begin_rotation and
// run_rotation as the CLI calls them. Each scenario runs on its own RocksDB checkpoint of the
// store of step 1. Every loop ends by itself: the load stops when the rotation it accompanies
// is done.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench_util.h"
#include "commands.h"
#include "reseal.h"
#include "schema.h"
#include "store_clones.h"
#include "sever/actors/rotation_run.h"
#include "sever/load/generator.h"
#include "sever/store/import.h"
#include "sever/store/inventory.h"
#include "sever/store/rotation.h"
#include "sever/store/time.h"

namespace sever::load::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

struct Flags {
  uint64_t count = 1'700'000;
  uint64_t seed = 1;
  std::string dir;
  double read_rate = 2000;   // GetSecret calls per second
  double write_rate = 500;   // upserts per second
  size_t workers = std::max(1u, std::thread::hardware_concurrency());
  uint64_t sample = 20'000;  // credentials the load picks from
  int repeat = 3;  // ceiling and in-process runs, alternated; medians reported
  std::string format = "table";
};

[[noreturn]] void fail(const std::string& why) {
  std::cerr << "sever-load bench-rotate: " << why << "\n";
  throw CLI::RuntimeError(1);
}

template <typename T>
T need(Result<T> r, const std::string& what) {
  if (!r.ok()) fail(what + ": " + r.status().message());
  return std::move(r).value();
}

void need(const Status& s, const std::string& what) {
  if (!s.ok()) fail(what + ": " + s.message());
}

StoreOptions options_for(const fs::path& data) {
  StoreOptions o;
  o.data_dir = data.string();
  o.key_source = default_key_source(o.data_dir);
  return o;
}

// Generates the credentials and imports them into a new store at `data`.
json build_store(const Flags& f, const fs::path& dir, const fs::path& data) {
  const fs::path jsonl = dir / "creds.jsonl";
  {
    std::ofstream out(jsonl, std::ios::binary);
    GenOptions g;
    g.count = f.count;
    g.seed = f.seed;
    g.now_unix = start_of_utc_day(now_unix());
    need(generate(g, out), "generate");
  }
  auto store = need(Store::Create(options_for(data), "bench"), "create store");
  std::FILE* in = std::fopen(jsonl.c_str(), "rb");
  if (in == nullptr) fail("cannot read " + jsonl.string());
  ImportOptions io;
  io.actor = "bench";
  io.source = jsonl.string();
  const auto t0 = Clock::now();
  auto stats = import_jsonl(*store, in, io);
  const double secs = since(t0);
  std::fclose(in);
  fs::remove(jsonl);  // plaintext secrets: gone as soon as they are not needed
  need(stats.status(), "import");
  return {{"credentials", stats->created}, {"tenants", stats->new_deks}, {"import_seconds", secs}};
}

// A credential the load reads and rewrites.
struct Target {
  Credential meta;
};

// Samples credentials uniformly, and the largest tenant's apart (writers hammer it).
void sample_targets(const fs::path& data, uint64_t n, uint64_t seed, std::vector<Target>* any,
                    std::vector<Target>* hot) {
  auto store = need(Store::Open(options_for(data)), "open store");
  std::mt19937_64 rng(seed);
  std::map<std::string, uint64_t> sizes;
  std::unique_ptr<rocksdb::Iterator> it(store->db()->NewIterator({}, store->cf(schema::kCreds)));
  uint64_t seen = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++seen) {
    std::string_view tenant, id;
    schema::split2(it->key().ToStringView(), &tenant, &id);
    ++sizes[std::string(tenant)];
    const uint64_t j = any->size() < n ? any->size() : rng() % (seen + 1);
    if (j >= n) continue;
    Target t;
    need(decode_record(tenant, id, it->value().ToStringView(), &t.meta), "decode");
    if (j == any->size()) any->push_back(std::move(t));
    else (*any)[j] = std::move(t);
  }
  std::string biggest;
  for (const auto& [t, k] : sizes) {
    if (biggest.empty() || k > sizes[biggest]) biggest = t;
  }
  InventoryFilter filter;
  filter.tenant = biggest;
  need(scan_inventory(*store, filter, now_unix(), [&](const Credential& c, State) {
         if (hot->size() < n) hot->push_back({c});
         return true;
       }), "scan the largest tenant");
}

// Readers and writers at fixed rates while something else runs. Latencies are the calls' own
// times; each read in `during` is also counted from its scheduled start (queueing included).
class Load {
 public:
  Load(Store& store, const std::vector<Target>& any, const std::vector<Target>& hot,
       double read_rate, double write_rate)
      : store_(store), any_(any), hot_(hot), read_rate_(read_rate), write_rate_(write_rate) {}

  void Start() {
    for (int r = 0; r < 2; ++r) threads_.emplace_back([this, r] { Reader(r); });
    threads_.emplace_back([this] { Writer(); });
  }
  void During(bool on) { during_ = on; }
  void Stop() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }

  // After Stop: reads every written credential back; returns those whose value is not the
  // last one written.
  uint64_t Lost() {
    uint64_t lost = 0;
    for (const auto& [key, value] : last_) {
      auto s = store_.GetSecret(key.first, key.second, "bench-check");
      if (!s.ok() || s->view() != value) ++lost;
    }
    return lost;
  }

  json Report() {
    std::lock_guard lock(mu_);
    Latency idle = percentiles(idle_us_), during = percentiles(during_us_),
            queued = percentiles(during_sched_us_);
    return {{"reads", reads_.load()}, {"failed_reads", failed_reads_.load()},
            {"writes", writes_.load()}, {"failed_writes", failed_writes_.load()},
            {"credentials_written", last_.size()},
            {"read_idle_p50_us", idle.p50}, {"read_idle_p99_us", idle.p99},
            {"read_p50_us", during.p50}, {"read_p99_us", during.p99},
            {"read_p999_us", during.p999}, {"read_max_us", during.max},
            {"read_p99_from_schedule_us", queued.p99}};
  }

 private:
  template <typename Op>
  void Paced(double rate, uint64_t seed, Op op) {
    std::mt19937_64 rng(seed);
    const auto start = Clock::now();
    for (uint64_t i = 0; !stop_; ++i) {
      const auto at = start + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(i / rate));
      std::this_thread::sleep_until(at);
      op(rng, at);
    }
  }

  void Reader(int r) {
    Paced(read_rate_ / 2, 100 + r, [&](std::mt19937_64& rng, Clock::time_point at) {
      const Credential& c = any_[rng() % any_.size()].meta;
      const bool during = during_;
      const auto t0 = Clock::now();
      auto s = store_.GetSecret(c.tenant, c.id, "bench-reader");
      const auto t1 = Clock::now();
      ++reads_;
      if (!s.ok()) ++failed_reads_;
      std::lock_guard lock(mu_);
      (during ? during_us_ : idle_us_).push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      if (during) during_sched_us_.push_back(std::chrono::duration<double, std::micro>(t1 - at).count());
    });
  }

  void Writer() {
    Paced(write_rate_, 7, [&](std::mt19937_64& rng, Clock::time_point) {
      const auto& pool = (rng() % 2 == 0 && !hot_.empty()) ? hot_ : any_;
      NewCredential c;
      c.meta = pool[rng() % pool.size()].meta;
      std::pair<std::string, std::string> key{c.meta.tenant, c.meta.id};
      const std::string value = "bench-update-" + std::to_string(writes_++);
      c.secret = SecretBytes(value);
      if (!store_.Put(std::move(c), true, "bench-writer").ok()) {
        ++failed_writes_;
        return;
      }
      last_[std::move(key)] = value;
    });
  }

  Store& store_;
  const std::vector<Target>& any_;
  const std::vector<Target>& hot_;
  const double read_rate_, write_rate_;
  std::atomic<bool> stop_{false}, during_{false};
  std::vector<std::thread> threads_;
  std::atomic<uint64_t> reads_{0}, failed_reads_{0}, writes_{0}, failed_writes_{0};
  std::mutex mu_;
  std::vector<double> idle_us_, during_us_, during_sched_us_;
  std::map<std::pair<std::string, std::string>, std::string> last_;  // the writer's own
};

// The ceiling: every record on an older version re-sealed in one pass, tenants handed to
// `threads` threads, 1,000 records a write, with no lock, checkpoint, audit or verification.
uint64_t naive_reseal(Store& store, size_t threads) {
  auto tenants = need(tenant_keys(store, "", {}, now_unix()), "list tenants");
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> total{0};
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      rocksdb::WriteBatch b;
      for (size_t i; (i = next++) < tenants.size();) {
        const TenantKeys& k = tenants[i];
        if (!k.primary) continue;
        auto sealer = need(detail::TenantSealer::Create(store, k.tenant, k.primary->version), "keys");
        const std::string prefix = schema::prefix(k.tenant);
        std::unique_ptr<rocksdb::Iterator> it(store.db()->NewIterator({}, store.cf(schema::kCreds)));
        for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
          uint32_t version;
          if (!peek_dek_version(it->value().ToStringView(), &version)) fail("bad record");
          if (version >= k.primary->version) continue;
          bool sealed;
          std::string_view id = it->key().ToStringView().substr(prefix.size());
          b.Put(store.cf(schema::kCreds), it->key(), need(sealer.Reseal(id, it->value().ToStringView(), &sealed), "reseal"));
          ++total;
          if (b.Count() >= 1000) {
            if (!store.db()->Write({}, &b).ok()) fail("naive write failed");
            b.Clear();
          }
        }
      }
      if (!store.db()->Write({}, &b).ok()) fail("naive write failed");
    });
  }
  for (auto& t : pool) t.join();
  return total;
}

// One scenario on its own copy of the store: begin, then `pass`, timed, under load or not.
struct Scenario {
  double seconds = 0;
  uint64_t resealed = 0;
  double peak_rss_mib = 0;  // measured for the CLI run only
  json load;
};

// sever's rotation alone, as an operator runs it: `sever rotate dek --all`, a child process.
Scenario run_cli(const fs::path& clone, const Flags& f) {
  const std::string sever = (fs::read_symlink("/proc/self/exe").parent_path() / "sever").string();
  Scenario s;
  ChildRun c = run_child({sever, "--data", clone.string(), "rotate", "dek", "--all", "--workers",
                          std::to_string(f.workers), "--no-progress", "--format", "json"},
                         clone.parent_path());
  if (c.code != 0) fail("sever rotate dek --all failed: " + c.err);
  s.seconds = c.seconds;
  s.resealed = json::parse(c.out)["resealed"].get<uint64_t>();
  s.peak_rss_mib = c.rss_kib / 1024.0;
  fs::remove_all(clone);
  fs::remove(clone.string() + ".key");
  return s;
}

template <typename Pass>
Scenario run_scenario(const fs::path& clone, const Flags& f, const std::vector<Target>* any,
                      const std::vector<Target>* hot, Pass pass) {
  auto store = need(Store::Open(options_for(clone)), "open " + clone.string());
  std::unique_ptr<Load> load;
  if (any != nullptr) {
    load = std::make_unique<Load>(*store, *any, *hot, f.read_rate, f.write_rate);
    load->Start();
    std::this_thread::sleep_for(std::chrono::seconds(2));  // idle latencies first
    load->During(true);
  }
  Scenario s;
  const auto t0 = Clock::now();
  RotationRequest req;
  req.scope = RotationScope::all;
  req.actor = "bench";
  req.workers = f.workers;
  auto started = need(begin_rotation(*store, req), "begin rotation");
  s.resealed = pass(*store, started.job);
  s.seconds = since(t0);
  if (load) {
    load->During(false);
    load->Stop();
    s.load = load->Report();
    s.load["lost_updates"] = load->Lost();
  }
  store.reset();
  fs::remove_all(clone);
  fs::remove(clone.string() + ".key");
  return s;
}

json to_json(const Scenario& s, double ceiling_rate) {
  const double rate = s.resealed / s.seconds;
  json j = {{"seconds", s.seconds}, {"resealed", s.resealed}, {"rate_per_second", rate}};
  if (s.peak_rss_mib > 0) j["peak_rss_mib"] = s.peak_rss_mib;
  if (ceiling_rate > 0) j["vs_ceiling"] = rate / ceiling_rate;
  if (!s.load.is_null()) j["load"] = s.load;
  return j;
}

void print_line(const char* name, const json& j) {
  std::printf("%-34s %6.2f s  %8.0f/s", name, j["seconds"].get<double>(),
              j["rate_per_second"].get<double>());
  if (j.contains("vs_ceiling")) std::printf("  %.2fx ceiling", j["vs_ceiling"].get<double>());
  if (j.contains("peak_rss_mib")) std::printf("  peak RSS %4.0f MiB", j["peak_rss_mib"].get<double>());
  std::printf("\n");
  if (!j.contains("load")) return;
  const json& l = j["load"];
  std::printf("%-34s reads %llu (%llu failed), p50 %.0f us p99 %.0f us (idle p50 %.0f us p99 %.0f us; "
              "p99 from schedule %.0f us); %llu updates of %llu credentials, %llu lost\n",
              "", l["reads"].get<unsigned long long>(), l["failed_reads"].get<unsigned long long>(),
              l["read_p50_us"].get<double>(), l["read_p99_us"].get<double>(),
              l["read_idle_p50_us"].get<double>(), l["read_idle_p99_us"].get<double>(),
              l["read_p99_from_schedule_us"].get<double>(), l["writes"].get<unsigned long long>(),
              l["credentials_written"].get<unsigned long long>(),
              l["lost_updates"].get<unsigned long long>());
}

void run_bench(const Flags& f) {
  const fs::path dir = f.dir.empty() ? fs::temp_directory_path() /
                                           ("sever-bench-rotate-" + std::to_string(getpid()))
                                     : fs::path(f.dir);
  fs::create_directories(dir);
  const fs::path data = dir / "store";
  fs::remove_all(data);
  fs::remove(data.string() + ".key");
  json r = {{"machine", machine()}, {"count", f.count}, {"workers", f.workers},
            {"read_rate", f.read_rate}, {"write_rate", f.write_rate}};
  r["store"] = build_store(f, dir, data);
  std::vector<Target> any, hot;
  sample_targets(data, f.sample, f.seed, &any, &hot);
  auto clones = need(clone_store(data, dir, 3 + 2 * f.repeat), "clone the store");

  auto naive = [&](Store& s, JobSpec&) { return naive_reseal(s, f.workers); };
  auto sever = [&](Store& s, JobSpec& job) {
    actors::RotationOptions o;
    o.workers = f.workers;
    auto p = need(actors::run_rotation(s, job, o, nullptr), "rotation");
    return p.resealed_run;
  };
  // The ceiling and sever alone, alternated `repeat` times (this VM's speed drifts between
  // runs): medians, and each pair's ratio.
  std::vector<Scenario> ceilings, alones;
  json pair_ratios = json::array();
  size_t next = 0;
  for (int i = 0; i < f.repeat; ++i) {
    ceilings.push_back(run_scenario(clones[next++], f, nullptr, nullptr, naive));
    alones.push_back(run_scenario(clones[next++], f, nullptr, nullptr, sever));
    pair_ratios.push_back(ceilings.back().seconds / alones.back().seconds);
  }
  auto median = [](std::vector<Scenario> v) {
    std::sort(v.begin(), v.end(), [](const Scenario& a, const Scenario& b) { return a.seconds < b.seconds; });
    return v[v.size() / 2];
  };
  const Scenario ceiling = median(ceilings);
  const double ceiling_rate = ceiling.resealed / ceiling.seconds;
  r["naive_ceiling"] = to_json(ceiling, 0);
  r["sever_alone"] = to_json(median(alones), ceiling_rate);
  r["sever_alone"]["pair_ratios"] = pair_ratios;
  r["sever_cli"] = to_json(run_cli(clones[next++], f), ceiling_rate);
  r["sever_under_load"] = to_json(run_scenario(clones[next++], f, &any, &hot, sever), ceiling_rate);
  r["naive_under_load"] = to_json(run_scenario(clones[next++], f, &any, &hot, naive), ceiling_rate);
  if (f.dir.empty()) fs::remove_all(dir);

  if (f.format == "json") {
    std::cout << r.dump(2) << "\n";
    return;
  }
  std::printf("machine: %s\n", r["machine"].get<std::string>().c_str());
  std::printf("store: %llu credentials, %llu tenants (import %.2f s); %zu workers; load: %.0f reads/s, "
              "%.0f writes/s (half on the largest tenant)\n",
              r["store"]["credentials"].get<unsigned long long>(),
              r["store"]["tenants"].get<unsigned long long>(),
              r["store"]["import_seconds"].get<double>(), f.workers, f.read_rate, f.write_rate);
  std::printf("ceiling and in-process rotation: median of %d alternated runs each\n", f.repeat);
  print_line("naive re-seal (ceiling, unsafe):", r["naive_ceiling"]);
  print_line("sever rotation (in process):", r["sever_alone"]);
  std::printf("%-34s pairs:", "");
  for (const auto& x : r["sever_alone"]["pair_ratios"]) std::printf(" %.2fx", x.get<double>());
  std::printf("\n");
  print_line("sever rotate dek --all (CLI):", r["sever_cli"]);
  print_line("sever rotate dek --all + load:", r["sever_under_load"]);
  print_line("naive re-seal + load:", r["naive_under_load"]);
}

}  // namespace

void add_bench_rotate_command(CLI::App& app) {
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("bench-rotate",
                                 "benchmark DEK rotation alone and under load, beside a naive re-seal");
  cmd->add_option("--count", f->count, "credentials (default 1,700,000)")->check(CLI::PositiveNumber);
  cmd->add_option("--seed", f->seed, "generator seed (default 1)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--read-rate", f->read_rate, "reads per second during the loaded runs (default 2000)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--write-rate", f->write_rate, "upserts per second during the loaded runs (default 500)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--workers", f->workers, "rotation workers and naive threads (default: the cores)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--sample", f->sample, "credentials the load picks from (default 20,000)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--repeat", f->repeat, "alternated runs of the ceiling and of the rotation alone (default 3)")
      ->check(CLI::Range(1, 15));
  cmd->add_option("--dir", f->dir, "work directory, kept afterwards (default: a temporary one)");
  cmd->add_option("--format", f->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([f] { run_bench(*f); });
}

}  // namespace sever::load::cli

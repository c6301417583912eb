#include "sever/actors/revocation_run.h"

#include <chrono>
#include <deque>
#include <unordered_map>
#include <vector>

#include "dispatcher.h"
#include "messages.h"
#include "sever/providers/http_client.h"
#include "sever/providers/registry.h"
#include "store_writer.h"

namespace sever::actors {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kReadChunk = 1024;  // items read from the store at once

void add(ProviderProgress& p, const ProviderProgress& d) {
  p.revoked += d.revoked;
  p.already_gone += d.already_gone;
  p.manual += d.manual;
  p.dead_letter += d.dead_letter;
  p.requests += d.requests;
  p.limited += d.limited;
  p.retries += d.retries;
}

// The job supervisor. It lives on the caller's thread as a scoped actor. It streams the job's
// items from the store tool by tool (riskiest first), reads each credential's record, and
// hands them in batches to dispatchers (one per provider and rate-limit key), never more than
// dispatcher_queue per dispatcher: each report of finished items lets more in. It counts what
// dispatchers report, restarts one that dies from the durable item states, and ends the run
// when every item is final or the job is cancelled.
class Supervisor {
 public:
  Supervisor(Store& store, JobSpec& job, const providers::ProviderSet& providers,
             const RunOptions& options)
      : store_(store), job_(job), providers_(providers), options_(options),
        system_(Configure(cfg_, options)), self_(system_) {}

  // Stops every child and waits until each is gone: a dispatcher still handling a message
  // would otherwise submit to the HTTP client freed below.
  ~Supervisor() {
    std::vector<caf::actor> children;
    for (auto& f : feeds_) children.push_back(f.actor);
    if (writer_) children.push_back(writer_);
    for (auto& c : children) self_->send_exit(c, caf::exit_reason::user_shutdown);
    self_->wait_for(children);
    http_.reset();  // drains its callbacks before the actor system goes away
  }

  Result<RunProgress> Run(const std::function<void(const RunProgress&)>& progress) {
    providers::HttpClientOptions ho;
    ho.max_in_flight = options_.max_in_flight;
    // Each provider's concurrency is its dispatcher's window. A per-host cap below the in-flight
    // bound only parks transfers in libcurl's pending queue, each set up again when a connection
    // frees (the default 64: sever's CPU ~10% higher in 1.7M replays against one host).
    ho.max_host_connections = static_cast<long>(options_.max_in_flight);
    ho.threads = options_.http_threads;
    SEVER_ASSIGN_OR_RETURN(http_, providers::HttpClient::Start(ho));
    writer_ = spawn_store_writer(system_, store_, options_.writer_batch, options_.writer_interval_s,
                                 options_.actor, caf::actor_cast<caf::actor>(self_));
    const auto start = start_ = Clock::now();
    SEVER_RETURN_IF_ERROR(OpenStreams());
    for (size_t t = 0; t < streams_.size() && failure_.ok(); ++t) Refill(t, kFirstRead);
    auto last_report = start;
    auto last_cancel_check = start;
    bool cancelled = false;
    while (failure_.ok() && !cancelled && !Finished()) {
      self_->receive(
          [&](report_atom, Report& r) { OnReport(r); },
          [&](committed_atom, uint64_t n) { OnCommitted(n); },
          [&](caf::down_msg& d) { OnDown(d); },
          caf::after(std::chrono::milliseconds(100)) >> [] {});
      const auto now = Clock::now();
      progress_.elapsed_s = std::chrono::duration<double>(now - start).count();
      if (now - last_report >= std::chrono::duration<double>(options_.progress_interval_s)) {
        last_report = now;
        if (progress) progress(progress_);
      }
      if (now - last_cancel_check >= std::chrono::seconds(1)) {
        for (Stream& st : streams_) st.reader->Release();  // pins nothing while it waits
        last_cancel_check = now;
        auto j = load_job(store_, job_.id);
        cancelled = j.ok() && j->state == JobState::cancelled;
      }
    }
    SEVER_RETURN_IF_ERROR(Flush());
    SEVER_RETURN_IF_ERROR(failure_);
    progress_.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
    if (!cancelled) {
      job_.state = JobState::done;
      SEVER_RETURN_IF_ERROR(save_job(store_, job_, "revoke.done"));
    }
    if (progress) progress(progress_);
    return progress_;
  }

 private:
  // One tool's items, read from the store in rank order.
  struct Stream {
    std::string tool;
    const providers::ProviderConfig* config = nullptr;
    const providers::Adapter* adapter = nullptr;
    std::unique_ptr<ToolItemReader> reader;
    size_t cap = 0;      // items each of its dispatchers holds at most
    bool exhausted = false;
    size_t backlog = 0;  // items held for its busy dispatchers
    bool starved = false;  // its first read waits in starved_
    std::vector<size_t> blocked;  // hungry dispatchers that found its backlog full
  };

  // One dispatcher and what the supervisor knows of it.
  struct Feed {
    caf::actor actor;
    std::string key;  // provider / rate key
    size_t stream = 0;
    size_t outstanding = 0;   // given to it, not yet final
    std::deque<Work> backlog;  // read for it while it was full
    int restarts = 0;
    bool starved = false;  // waits in starved_
    bool blocked = false;  // waits in its stream's blocked list
  };

  static caf::actor_system_config& Configure(caf::actor_system_config& cfg, const RunOptions& o) {
    cfg.set("scheduler.max-threads", o.scheduler_threads);
    // An idle worker polls its queue this often before it blocks (CAF's default: every 50 µs).
    // The dispatchers' worker idles between bursts of completions: at 1 ms it wakes a twentieth
    // as often, each wake drains more completions, and it preempts the HTTP threads less. A
    // message waits at most 1 ms longer; requests are in flight for far longer than that.
    cfg.set("work-stealing.moderate-sleep-duration", caf::timespan{std::chrono::milliseconds(1)});
    return cfg;
  }

  bool Finished() const {
    if (live_ > 0) return false;
    for (const Stream& s : streams_) {
      if (!s.exhausted) return false;
    }
    return true;
  }

  Status OpenStreams() {
    SEVER_ASSIGN_OR_RETURN(std::vector<std::string> tools, job_tools(store_, job_.id));
    for (std::string& tool : tools) {
      Stream s;
      s.config = &providers_.For(tool);
      s.adapter = providers::find_adapter(s.config->adapter);
      if (s.adapter == nullptr) {
        return Status::InvalidArgument("provider " + s.config->name + ": no adapter " +
                                       s.config->adapter);
      }
      auto n = job_.tool_items.find(tool);
      const uint64_t total = n == job_.tool_items.end() ? 0 : n->second;
      progress_.all.total += total;
      progress_.by_provider[s.config->name].total += total;
      s.reader = std::make_unique<ToolItemReader>(store_, job_.id, tool);
      // A paced dispatcher holds one second of its rate (up to twice dispatcher_queue): many
      // slow providers must not hold the run's max_live items between them, and a busy one
      // must not run dry between two refills.
      const double rate = s.config->rate_limit_per_s;
      s.cap = options_.dispatcher_queue;
      if (rate > 0 && rate < 2.0 * static_cast<double>(s.cap)) {
        s.cap = std::max<size_t>(16, static_cast<size_t>(rate));
      }
      s.tool = std::move(tool);
      streams_.push_back(std::move(s));
    }
    return Status::Ok();
  }

  // Returns the dispatcher for an item of the stream, spawning it on first use.
  size_t FeedFor(size_t stream, const JobItem& item) {
    const Stream& st = streams_[stream];
    providers::RevokeItem ri;
    ri.tenant = item.tenant;
    ri.tool = item.tool;
    ri.client = item.client;
    std::string key = st.config->name + "/" + providers::rate_key(*st.adapter, ri, *st.config);
    auto it = by_key_.find(key);
    if (it != by_key_.end()) return it->second;
    const size_t index = feeds_.size();
    Feed f;
    f.key = key;
    f.stream = stream;
    f.actor = SpawnFor(index, stream, key);
    feeds_.push_back(std::move(f));
    by_key_.emplace(std::move(key), index);
    return index;
  }

  caf::actor SpawnFor(size_t index, size_t stream, const std::string& key) {
    const Stream& st = streams_[stream];
    DispatcherSetup d{key,  &store_, st.adapter, st.config, http_.get(), writer_,
                      caf::actor_cast<caf::actor>(self_), static_cast<uint32_t>(index),
                      options_.seed + index};
    caf::actor a = spawn_dispatcher(system_, std::move(d));
    self_->monitor(a);
    return a;
  }

  // Gives dispatchers what they need to revoke the items: each credential's sealed secret. An
  // item carries the copy made at the freeze; the records of items without one (written before
  // copies were kept, or sent again by `jobs retry`) are read, in one batched read. Nothing for
  // items that only become manual: a tool without an API, or a kind its adapter does not revoke
  // (their secrets are neither read nor decrypted).
  std::vector<Work> MakeWork(const Stream& st, std::vector<JobItem>&& items) {
    std::vector<Work> works(items.size());
    std::vector<size_t> read;  // indexes of the items whose records are needed
    std::vector<std::pair<std::string_view, std::string_view>> keys;
    for (size_t i = 0; i < items.size(); ++i) {
      const JobItem& item = items[i];
      if (!needs_record(*st.adapter, item)) continue;
      if (!item.sealed.empty() && item.kind) {  // the copy: no random read of the record
        Credential& c = works[i].record;
        c.tenant = item.tenant;
        c.id = item.id;
        c.kind = *item.kind;
        c.dek_version = item.dek_version;
        c.sealed = item.sealed;  // the item keeps its copy: a retry_wait transition stores it
        works[i].has_record = true;
        continue;
      }
      read.push_back(i);
      keys.emplace_back(item.tenant, item.id);
    }
    auto records = store_.GetRecords(keys);
    for (size_t r = 0; r < read.size(); ++r) {
      Work& w = works[read[r]];
      if (records[r].ok()) {
        w.record = std::move(records[r]).value();
        w.has_record = true;
      } else {
        w.read_error = records[r].status().message();
      }
    }
    for (size_t i = 0; i < items.size(); ++i) works[i].item = std::move(items[i]);
    return works;
  }

  bool Hungry(const Feed& f) const {
    return f.backlog.empty() && f.outstanding < streams_[f.stream].cap / 2;
  }

  // Items read and not yet durably final: in dispatchers and backlogs, or finished and on
  // their way through the writer.
  bool Full() const {
    return live_ + std::max<int64_t>(uncommitted_, 0) >= options_.max_live;
  }

  static constexpr size_t kFirstRead = ~size_t{0};

  // Reads the stream's next items and hands them out, until the dispatcher `trigger` (the one
  // that asked, or kFirstRead: until some item is handed out) has enough, the stream ends, or
  // its backlog is full. Items an earlier run finished are counted and skipped.
  void Refill(size_t stream, size_t trigger) {
    std::unordered_map<size_t, WorkBatch> out;
    size_t routed = 0;
    std::vector<JobItem> items;
    while (failure_.ok()) {
      Stream& st = streams_[stream];
      if (st.exhausted) break;
      if (st.backlog >= options_.tool_backlog) {  // read again when its backlog shrinks
        if (trigger != kFirstRead && !feeds_[trigger].blocked) {
          feeds_[trigger].blocked = true;
          st.blocked.push_back(trigger);
        }
        break;
      }
      if (Full()) {
        Starve(stream, trigger);
        break;
      }
      if (trigger != kFirstRead ? !Hungry(feeds_[trigger]) : routed > 0) break;
      items.clear();
      auto done = st.reader->Next(std::min(kReadChunk, st.cap), &items);
      if (!done.ok()) {
        failure_ = done.status();
        break;
      }
      st.exhausted = *done;
      std::vector<JobItem> open;
      for (JobItem& item : items) {
        if (is_final(item.state)) {  // finished by an earlier run
          progress_.all.count_final(item.state);
          progress_.by_provider[st.config->name].count_final(item.state);
        } else {
          open.push_back(std::move(item));
        }
      }
      for (Work& w : MakeWork(st, std::move(open))) {
        const size_t fi = FeedFor(stream, w.item);
        Feed& f = feeds_[fi];
        ++live_;
        ++routed;
        if (f.backlog.empty() && f.outstanding < streams_[stream].cap) {
          ++f.outstanding;
          out[fi].push_back(std::move(w));
        } else {
          f.backlog.push_back(std::move(w));
          ++streams_[stream].backlog;
        }
      }
    }
    for (auto& [fi, batch] : out) self_->send(feeds_[fi].actor, enqueue_atom::value, std::move(batch));
  }

  // Moves the dispatcher's backlog into it while it has room.
  void Release(size_t fi) {
    Feed& f = feeds_[fi];
    WorkBatch batch;
    while (!f.backlog.empty() && f.outstanding < streams_[f.stream].cap) {
      batch.push_back(std::move(f.backlog.front()));
      f.backlog.pop_front();
      --streams_[f.stream].backlog;
      ++f.outstanding;
    }
    if (!batch.empty()) self_->send(f.actor, enqueue_atom::value, std::move(batch));
    Stream& st = streams_[f.stream];
    if (!st.blocked.empty() && st.backlog < options_.tool_backlog) {
      std::vector<size_t> blocked;
      blocked.swap(st.blocked);
      for (size_t b : blocked) feeds_[b].blocked = false;
      for (size_t b : blocked) {
        if (Hungry(feeds_[b])) Refill(f.stream, b);
      }
    }
  }

  void OnReport(const Report& r) {
    if (r.dispatcher >= feeds_.size()) return;
    Feed& f = feeds_[r.dispatcher];
    add(progress_.all, r.delta);
    ProviderProgress& p = progress_.by_provider[streams_[f.stream].config->name];
    add(p, r.delta);
    if (p.finished_s < 0 && p.done() >= p.total) {
      p.finished_s = std::chrono::duration<double>(Clock::now() - start_).count();
    }
    const size_t n = std::min<size_t>(r.finished, f.outstanding);
    f.outstanding -= n;
    live_ -= n;
    uncommitted_ += static_cast<int64_t>(n);
    Release(r.dispatcher);
    if (Hungry(f)) Refill(f.stream, r.dispatcher);
    RetryStarved();
  }

  // The writer made n final transitions durable: streams and dispatchers that went hungry while
  // too much was in flight may read again.
  void OnCommitted(uint64_t n) {
    uncommitted_ -= static_cast<int64_t>(n);
    RetryStarved();
  }

  // Remembers, once, who could not read because the run was Full().
  void Starve(size_t stream, size_t trigger) {
    bool& flag = trigger == kFirstRead ? streams_[stream].starved : feeds_[trigger].starved;
    if (flag) return;
    flag = true;
    starved_.emplace_back(stream, trigger);
  }

  // Lets the starved read again, oldest first, while the run has room.
  void RetryStarved() {
    while (!starved_.empty() && !Full()) {
      auto [stream, trigger] = starved_.front();
      starved_.pop_front();
      (trigger == kFirstRead ? streams_[stream].starved : feeds_[trigger].starved) = false;
      if (trigger == kFirstRead || Hungry(feeds_[trigger])) Refill(stream, trigger);
    }
  }

  // A dispatcher died: what it held is lost from memory but not from the store. Once the
  // writer has committed everything it sent, its non-final items (up to the stream's cursor)
  // are read again and given to a new dispatcher of the same key.
  void OnDown(const caf::down_msg& d) {
    size_t fi = feeds_.size();
    for (size_t i = 0; i < feeds_.size(); ++i) {
      if (feeds_[i].actor.address() == d.source) fi = i;
    }
    if (fi == feeds_.size()) return;  // not a dispatcher of this run
    Feed& f = feeds_[fi];
    const std::string why = system_.render(d.reason);
    if (++f.restarts > options_.max_restarts) {
      failure_ = Status::Internal("dispatcher " + f.key + " died " + std::to_string(f.restarts) +
                                  " times, last: " + why);
      return;
    }
    Status flushed = Flush();
    if (!flushed.ok()) {
      failure_ = flushed;
      return;
    }
    const size_t stream = f.stream;
    Stream& st = streams_[stream];
    live_ -= f.outstanding + f.backlog.size();
    st.backlog -= f.backlog.size();
    f.backlog.clear();
    f.outstanding = 0;
    ToolItemReader replay(store_, job_.id, st.tool, st.reader->cursor());
    std::vector<JobItem> items;
    bool done = st.reader->cursor().empty();
    while (!done) {
      items.clear();
      auto r = replay.Next(kReadChunk, &items);
      if (!r.ok()) {
        failure_ = r.status();
        return;
      }
      done = *r;
      std::vector<JobItem> mine;
      for (JobItem& item : items) {
        if (!is_final(item.state) && FeedFor(stream, item) == fi) mine.push_back(std::move(item));
      }
      for (Work& w : MakeWork(st, std::move(mine))) {
        feeds_[fi].backlog.push_back(std::move(w));
        ++st.backlog;
        ++live_;
      }
    }
    feeds_[fi].actor = SpawnFor(fi, stream, feeds_[fi].key);
    Release(fi);
  }

  // Waits until every transition received so far is durable.
  Status Flush() {
    Status result;
    self_->request(writer_, caf::infinite, flush_atom::value)
        .receive([](uint64_t) {},
                 [&](caf::error& e) { result = Status::IoError("store writer: " + system_.render(e)); });
    return result;
  }

  Store& store_;
  JobSpec& job_;
  const providers::ProviderSet& providers_;
  const RunOptions& options_;
  caf::actor_system_config cfg_;  // outlives the system
  caf::actor_system system_;
  caf::scoped_actor self_;
  std::unique_ptr<providers::HttpClient> http_;
  caf::actor writer_;
  std::vector<Stream> streams_;
  std::vector<Feed> feeds_;
  std::unordered_map<std::string, size_t> by_key_;
  uint64_t live_ = 0;  // items read and not yet final: given to dispatchers or in backlogs
  int64_t uncommitted_ = 0;     // reported final, not yet reported durable by the writer
  std::deque<std::pair<size_t, size_t>> starved_;  // (stream, trigger) that found it Full()
  RunProgress progress_;
  Clock::time_point start_;
  Status failure_;
};

}  // namespace

Result<RunProgress> run_revocation(Store& store, JobSpec& job,
                                   const providers::ProviderSet& providers,
                                   const RunOptions& options,
                                   const std::function<void(const RunProgress&)>& progress) {
  providers::register_builtin_providers();
  Supervisor supervisor(store, job, providers, options);
  return supervisor.Run(progress);
}

}  // namespace sever::actors

#include "sever/actors/revocation_run.h"

#include <chrono>
#include <unordered_map>

#include "dispatcher.h"
#include "messages.h"
#include "sever/providers/http_client.h"
#include "sever/providers/registry.h"
#include "store_writer.h"

namespace sever::actors {
namespace {

using Clock = std::chrono::steady_clock;

void count(ProviderProgress& p, const Report& r) {
  p.requests += r.requests;
  p.limited += r.limited;
  p.retries += r.retries;
  switch (r.state) {
    case ItemState::revoked: ++p.revoked; break;
    case ItemState::already_gone: ++p.already_gone; break;
    case ItemState::manual: ++p.manual; break;
    case ItemState::dead_letter: ++p.dead_letter; break;
    default: break;
  }
}

// The job supervisor. It lives on the caller's thread as a scoped actor: it routes the job's
// items to dispatchers (one per provider and rate-limit key), counts what they report, watches
// them, and ends the run when every item is final or the job is cancelled.
class Supervisor {
 public:
  Supervisor(Store& store, JobSpec& job, const providers::ProviderSet& providers,
             const RunOptions& options)
      : store_(store), job_(job), providers_(providers), options_(options),
        system_(Configure(cfg_, options)), self_(system_) {}

  ~Supervisor() {
    for (auto& [key, d] : dispatchers_) self_->send_exit(d, caf::exit_reason::user_shutdown);
    if (writer_) self_->send_exit(writer_, caf::exit_reason::user_shutdown);
    http_.reset();  // drains its callbacks before the actor system goes away
  }

  Result<RunProgress> Run(const std::function<void(const RunProgress&)>& progress) {
    providers::HttpClientOptions ho;
    ho.max_in_flight = options_.max_in_flight;
    SEVER_ASSIGN_OR_RETURN(http_, providers::HttpClient::Start(ho));
    writer_ = spawn_store_writer(system_, store_, options_.writer_batch, options_.writer_interval_s,
                                 options_.actor);
    const auto start = Clock::now();
    SEVER_RETURN_IF_ERROR(Route());
    auto last_report = start;
    auto last_cancel_check = start;
    bool cancelled = false;
    while (progress_.all.done() < progress_.all.total && !cancelled) {
      self_->receive(
          [&](report_atom, Report& r) {
            count(progress_.all, r);
            count(progress_.by_provider[r.provider], r);
          },
          [&](caf::down_msg& d) { failure_ = Status::Internal("a dispatcher died: " + system_.render(d.reason)); },
          caf::after(std::chrono::milliseconds(100)) >> [] {});
      if (!failure_.ok()) break;
      const auto now = Clock::now();
      progress_.elapsed_s = std::chrono::duration<double>(now - start).count();
      if (now - last_report >= std::chrono::duration<double>(options_.progress_interval_s)) {
        last_report = now;
        if (progress) progress(progress_);
      }
      if (now - last_cancel_check >= std::chrono::seconds(1)) {
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
  static caf::actor_system_config& Configure(caf::actor_system_config& cfg, const RunOptions& o) {
    cfg.set("scheduler.max-threads", o.scheduler_threads);
    return cfg;
  }

  // Sends every non-final item, in rank order, to its dispatcher. Items a crash left in_flight
  // are non-final too, so they are sent again here without a separate reset pass.
  Status Route() {
    Status s = scan_items(store_, job_.id, [&](const JobItem& item) {
      if (is_final(item.state)) return true;
      const providers::ProviderConfig& cfg = providers_.For(item.tool);
      const providers::Adapter* adapter = providers::find_adapter(cfg.adapter);
      if (adapter == nullptr) {
        failure_ = Status::InvalidArgument("provider " + cfg.name + ": no adapter " + cfg.adapter);
        return false;
      }
      providers::RevokeItem ri;
      ri.tenant = item.tenant;
      ri.tool = item.tool;
      ri.client = item.client;
      const std::string key = cfg.name + "/" + adapter->rate_key(ri);
      auto it = dispatchers_.find(key);
      if (it == dispatchers_.end()) {
        DispatcherSetup d{key, &store_, adapter, &cfg, http_.get(), writer_,
                          caf::actor_cast<caf::actor>(self_), options_.seed + dispatchers_.size()};
        it = dispatchers_.emplace(key, spawn_dispatcher(system_, std::move(d))).first;
        self_->monitor(it->second);
      }
      ++progress_.all.total;
      ++progress_.by_provider[cfg.name].total;
      self_->send(it->second, enqueue_atom::value, item);
      return true;
    });
    SEVER_RETURN_IF_ERROR(s);
    return failure_;
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
  std::unordered_map<std::string, caf::actor> dispatchers_;
  RunProgress progress_;
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

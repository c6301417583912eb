#include "sever/actors/rotation_run.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <vector>

#include "rotation_worker.h"

namespace sever::actors {
namespace {

using Clock = std::chrono::steady_clock;

// The rotation supervisor. It lives on the caller's thread as a scoped actor: it hands shards
// to workers as they ask (a worker that finishes one gets the next), counts what they report,
// watches them, checks for cancellation, and marks the job done when every shard is.
class RotationSupervisor {
 public:
  RotationSupervisor(Store& store, JobSpec& job, const RotationOptions& options)
      : store_(store), job_(job), options_(options), system_(Configure(cfg_)), self_(system_),
        bucket_(options.max_rate, std::max<double>(options.max_rate * 0.1, Batch())) {}

  // Stops every worker and waits until each is gone: they point into this object.
  ~RotationSupervisor() {
    for (auto& w : workers_) self_->send_exit(w, caf::exit_reason::user_shutdown);
    self_->wait_for(workers_);
  }

  Result<RotationProgress> Run(const std::function<void(const RotationProgress&)>& progress) {
    SEVER_RETURN_IF_ERROR(Load());
    const auto start = Clock::now();
    auto last_report = start, last_cancel_check = start;
    for (size_t i = 0; i < options_.workers && !todo_.empty(); ++i) Spawn();
    size_t active = workers_.size();
    while (active > 0 && failure_.ok() && !progress_.cancelled) {
      self_->receive(
          [&](stepped_atom, StepReport& r) {
            progress_.resealed += r.resealed;
            progress_.resealed_run += r.resealed;
            if (r.phase != ShardPhase::done) return;
            ++progress_.shards_done;
            progress_.tenants_done += tenants_of_[r.shard];
            auto worker = caf::actor_cast<caf::actor>(self_->current_sender());
            if (todo_.empty()) {
              self_->demonitor(worker);  // its exit is no failure
              self_->send_exit(worker, caf::exit_reason::user_shutdown);
              --active;
            } else {
              Give(worker);
            }
          },
          [&](failed_atom, Status& s) { failure_ = s; },
          [&](caf::down_msg& d) {
            failure_ = Status::Internal("a rotation worker died: " + system_.render(d.reason));
          },
          caf::after(std::chrono::milliseconds(100)) >> [] {});
      const auto now = Clock::now();
      progress_.elapsed_s = std::chrono::duration<double>(now - start).count();
      if (progress && now - last_report >= std::chrono::duration<double>(options_.progress_interval_s)) {
        last_report = now;
        progress(progress_);
      }
      if (now - last_cancel_check >= std::chrono::seconds(1)) {
        last_cancel_check = now;
        auto j = load_job(store_, job_.id);
        progress_.cancelled = j.ok() && j->state == JobState::cancelled;
      }
    }
    for (auto& w : workers_) self_->demonitor(w);
    SEVER_RETURN_IF_ERROR(failure_);
    if (!progress_.cancelled) {
      SEVER_ASSIGN_OR_RETURN(auto shards, load_shards(store_, job_.id));
      SEVER_RETURN_IF_ERROR(finish_rotation(store_, job_, shards));
    }
    progress_.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
    if (progress) progress(progress_);
    return progress_;
  }

 private:
  static caf::actor_system_config& Configure(caf::actor_system_config& cfg) {
    cfg.set("scheduler.max-threads", 1);  // the workers are detached: they have threads of their own
    return cfg;
  }

  // Re-seal batch size: about 50 ms of the rate when limited.
  size_t Batch() const {
    if (options_.max_rate <= 0) return options_.batch;
    return std::clamp<size_t>(static_cast<size_t>(options_.max_rate / 20), 1, options_.batch);
  }

  Status Load() {
    SEVER_ASSIGN_OR_RETURN(RotationParams params, rotation_params(job_));
    SEVER_ASSIGN_OR_RETURN(auto shards, load_shards(store_, job_.id));
    progress_.estimate = params.estimate;
    progress_.tenants = params.tenants;
    progress_.shards = shards.size();
    for (auto& s : shards) {
      progress_.resealed += s.resealed;
      tenants_of_[s.index] = s.tenants.size();
      if (s.phase == ShardPhase::done) {
        ++progress_.shards_done;
        progress_.tenants_done += s.tenants.size();
      } else {
        todo_.push_back(std::move(s));
      }
    }
    return Status::Ok();
  }

  void Spawn() {
    WorkerSetup w{&store_, caf::actor_cast<caf::actor>(self_), &bucket_, Batch(), options_.nice,
                  options_.on_step, &batches_, &retired_, &destroyed_};
    workers_.push_back(spawn_rotation_worker(system_, std::move(w)));
    self_->monitor(workers_.back());
    Give(workers_.back());
  }

  void Give(const caf::actor& worker) {
    self_->send(worker, shard_atom::value, std::move(todo_.front()));
    todo_.pop_front();
  }

  Store& store_;
  JobSpec& job_;
  const RotationOptions& options_;
  caf::actor_system_config cfg_;  // outlives the system
  caf::actor_system system_;
  caf::scoped_actor self_;
  TokenBucket bucket_;
  std::deque<RotationShard> todo_;
  std::map<uint32_t, uint64_t> tenants_of_;  // shard → its tenant count
  std::vector<caf::actor> workers_;
  std::atomic<uint64_t> batches_{0}, retired_{0}, destroyed_{0};
  RotationProgress progress_;
  Status failure_;
};

}  // namespace

Result<RotationProgress> run_rotation(Store& store, JobSpec& job, const RotationOptions& options,
                                      const std::function<void(const RotationProgress&)>& progress) {
  if (job.kind != JobKind::rotate_dek) {
    return Status::InvalidArgument("job " + job.id + " is not a rotation job");
  }
  RotationSupervisor supervisor(store, job, options);
  return supervisor.Run(progress);
}

}  // namespace sever::actors

// One thread for control-plane work that blocks (ApplyScenario waits for shards to apply
// every part), so gRPC threads never park. Jobs run one at a time, in order, which also
// serializes concurrent ApplyScenario calls.
#ifndef ECUSIM_SERVER_CONTROL_WORKER_H_
#define ECUSIM_SERVER_CONTROL_WORKER_H_

#include <deque>
#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"

namespace ecusim::server {

class ControlWorker {
 public:
  ControlWorker() : thread_([this] { Loop(); }) {}
  ~ControlWorker() { Stop(); }

  void Post(std::function<void()> job) {
    absl::MutexLock lock(&mu_);
    jobs_.push_back(std::move(job));
  }

  // Runs the jobs already queued, then joins. Idempotent.
  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Loop() {
    for (;;) {
      std::function<void()> job;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](ControlWorker* w)
                 ABSL_NO_THREAD_SAFETY_ANALYSIS { return w->stopping_ || !w->jobs_.empty(); },
            this));
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  absl::Mutex mu_;
  std::deque<std::function<void()>> jobs_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace ecusim::server

#endif  // ECUSIM_SERVER_CONTROL_WORKER_H_

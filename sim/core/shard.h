// Event-loop shards: one asio::io_context per thread. Every ECU lives on one shard and only
// that shard's thread touches its state, so the data path needs no locks.
#ifndef ECUSIM_SIM_CORE_SHARD_H_
#define ECUSIM_SIM_CORE_SHARD_H_

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace ecusim::core {

class Shard {
 public:
  explicit Shard(int index);
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;
  ~Shard();

  int index() const { return index_; }
  asio::io_context& context() { return context_; }

  // Runs `fn` on this shard's thread, after everything posted before it.
  template <typename Fn>
  void Post(Fn&& fn) {
    asio::post(context_, std::forward<Fn>(fn));
  }

  // True when called from this shard's own thread.
  bool InShardThread() const { return std::this_thread::get_id() == thread_id_.load(); }

  // Starts the thread. REQUIRES: not running.
  void Start();
  // Finishes the handlers already queued, then joins the thread. Idempotent.
  void Stop();

 private:
  const int index_;
  asio::io_context context_{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};
};

class ShardPool {
 public:
  // REQUIRES: count >= 1.
  explicit ShardPool(int count);
  ~ShardPool();

  int size() const { return static_cast<int>(shards_.size()); }
  Shard& shard(int i) { return *shards_[i]; }
  // The shard for the next new ECU (round robin).
  Shard& Next();

  void Start();
  void Stop();

  // Runs `fn` once on every shard and returns when all have run it. Must not be called from
  // a shard thread.
  void RunOnAll(const std::function<void(Shard&)>& fn);

 private:
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<unsigned> next_{0};
};

}  // namespace ecusim::core

#endif  // ECUSIM_SIM_CORE_SHARD_H_

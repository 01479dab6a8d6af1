#include "sim/core/shard.h"

#include <latch>

namespace ecusim::core {

Shard::Shard(int index) : index_(index), guard_(asio::make_work_guard(context_)) {}

Shard::~Shard() { Stop(); }

void Shard::Start() {
  thread_ = std::thread([this] {
    thread_id_.store(std::this_thread::get_id());
    context_.run();
  });
}

void Shard::Stop() {
  if (!thread_.joinable()) return;
  guard_.reset();
  // Posted handlers run in order, so everything queued before Stop still runs; open sockets
  // and timers do not keep the thread alive past this point.
  asio::post(context_, [this] { context_.stop(); });
  thread_.join();
}

ShardPool::ShardPool(int count) {
  for (int i = 0; i < count; ++i) shards_.push_back(std::make_unique<Shard>(i));
}

ShardPool::~ShardPool() { Stop(); }

Shard& ShardPool::Next() { return *shards_[next_.fetch_add(1) % shards_.size()]; }

void ShardPool::Start() {
  for (auto& s : shards_) s->Start();
}

void ShardPool::Stop() {
  for (auto& s : shards_) s->Stop();
}

void ShardPool::RunOnAll(const std::function<void(Shard&)>& fn) {
  std::latch done(static_cast<std::ptrdiff_t>(shards_.size()));
  for (auto& s : shards_) {
    Shard* shard = s.get();
    shard->Post([shard, &fn, &done] {
      fn(*shard);
      done.count_down();
    });
  }
  done.wait();
}

}  // namespace ecusim::core

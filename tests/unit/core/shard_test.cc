#include "sim/core/shard.h"

#include <gtest/gtest.h>

#include <asio/steady_timer.hpp>
#include <atomic>
#include <latch>
#include <set>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace ecusim::core {
namespace {

TEST(ShardTest, PostedWorkRunsOnTheShardThreadInOrder) {
  ShardPool pool(2);
  pool.Start();
  Shard& shard = pool.shard(1);
  std::vector<int> order;
  std::latch done(100);
  std::atomic<bool> all_on_shard{true};
  for (int i = 0; i < 100; ++i) {
    shard.Post([&, i] {
      if (!shard.InShardThread()) all_on_shard = false;
      order.push_back(i);  // only the shard thread touches `order`
      done.count_down();
    });
  }
  done.wait();
  EXPECT_TRUE(all_on_shard);
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
  EXPECT_FALSE(shard.InShardThread());
}

TEST(ShardTest, NextDistributesRoundRobin) {
  ShardPool pool(3);
  std::vector<int> picked;
  for (int i = 0; i < 6; ++i) picked.push_back(pool.Next().index());
  EXPECT_EQ(picked, (std::vector<int>{0, 1, 2, 0, 1, 2}));
}

TEST(ShardTest, RunOnAllVisitsEveryShardOnItsThread) {
  ShardPool pool(4);
  pool.Start();
  absl::Mutex mu;
  std::set<int> seen;
  std::atomic<int> wrong_thread{0};
  pool.RunOnAll([&](Shard& s) {
    if (!s.InShardThread()) ++wrong_thread;
    absl::MutexLock lock(&mu);
    seen.insert(s.index());
  });
  EXPECT_EQ(seen, (std::set<int>{0, 1, 2, 3}));
  EXPECT_EQ(wrong_thread, 0);
}

TEST(ShardTest, StopRunsWorkQueuedBeforeItAndIsIdempotent) {
  ShardPool pool(1);
  pool.Start();
  std::atomic<int> ran{0};
  for (int i = 0; i < 50; ++i) pool.shard(0).Post([&] { ++ran; });
  pool.Stop();
  EXPECT_EQ(ran, 50);
  pool.Stop();
}

TEST(ShardTest, StopReturnsWhileTimersArePending) {
  ShardPool pool(1);
  pool.Start();
  asio::steady_timer timer(pool.shard(0).context(), std::chrono::hours(1));
  timer.async_wait([](const asio::error_code&) {});
  pool.Stop();  // must not wait an hour
  SUCCEED();
}

}  // namespace
}  // namespace ecusim::core

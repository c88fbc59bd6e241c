#include "wireguard/batch_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace coral::wireguard {
namespace {

TEST(BatchPoolTest, RunsEveryIndexExactlyOnce) {
  BatchPool pool(3);
  for (int round = 0; round < 200; ++round) {
    int n = 1 + round % 70;
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    pool.ParallelFor(
        n, [&](int i) { hits[static_cast<size_t>(i)]++; }, 1);
    for (int i = 0; i < n; ++i)
      ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << round << " " << i;
  }
}

TEST(BatchPoolTest, UsesWorkerThreadsForLargeBatches) {
  BatchPool pool(2);
  std::mutex mu;
  std::set<std::thread::id> threads;
  for (int round = 0; round < 50 && threads.size() < 2; ++round) {
    pool.ParallelFor(64, [&](int) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      std::lock_guard lock(mu);
      threads.insert(std::this_thread::get_id());
    });
  }
  EXPECT_GE(threads.size(), 2u);
}

TEST(BatchPoolTest, SmallBatchesStayOnTheCaller) {
  BatchPool pool(2);
  std::vector<std::thread::id> ids(4);
  pool.ParallelFor(4, [&](int i) { ids[static_cast<size_t>(i)] = std::this_thread::get_id(); });
  for (auto id : ids) EXPECT_EQ(id, std::this_thread::get_id());
}

}  // namespace
}  // namespace coral::wireguard

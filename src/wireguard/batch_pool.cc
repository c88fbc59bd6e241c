#include "wireguard/batch_pool.h"

#include <algorithm>
#include <cstdlib>

namespace coral::wireguard {

BatchPool::BatchPool(int workers) {
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

BatchPool::~BatchPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

int BatchPool::DefaultWorkers() {
  if (const char* v = std::getenv("CORAL_WG_WORKERS"); v && *v) {
    return std::clamp(std::atoi(v), 0, 64);
  }
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(cores - 1, 0, 7);
}

void BatchPool::Drain() {
  for (int i = next_.fetch_add(1); i < n_; i = next_.fetch_add(1)) task_(ctx_, i);
}

void BatchPool::Run(int n, Task task, void* ctx) {
  {
    std::lock_guard lock(mu_);
    task_ = task;
    ctx_ = ctx;
    n_ = n;
    next_ = 0;
    pending_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  wake_.notify_all();
  Drain();
  std::unique_lock lock(mu_);
  done_.wait(lock, [&] { return pending_.load() == 0; });
  task_ = nullptr;
}

void BatchPool::WorkerLoop() {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    Drain();
    {
      std::lock_guard lock(mu_);
      if (--pending_ == 0) done_.notify_one();
    }
  }
}

}  // namespace coral::wireguard

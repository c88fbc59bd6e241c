// Spreads the crypto of one I/O batch over cores: ParallelFor runs fn(i) for
// every packet of the batch on the calling thread and a few workers, and
// returns only when all are done. The caller then sends or delivers the batch
// in its original order, so packets keep their order per peer (and overall)
// while encryption and decryption use every core.
//
// Thread-safety: one caller thread per pool (each I/O loop owns one); workers
// are internal. mu_ guards the job fields; next_ and pending_ are atomics.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace coral::wireguard {

class BatchPool {
 public:
  // `workers` extra threads (0: everything runs on the caller).
  explicit BatchPool(int workers);
  ~BatchPool();
  BatchPool(const BatchPool&) = delete;
  BatchPool& operator=(const BatchPool&) = delete;

  // Calls fn(i) for i in [0, n). Batches smaller than `min_parallel` run on the
  // caller alone: waking a worker costs more than a few packets of crypto.
  template <typename Fn>
  void ParallelFor(int n, Fn&& fn, int min_parallel = 8) {
    if (workers_.empty() || n < min_parallel) {
      for (int i = 0; i < n; ++i) fn(i);
      return;
    }
    Run(
        n, [](void* ctx, int i) { (*static_cast<Fn*>(ctx))(i); }, &fn);
  }

  int workers() const { return static_cast<int>(workers_.size()); }
  // Worker count from CORAL_WG_WORKERS, else one fewer than the cores (at most 7).
  static int DefaultWorkers();

 private:
  using Task = void (*)(void*, int);
  void Run(int n, Task task, void* ctx);
  void WorkerLoop();
  void Drain();

  std::mutex mu_;  // guards task_, ctx_, n_, generation_, stop_
  std::condition_variable wake_;
  std::condition_variable done_;
  Task task_ = nullptr;
  void* ctx_ = nullptr;
  int n_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::atomic<int> next_{0};
  std::atomic<int> pending_{0};  // workers still inside the current job
  std::vector<std::thread> workers_;
};

}  // namespace coral::wireguard

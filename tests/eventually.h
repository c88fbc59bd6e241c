// Polling for tests that wait on other processes: checks `check` every
// `every` until it holds or `limit` passes (bounded; never a timing assertion).
#pragma once

#include <chrono>
#include <thread>

namespace coral {

template <typename F>
bool Eventually(F check, std::chrono::milliseconds limit,
                std::chrono::milliseconds every = std::chrono::milliseconds(100)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (check()) return true;
    std::this_thread::sleep_for(every);
  }
  return check();
}

}  // namespace coral

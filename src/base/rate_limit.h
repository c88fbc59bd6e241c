// A log line that cannot flood: at most one every `every`, saying how many
// were held back since the last one. For errors that repeat as fast as a
// loop runs (an accept failing while descriptors are short).
//
// Thread-safety: Allow is safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

namespace coral {

class RateLimit {
 public:
  explicit RateLimit(std::chrono::milliseconds every) : every_(every) {}

  // When a line may go out now: how many were held back before it.
  std::optional<int64_t> Allow() {
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mu_);
    if (last_ && now - *last_ < every_) {
      ++held_;
      return std::nullopt;
    }
    last_ = now;
    int64_t held = held_;
    held_ = 0;
    return held;
  }

 private:
  const std::chrono::milliseconds every_;
  std::mutex mu_;  // guards last_, held_
  std::optional<std::chrono::steady_clock::time_point> last_;
  int64_t held_ = 0;
};

}  // namespace coral

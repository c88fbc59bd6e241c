// Time sources. Code that makes decisions from time (timers, retention,
// heartbeats, token expiry) takes a Clock& so tests can drive time by hand.
//
// Thread-safety: SystemClock is stateless; FakeClock is safe to read and
// advance from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace coral {

using WallTime = std::chrono::system_clock::time_point;
using MonoTime = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallTime Now() const = 0;        // calendar time, for records and expiry
  virtual MonoTime Monotonic() const = 0;  // never goes back, for intervals and timers
};

class SystemClock final : public Clock {
 public:
  WallTime Now() const override { return std::chrono::system_clock::now(); }
  MonoTime Monotonic() const override { return std::chrono::steady_clock::now(); }
  // The process-wide instance.
  static SystemClock& Get();
};

// A clock that moves only when told to. Starts at the given wall time.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(WallTime start = WallTime(std::chrono::seconds(1'700'000'000)))
      : wall_ns_(start.time_since_epoch().count()), mono_ns_(1'000'000'000) {}

  WallTime Now() const override { return WallTime(WallTime::duration(wall_ns_.load())); }
  MonoTime Monotonic() const override {
    return MonoTime(std::chrono::nanoseconds(mono_ns_.load()));
  }
  void Advance(std::chrono::nanoseconds d) {
    wall_ns_ += std::chrono::duration_cast<WallTime::duration>(d).count();
    mono_ns_ += d.count();
  }

 private:
  std::atomic<int64_t> wall_ns_;
  std::atomic<int64_t> mono_ns_;
};

// Microseconds since the Unix epoch: the timestamp unit of every Coral table.
int64_t ToUnixMicros(WallTime t);
WallTime FromUnixMicros(int64_t micros);
// RFC 3339 in UTC with microseconds: 2026-11-21T18:07:25.123456Z.
std::string FormatRfc3339(WallTime t);

}  // namespace coral

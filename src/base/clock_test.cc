#include "base/clock.h"

#include <gtest/gtest.h>

namespace coral {
namespace {

TEST(ClockTest, FakeClockMovesOnlyWhenAdvanced) {
  FakeClock clock;
  WallTime w0 = clock.Now();
  MonoTime m0 = clock.Monotonic();
  EXPECT_EQ(clock.Now(), w0);
  clock.Advance(std::chrono::seconds(90));
  EXPECT_EQ(clock.Now() - w0, std::chrono::seconds(90));
  EXPECT_EQ(clock.Monotonic() - m0, std::chrono::seconds(90));
}

TEST(ClockTest, UnixMicrosRoundTripAndRfc3339) {
  WallTime t = FromUnixMicros(1'700'000'000'123'456);
  EXPECT_EQ(ToUnixMicros(t), 1'700'000'000'123'456);
  EXPECT_EQ(FormatRfc3339(t), "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(FormatRfc3339(FromUnixMicros(0)), "1970-01-01T00:00:00.000000Z");
}

TEST(ClockTest, SystemClockIsMonotonic) {
  auto a = SystemClock::Get().Monotonic();
  auto b = SystemClock::Get().Monotonic();
  EXPECT_LE(a, b);
}

}  // namespace
}  // namespace coral

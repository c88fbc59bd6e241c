#include "wireguard/timers.h"

#include <gtest/gtest.h>

namespace coral::wireguard {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(TimersTest, RetransmitsUntilRekeyAttemptTimeThenGivesUp) {
  FakeClock clock;
  TimerConfig cfg;
  PeerTimers t(&cfg);
  t.OnInitiationSent(clock.Monotonic(), milliseconds(100));
  clock.Advance(seconds(5));
  EXPECT_FALSE(t.Poll(clock.Monotonic(), 0).send_initiation);  // jitter not yet over
  int retries = 0;
  bool gave_up = false;
  for (int i = 0; i < 100 && !gave_up; ++i) {
    clock.Advance(milliseconds(200));
    TimerActions a = t.Poll(clock.Monotonic(), 0);
    if (a.send_initiation) {
      EXPECT_TRUE(a.retry);
      ++retries;
      t.OnInitiationSent(clock.Monotonic(), milliseconds(0));
      clock.Advance(seconds(5) - milliseconds(200));
    }
    gave_up = a.give_up;
  }
  EXPECT_TRUE(gave_up);
  EXPECT_EQ(retries, kMaxHandshakeAttempts);
}

TEST(TimersTest, HandshakeCompleteStopsRetransmission) {
  FakeClock clock;
  TimerConfig cfg;
  PeerTimers t(&cfg);
  t.OnInitiationSent(clock.Monotonic(), milliseconds(0));
  t.OnHandshakeComplete();
  clock.Advance(seconds(6));
  EXPECT_FALSE(t.Poll(clock.Monotonic(), 0).send_initiation);
}

TEST(TimersTest, KeepaliveAfterReceivingWithoutSending) {
  FakeClock clock;
  TimerConfig cfg;
  PeerTimers t(&cfg);
  t.OnDataReceived(clock.Monotonic());
  clock.Advance(seconds(9));
  EXPECT_FALSE(t.Poll(clock.Monotonic(), 0).send_keepalive);
  clock.Advance(seconds(1));
  EXPECT_TRUE(t.Poll(clock.Monotonic(), 0).send_keepalive);
  // Sending anything authenticated in between cancels it.
  t.OnDataReceived(clock.Monotonic());
  t.OnAuthenticatedPacketSent();
  clock.Advance(seconds(11));
  EXPECT_FALSE(t.Poll(clock.Monotonic(), 0).send_keepalive);
}

TEST(TimersTest, NewHandshakeWhenSentDataGoesUnanswered) {
  FakeClock clock;
  TimerConfig cfg;
  PeerTimers t(&cfg);
  t.OnDataSent(clock.Monotonic());
  clock.Advance(seconds(14));
  EXPECT_FALSE(t.Poll(clock.Monotonic(), 0).send_initiation);
  clock.Advance(seconds(1));
  TimerActions a = t.Poll(clock.Monotonic(), 0);
  EXPECT_TRUE(a.send_initiation);
  EXPECT_FALSE(a.retry);
  // An answer in time cancels it.
  t.OnDataSent(clock.Monotonic());
  t.OnAuthenticatedPacketReceived();
  clock.Advance(seconds(20));
  EXPECT_FALSE(t.Poll(clock.Monotonic(), 0).send_initiation);
}

TEST(TimersTest, ZeroKeysAfterThreeRejectAfterTimes) {
  FakeClock clock;
  TimerConfig cfg;
  PeerTimers t(&cfg);
  t.OnSessionDerived(clock.Monotonic());
  clock.Advance(seconds(539));
  EXPECT_FALSE(t.Poll(clock.Monotonic(), 0).zero_keys);
  clock.Advance(seconds(1));
  EXPECT_TRUE(t.Poll(clock.Monotonic(), 0).zero_keys);
}

TEST(TimersTest, PersistentKeepalive) {
  FakeClock clock;
  TimerConfig cfg;
  PeerTimers t(&cfg);
  t.OnAuthenticatedPacketTraversal(clock.Monotonic(), 25);
  clock.Advance(seconds(24));
  EXPECT_FALSE(t.Poll(clock.Monotonic(), 25).send_keepalive);
  clock.Advance(seconds(1));
  EXPECT_TRUE(t.Poll(clock.Monotonic(), 25).send_keepalive);
  // Turned off in between: nothing.
  t.OnAuthenticatedPacketTraversal(clock.Monotonic(), 25);
  clock.Advance(seconds(30));
  EXPECT_FALSE(t.Poll(clock.Monotonic(), 0).send_keepalive);
}

TEST(TimersTest, ScaledConfigShrinksEveryDuration) {
  TimerConfig c = TimerConfig::Scaled(0.05);
  EXPECT_EQ(c.rekey_after_time, seconds(6));
  EXPECT_EQ(c.reject_after_time, seconds(9));
  EXPECT_EQ(c.rekey_timeout, milliseconds(250));
  EXPECT_EQ(c.max_handshake_attempts(), kMaxHandshakeAttempts);
}

}  // namespace
}  // namespace coral::wireguard

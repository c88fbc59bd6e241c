// The per-peer timer state machine of WireGuard (paper section 6): handshake
// retransmission with jitter until REKEY_ATTEMPT_TIME, keepalives after
// KEEPALIVE_TIMEOUT of receiving without sending, a new handshake when sent data
// goes unanswered, zeroing keys after 3 * REJECT_AFTER_TIME, and persistent
// keepalives. It holds deadlines only; the device feeds it events and polls it
// with the current time, so tests drive it with a FakeClock.
//
// Thread-safety: guarded by the owning peer's lock.
#pragma once

#include <cstdint>
#include <optional>

#include "base/clock.h"
#include "wireguard/messages.h"

namespace coral::wireguard {

// Protocol durations, scalable for tests (CORAL_WG_TEST_TIMER_SCALE shrinks them
// so a rekey happens within seconds; production uses scale 1).
struct TimerConfig {
  Duration rekey_after_time = kRekeyAfterTime;
  Duration reject_after_time = kRejectAfterTime;
  Duration rekey_attempt_time = kRekeyAttemptTime;
  Duration rekey_timeout = kRekeyTimeout;
  Duration keepalive_timeout = kKeepaliveTimeout;
  uint64_t rekey_after_messages = kRekeyAfterMessages;
  uint64_t reject_after_messages = kRejectAfterMessages;

  static TimerConfig Scaled(double scale);
  // From CORAL_WG_TEST_TIMER_SCALE (a factor in (0, 1]); scale 1 when unset.
  static TimerConfig FromEnvironment();
  int max_handshake_attempts() const {
    return static_cast<int>(rekey_attempt_time / rekey_timeout);
  }
};

// What the peer must do after a Poll.
struct TimerActions {
  bool send_initiation = false;  // retransmission or a new handshake
  bool retry = false;            // send_initiation is a retransmission
  bool send_keepalive = false;
  bool give_up = false;    // handshake attempts exhausted: drop staged packets
  bool zero_keys = false;  // wipe every keypair and the handshake
};

class PeerTimers {
 public:
  explicit PeerTimers(const TimerConfig* config) : config_(config) {}

  void OnInitiationSent(MonoTime now, Duration jitter);
  void OnHandshakeComplete();
  void OnSessionDerived(MonoTime now);
  void OnDataSent(MonoTime now);
  void OnDataReceived(MonoTime now);
  void OnAuthenticatedPacketSent();
  void OnAuthenticatedPacketReceived();
  void OnAuthenticatedPacketTraversal(MonoTime now, uint16_t persistent_keepalive_secs);
  void Reset();  // all timers off (peer removed or keys gone)

  TimerActions Poll(MonoTime now, uint16_t persistent_keepalive_secs);

  int handshake_attempts() const { return handshake_attempts_; }
  void ResetHandshakeAttempts() { handshake_attempts_ = 0; }
  // Earliest pending deadline, for the device's timer loop.
  std::optional<MonoTime> NextDeadline() const;

 private:
  const TimerConfig* config_;
  std::optional<MonoTime> retransmit_;
  std::optional<MonoTime> send_keepalive_;
  std::optional<MonoTime> new_handshake_;
  std::optional<MonoTime> zero_keys_;
  std::optional<MonoTime> persistent_keepalive_;
  bool need_another_keepalive_ = false;
  int handshake_attempts_ = 0;
};

}  // namespace coral::wireguard

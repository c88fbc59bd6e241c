#include "wireguard/timers.h"

#include <cstdlib>
#include <string>

namespace coral::wireguard {
namespace {
Duration Scale(Duration d, double s) {
  return Duration(static_cast<Duration::rep>(static_cast<double>(d.count()) * s));
}
bool Due(const std::optional<MonoTime>& t, MonoTime now) { return t && *t <= now; }
}  // namespace

TimerConfig TimerConfig::Scaled(double scale) {
  TimerConfig c;
  c.rekey_after_time = Scale(c.rekey_after_time, scale);
  c.reject_after_time = Scale(c.reject_after_time, scale);
  c.rekey_attempt_time = Scale(c.rekey_attempt_time, scale);
  c.rekey_timeout = Scale(c.rekey_timeout, scale);
  c.keepalive_timeout = Scale(c.keepalive_timeout, scale);
  return c;
}

TimerConfig TimerConfig::FromEnvironment() {
  const char* v = std::getenv("CORAL_WG_TEST_TIMER_SCALE");
  if (v == nullptr || *v == '\0') return TimerConfig();
  char* end = nullptr;
  double scale = std::strtod(v, &end);
  if (end == v || *end != '\0' || !(scale > 0.0 && scale <= 1.0)) return TimerConfig();
  return Scaled(scale);
}

void PeerTimers::OnInitiationSent(MonoTime now, Duration jitter) {
  retransmit_ = now + config_->rekey_timeout + jitter;
}

void PeerTimers::OnHandshakeComplete() {
  retransmit_.reset();
  handshake_attempts_ = 0;
}

void PeerTimers::OnSessionDerived(MonoTime now) {
  zero_keys_ = now + 3 * config_->reject_after_time;
}

void PeerTimers::OnDataSent(MonoTime now) {
  if (!new_handshake_) new_handshake_ = now + config_->keepalive_timeout + config_->rekey_timeout;
}

void PeerTimers::OnDataReceived(MonoTime now) {
  if (!send_keepalive_) {
    send_keepalive_ = now + config_->keepalive_timeout;
  } else {
    need_another_keepalive_ = true;
  }
}

void PeerTimers::OnAuthenticatedPacketSent() { send_keepalive_.reset(); }

void PeerTimers::OnAuthenticatedPacketReceived() { new_handshake_.reset(); }

void PeerTimers::OnAuthenticatedPacketTraversal(MonoTime now, uint16_t persistent_keepalive_secs) {
  if (persistent_keepalive_secs > 0) {
    persistent_keepalive_ = now + std::chrono::seconds(persistent_keepalive_secs);
  }
}

void PeerTimers::Reset() {
  retransmit_.reset();
  send_keepalive_.reset();
  new_handshake_.reset();
  zero_keys_.reset();
  persistent_keepalive_.reset();
  need_another_keepalive_ = false;
  handshake_attempts_ = 0;
}

TimerActions PeerTimers::Poll(MonoTime now, uint16_t persistent_keepalive_secs) {
  TimerActions a;
  if (Due(retransmit_, now)) {
    retransmit_.reset();
    if (handshake_attempts_ >= config_->max_handshake_attempts()) {
      // Gave up for REKEY_ATTEMPT_TIME: stop, and forget keys in a while
      // unless a new handshake happens first.
      a.give_up = true;
      send_keepalive_.reset();
      if (!zero_keys_) zero_keys_ = now + 3 * config_->reject_after_time;
    } else {
      ++handshake_attempts_;
      a.send_initiation = true;
      a.retry = true;
    }
  }
  if (Due(send_keepalive_, now)) {
    send_keepalive_.reset();
    a.send_keepalive = true;
    if (need_another_keepalive_) {
      need_another_keepalive_ = false;
      send_keepalive_ = now + config_->keepalive_timeout;
    }
  }
  if (Due(new_handshake_, now)) {
    new_handshake_.reset();
    a.send_initiation = true;
  }
  if (Due(zero_keys_, now)) {
    zero_keys_.reset();
    a.zero_keys = true;
  }
  if (Due(persistent_keepalive_, now)) {
    persistent_keepalive_.reset();
    if (persistent_keepalive_secs > 0) a.send_keepalive = true;
  }
  return a;
}

std::optional<MonoTime> PeerTimers::NextDeadline() const {
  std::optional<MonoTime> best;
  for (const auto* t :
       {&retransmit_, &send_keepalive_, &new_handshake_, &zero_keys_, &persistent_keepalive_}) {
    if (*t && (!best || **t < *best)) best = **t;
  }
  return best;
}

}  // namespace coral::wireguard

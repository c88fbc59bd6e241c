// One remote WireGuard peer: its keys, handshake, sessions, endpoint, timers,
// and packets waiting for a session. The Device runs the protocol on it.
//
// Thread-safety: mu guards every mutable field except the atomic byte counters.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "base/clock.h"
#include "wireguard/cookie.h"
#include "wireguard/ip_prefix.h"
#include "wireguard/keypair.h"
#include "wireguard/noise.h"
#include "wireguard/timers.h"

namespace coral::wireguard {

class Peer {
 public:
  // Packets kept while no session exists; older ones go first when full.
  static constexpr size_t kMaxStagedPackets = 128;

  Peer(const Key& public_key, const TimerConfig* timer_config)
      : public_key(public_key), timers(timer_config) {
    handshake.SetRemote(public_key, Key{});
    cookie.SetPeerKey(public_key);
  }

  const Key public_key;

  std::mutex mu;  // guards everything below but the atomics
  Handshake handshake;
  uint32_t handshake_index = 0;  // registered index of an unfinished handshake, 0: none
  CookieGenerator cookie;
  PeerTimers timers;
  std::shared_ptr<Keypair> previous;
  std::shared_ptr<Keypair> current;
  std::shared_ptr<Keypair> next;
  Endpoint endpoint;
  uint16_t persistent_keepalive = 0;  // seconds, 0: off
  std::optional<MonoTime> last_initiation_sent;
  bool sent_lastminute_handshake = false;
  std::optional<WallTime> last_handshake;
  std::deque<std::vector<uint8_t>> staged;

  std::atomic<uint64_t> rx_bytes{0};
  std::atomic<uint64_t> tx_bytes{0};
};

}  // namespace coral::wireguard

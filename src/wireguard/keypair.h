// The transport keys of one session and their counters: a send counter that
// numbers outgoing messages and a replay window over incoming ones. A peer holds
// up to three (previous, current, next); the data path shares them by
// shared_ptr so a rotation never frees keys a worker is still using.
//
// Thread-safety: send_counter is atomic; replay_mu guards replay.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "base/clock.h"
#include "wireguard/primitives.h"
#include "wireguard/replay_window.h"

namespace coral::wireguard {

struct Keypair {
  Key send_key{};
  Key receive_key{};
  uint32_t local_index = 0;
  uint32_t remote_index = 0;
  MonoTime birth{};
  bool initiator = false;
  std::atomic<uint64_t> send_counter{0};
  std::mutex replay_mu;  // guards replay
  ReplayWindow replay;

  ~Keypair() {
    SecureWipe(send_key);
    SecureWipe(receive_key);
  }
};

}  // namespace coral::wireguard

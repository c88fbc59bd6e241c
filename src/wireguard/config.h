// A device configuration change and a device snapshot: what the UAPI protocol
// carries in set=1 and get=1, independent of its text form.
//
// Thread-safety: plain values. Both wipe the keys they hold.
#pragma once

#include <optional>
#include <vector>

#include "base/clock.h"
#include "wireguard/ip_prefix.h"
#include "wireguard/primitives.h"

namespace coral::wireguard {

struct PeerUpdate {
  Key public_key{};
  bool remove = false;
  bool update_only = false;
  std::optional<Key> preshared_key;
  std::optional<Endpoint> endpoint;
  std::optional<uint16_t> persistent_keepalive;
  bool replace_allowed_ips = false;
  std::vector<IpPrefix> allowed_ips;
  ~PeerUpdate() {
    if (preshared_key) SecureWipe(*preshared_key);
  }
};

struct ConfigUpdate {
  std::optional<Key> private_key;  // all zeros: remove the key
  std::optional<uint16_t> listen_port;
  std::optional<uint32_t> fwmark;
  bool replace_peers = false;
  std::vector<PeerUpdate> peers;
  ~ConfigUpdate() {
    if (private_key) SecureWipe(*private_key);
  }
};

struct PeerSnapshot {
  Key public_key{};
  Key preshared_key{};
  Endpoint endpoint;
  std::optional<WallTime> last_handshake;
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
  uint16_t persistent_keepalive = 0;
  std::vector<IpPrefix> allowed_ips;
  ~PeerSnapshot() { SecureWipe(preshared_key); }
};

struct DeviceSnapshot {
  std::optional<Key> private_key;
  uint16_t listen_port = 0;
  uint32_t fwmark = 0;
  std::vector<PeerSnapshot> peers;
  ~DeviceSnapshot() {
    if (private_key) SecureWipe(*private_key);
  }
};

}  // namespace coral::wireguard

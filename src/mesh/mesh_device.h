// MeshDevice: one WireGuard interface of a colony's mesh, with its address.
// Start brings up the userspace WireGuard engine on a TUN device (with the
// standard UAPI socket, so `wg show IFACE` works), sets the mesh address and
// brings the link up; peers are then added, updated and removed by public
// key. The colony keeps one with every agent as a peer (allowed-IPs the
// agent's /32); an agent keeps one with the colony as its only peer.
//
// Thread-safety: Start, Stop and destruction from the owner thread; the other
// methods are safe from any thread while the device runs. The interface, its
// UDP sockets and any endpoint lookups (getaddrinfo) belong to the network
// namespace of the thread that called Start (SetPeer and ReplacePeers resolve
// names in the caller's namespace).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "crypto/keys.h"
#include "mesh/addressing.h"

namespace coral::wireguard {
class NetDevice;
}

namespace coral::mesh {

struct MeshDeviceOptions {
  std::string interface_name;  // 1-15 characters of [A-Za-z0-9_-]
  crypto::PrivateKey private_key;
  uint16_t listen_port = 0;  // 0: the kernel picks one
  uint32_t address = 0;      // host byte order: 100.97.0.1 on the colony, 100.97.0.7 on an agent
  int prefix_len = 16;
  std::filesystem::path uapi_dir = "/var/run/wireguard";  // where wg(8) looks
  int mtu = 1420;
};

struct MeshPeer {
  std::string public_key;                // base64, as `wg pubkey` prints
  std::string endpoint;                  // "host:port", "[ipv6]:port", or empty (learn it)
  std::vector<std::string> allowed_ips;  // "100.97.0.7/32"
  uint16_t persistent_keepalive = 0;     // seconds, 0: off
};

struct MeshPeerStatus {
  std::string public_key;  // base64
  std::string endpoint;    // "ip:port", empty while unknown
  std::optional<WallTime> last_handshake;
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
  uint16_t persistent_keepalive = 0;
  std::vector<std::string> allowed_ips;
};

class MeshDevice {
 public:
  // AlreadyExists when an interface of that name is up in this namespace or
  // another device serves its UAPI socket: a running device is never taken over.
  static Result<std::unique_ptr<MeshDevice>> Start(const MeshDeviceOptions& options);
  ~MeshDevice();
  MeshDevice(const MeshDevice&) = delete;
  MeshDevice& operator=(const MeshDevice&) = delete;

  // Adds the peer, or updates it: its allowed IPs are replaced, its endpoint
  // set when given (kept when empty), its keepalive set. Malformed keys,
  // endpoints or prefixes and names that do not resolve change nothing.
  Status SetPeer(const MeshPeer& peer);
  // Removes the peer; removing one that is not there is fine (revocation may repeat).
  Status RemovePeer(const std::string& public_key);
  // Makes `peers` the whole peer set (restoring from a store at start-up). All
  // or nothing: a bad entry leaves the current peers as they are. Every peer is
  // re-created, so running sessions handshake again.
  Status ReplacePeers(const std::vector<MeshPeer>& peers);
  std::vector<MeshPeerStatus> Peers() const;

  const std::string& interface_name() const { return interface_name_; }
  uint16_t listen_port() const { return listen_port_; }
  std::string public_key() const { return public_key_; }  // base64

  // Stops the engine and removes the interface. Idempotent; the destructor calls it.
  void Stop();

 private:
  MeshDevice() = default;
  Status CheckRunning() const;

  std::unique_ptr<wireguard::NetDevice> net_;
  std::string interface_name_;
  std::string public_key_;
  uint16_t listen_port_ = 0;
};

// A Linux interface name for a mesh node: `prefix` (1-7 characters of
// [a-z0-9-]) and 8 hex characters of StableHash(id), at most 15 in all:
// MeshInterfaceName("coral", "shop-prod-3fa2c1") -> "coral" + 8 hex.
std::string MeshInterfaceName(std::string_view prefix, std::string_view id);

}  // namespace coral::mesh

// Test topology for WireGuard peer tests: two network namespaces joined by a
// veth pair, each running one WireGuard implementation as a child process, and
// helpers to run commands and TCP transfers inside them. Everything is named
// with the test's pid and removed on destruction, even after a failure.
//
// Thread-safety: one test thread drives a Topology; TcpTransfer runs its own
// threads, each entering a namespace with setns (which only moves that thread).
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/subprocess.h"

namespace coral::wireguard::testing {

enum class Impl { kCoral, kWireguardGo };

struct Side {
  std::string netns;        // namespace name
  std::string veth;         // underlay interface inside it
  std::string underlay;     // underlay IPv4 address (without prefix)
  std::string iface;        // WireGuard interface name
  std::string tunnel_ip;    // tunnel IPv4 address (without prefix)
  std::string underlay6;    // underlay IPv6 address
  std::string tunnel_ip6;   // tunnel IPv6 address
  std::string private_key;  // base64
  std::string public_key;   // base64
  Impl impl = Impl::kCoral;
  std::optional<Subprocess> process;
};

struct TopologyOptions {
  Impl a = Impl::kCoral;
  Impl b = Impl::kWireguardGo;
  std::string coral_binary;
  // Exported to Coral devices as CORAL_WG_TEST_TIMER_SCALE when set.
  std::string coral_timer_scale;
  int listen_port = 51820;
};

class Topology {
 public:
  static Result<std::unique_ptr<Topology>> Create(const TopologyOptions& options);
  ~Topology();

  Side& a() { return a_; }
  Side& b() { return b_; }
  // Runs argv inside side's namespace; fails on a non-zero exit.
  Result<std::string> Exec(const Side& side, const std::vector<std::string>& argv,
                           std::chrono::seconds timeout = std::chrono::seconds(30));
  // Moves side's underlay address to `new_address`.
  Status ChangeUnderlay(Side& side, const std::string& new_address);
  // `wg show IFACE latest-handshakes` for the single peer: unix seconds, 0 if none.
  Result<int64_t> LatestHandshake(Side& side);
  Result<std::string> PeerEndpoint(Side& side);

 private:
  Topology() = default;
  Status StartDevice(Side& side, const TopologyOptions& options);
  Status Configure(Side& self, const Side& other, int port);

  std::string tmp_dir_;
  Side a_;
  Side b_;
  bool a_created_ = false;
  bool b_created_ = false;
};

struct TransferResult {
  uint64_t sent = 0;
  uint64_t received = 0;
  std::array<uint8_t, 32> sent_digest{};
  std::array<uint8_t, 32> received_digest{};
  std::string error;
};

// Sends `bytes` of pseudo-random data over TCP from a thread in `sender_netns`
// to a listener in `receiver_netns` on receiver_ip:port, spread over at least
// `min_duration`, hashing both ends with SHA-256.
TransferResult TcpTransfer(const std::string& sender_netns, const std::string& receiver_netns,
                           const std::string& receiver_ip, uint16_t port, uint64_t bytes,
                           std::chrono::milliseconds min_duration);

}  // namespace coral::wireguard::testing

// Cryptokey routing's allowed-IPs table: a binary trie per address family
// mapping prefixes to peers, answering longest-prefix-match lookups. Outbound
// packets pick their peer by destination; decrypted inbound packets must have a
// source that maps back to the peer that sent them.
//
// Thread-safety: none; the device guards the table with its config lock.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "wireguard/ip_prefix.h"

namespace coral::wireguard {

class Peer;

class AllowedIps {
 public:
  AllowedIps();
  // Maps `prefix` to `peer`, taking it from any other peer that had it.
  void Insert(const IpPrefix& prefix, Peer* peer);
  void RemoveByPeer(const Peer* peer);
  void Clear();
  // The peer owning the longest prefix containing `addr` (4 or 16 bytes), or null.
  Peer* Lookup(Family family, const uint8_t* addr) const;
  // Every prefix of `peer`, in trie order.
  std::vector<IpPrefix> PrefixesOf(const Peer* peer) const;
  size_t size() const;

 private:
  struct Node {
    int32_t child[2] = {-1, -1};
    Peer* peer = nullptr;
  };
  int32_t Root(Family family) const { return family == Family::kV4 ? 0 : 1; }
  void Walk(int32_t node, IpPrefix& path, int depth,
            const std::function<void(const IpPrefix&, Peer*)>& fn) const;

  std::vector<Node> nodes_;  // [0] is the IPv4 root, [1] the IPv6 root
};

}  // namespace coral::wireguard

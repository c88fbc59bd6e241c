#include "wireguard/allowed_ips.h"

namespace coral::wireguard {
namespace {
inline int BitAt(const uint8_t* addr, int i) { return (addr[i >> 3] >> (7 - (i & 7))) & 1; }
}  // namespace

AllowedIps::AllowedIps() { Clear(); }

void AllowedIps::Clear() {
  nodes_.clear();
  nodes_.resize(2);
}

void AllowedIps::Insert(const IpPrefix& prefix, Peer* peer) {
  int32_t n = Root(prefix.address.family);
  for (int i = 0; i < prefix.cidr; ++i) {
    int b = BitAt(prefix.address.bytes.data(), i);
    if (nodes_[n].child[b] < 0) {
      nodes_[n].child[b] = static_cast<int32_t>(nodes_.size());
      nodes_.emplace_back();
    }
    n = nodes_[n].child[b];
  }
  nodes_[n].peer = peer;
}

void AllowedIps::RemoveByPeer(const Peer* peer) {
  // Nodes stay (they are small and rebuilt on Clear); only ownership goes.
  for (auto& node : nodes_) {
    if (node.peer == peer) node.peer = nullptr;
  }
}

Peer* AllowedIps::Lookup(Family family, const uint8_t* addr) const {
  int bits = family == Family::kV4 ? 32 : 128;
  int32_t n = Root(family);
  Peer* best = nodes_[n].peer;
  for (int i = 0; i < bits; ++i) {
    n = nodes_[n].child[BitAt(addr, i)];
    if (n < 0) break;
    if (nodes_[n].peer) best = nodes_[n].peer;
  }
  return best;
}

void AllowedIps::Walk(int32_t node, IpPrefix& path, int depth,
                      const std::function<void(const IpPrefix&, Peer*)>& fn) const {
  if (nodes_[node].peer) {
    path.cidr = static_cast<uint8_t>(depth);
    fn(path, nodes_[node].peer);
  }
  for (int b = 0; b < 2; ++b) {
    int32_t c = nodes_[node].child[b];
    if (c < 0) continue;
    uint8_t mask = static_cast<uint8_t>(0x80 >> (depth & 7));
    if (b) path.address.bytes[depth >> 3] |= mask;
    Walk(c, path, depth + 1, fn);
    path.address.bytes[depth >> 3] &= static_cast<uint8_t>(~mask);
  }
}

std::vector<IpPrefix> AllowedIps::PrefixesOf(const Peer* peer) const {
  std::vector<IpPrefix> out;
  for (Family f : {Family::kV4, Family::kV6}) {
    IpPrefix path;
    path.address.family = f;
    Walk(Root(f), path, 0, [&](const IpPrefix& p, Peer* owner) {
      if (owner == peer) out.push_back(p);
    });
  }
  return out;
}

size_t AllowedIps::size() const {
  size_t n = 0;
  for (const auto& node : nodes_) n += node.peer != nullptr;
  return n;
}

}  // namespace coral::wireguard

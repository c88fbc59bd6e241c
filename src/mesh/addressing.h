// Mesh addressing. Each colony's mesh is one IPv4 /16 inside 100.64.0.0/10
// (CGNAT space, unlikely to clash with the networks hosts already use), picked
// from a hash of the colony id so every node derives the same range. The
// colony is .0.1 of its range.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace coral::mesh {

struct Ipv4Prefix {
  uint32_t address = 0;  // host byte order
  int length = 0;
  std::string ToString() const;  // "100.97.0.0/16"
  bool Contains(uint32_t ip) const;
};

// The netmask of a prefix length (0-32), host byte order: 16 -> 0xffff0000.
uint32_t PrefixMask(int length);

// A stable 64-bit hash of an id (FNV-1a), the same on every node and build:
// what mesh ranges and interface names are derived from.
uint64_t StableHash(std::string_view id);

std::string Ipv4ToString(uint32_t ip);
Result<uint32_t> ParseIpv4(std::string_view text);
Result<Ipv4Prefix> ParseIpv4Prefix(std::string_view text);

// The colony's /16: 100.(64 + h % 64).0.0/16 with h = FNV-1a(colony_id).
Ipv4Prefix ColonyMeshRange(std::string_view colony_id);
// .0.1 of the range.
uint32_t ColonyMeshIp(const Ipv4Prefix& range);

}  // namespace coral::mesh

#include "mesh/address_pool.h"

namespace coral::mesh {
namespace {

uint64_t RangeSize(const Ipv4Prefix& range) { return uint64_t{1} << (32 - range.length); }

}  // namespace

uint64_t AgentCapacity(const Ipv4Prefix& range) {
  uint64_t size = RangeSize(range);
  return size > 3 ? size - 3 : 0;
}

Result<uint32_t> NextFreeAddress(const Ipv4Prefix& range, const std::set<uint32_t>& taken) {
  CORAL_CHECK(range.length >= 0 && range.length <= 32, "bad prefix length in " + range.ToString());
  const uint64_t capacity = AgentCapacity(range);
  const uint32_t network = range.address & PrefixMask(range.length);
  if (capacity > 0) {
    // The first agent address is .0.2 and the last the one before broadcast.
    const uint64_t first = uint64_t{network} + 2;
    const uint64_t last = uint64_t{network} + RangeSize(range) - 2;
    // `taken` is sorted: walk it from the first candidate until a gap shows.
    uint64_t candidate = first;
    for (auto it = taken.lower_bound(static_cast<uint32_t>(first));
         it != taken.end() && *it == candidate && candidate <= last; ++it) {
      ++candidate;
    }
    if (candidate <= last) return static_cast<uint32_t>(candidate);
  }
  return ResourceExhausted("the mesh range " + range.ToString() + " has no free address (" +
                           std::to_string(capacity) +
                           " agents enrolled); revoke agents that are gone or give the colony a "
                           "larger range");
}

}  // namespace coral::mesh

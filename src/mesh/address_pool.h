// Mesh address allocation: which address of a colony's range the next agent
// gets. Pure logic over the set of addresses already handed out; the colony's
// store keeps that set and the agent-id -> address mapping that makes an
// agent's address persistent.
//
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <set>

#include "base/status.h"
#include "mesh/addressing.h"

namespace coral::mesh {

// The lowest address of `range` that is not in `taken`, never the network
// address, .0.1 (the colony, ColonyMeshIp) or the broadcast address.
// Addresses in `taken` outside the range are ignored. ResourceExhausted when
// no address is left (a /31 or /32 has none to begin with).
Result<uint32_t> NextFreeAddress(const Ipv4Prefix& range, const std::set<uint32_t>& taken);

// How many agent addresses `range` holds: its size minus the network, colony
// and broadcast addresses (65533 for a /16, 0 for a /31 or /32).
uint64_t AgentCapacity(const Ipv4Prefix& range);

}  // namespace coral::mesh

// Interface configuration over rtnetlink (a NETLINK_ROUTE socket), so the
// mesh can bring its WireGuard interface up without shelling out to ip(8):
// link up/delete, IPv4 addresses and routes. Adding an address or route that
// is already there succeeds, so callers can re-run their setup.
//
// Thread-safety: every function opens its own socket and is safe from any
// thread. They act in the network namespace of the calling thread.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "mesh/addressing.h"

namespace coral::mesh {

// The interface's index, or NotFound naming it.
Result<int> InterfaceIndex(const std::string& ifname);

// Sets IFF_UP on the interface.
Status SetLinkUp(const std::string& ifname);
// Adds ip/prefix_len (ip in host byte order) to the interface. The same
// address with the same prefix length already there is fine.
Status AddAddress(const std::string& ifname, uint32_t ip_host_order, int prefix_len);
// Routes `dest` through the interface (scope link, main table), replacing a
// route to the same destination (also one through another interface).
Status AddRoute(const Ipv4Prefix& dest, const std::string& ifname);
// Deletes the interface; NotFound when there is none.
Status DeleteLink(const std::string& ifname);

}  // namespace coral::mesh

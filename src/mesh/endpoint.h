// "host:port" endpoints as join tokens and mesh peers carry them: split, and
// resolved (getaddrinfo) to the UDP address WireGuard sends to.
//
// Thread-safety: stateless functions. ResolveEndpoint may block on DNS, in
// the calling thread's network namespace.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "wireguard/ip_prefix.h"

namespace coral::mesh {

struct HostPort {
  std::string host;  // a name, an IPv4 address or an IPv6 address without brackets
  uint16_t port = 0;
};

// Splits "host:port", "1.2.3.4:port" or "[ip6]:port"; the port must be 1-65535.
Result<HostPort> SplitHostPort(std::string_view text);

// The UDP address of "host:port": IP literals as they are, names through
// getaddrinfo (an IPv4 address when the name has one, as wg(8) prefers).
// InvalidArgument for malformed text, NotFound when the name does not resolve.
Result<wireguard::Endpoint> ResolveEndpoint(std::string_view text);

}  // namespace coral::mesh

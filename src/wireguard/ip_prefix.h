// IP addresses and CIDR prefixes (IPv4 and IPv6) as WireGuard's allowed-IPs and
// endpoints use them, with parsing and printing in the forms wg(8) speaks.
//
// Thread-safety: plain values.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace coral::wireguard {

enum class Family : uint8_t { kV4 = 4, kV6 = 6 };

struct IpAddress {
  Family family = Family::kV4;
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4
  size_t size() const { return family == Family::kV4 ? 4 : 16; }
  bool operator==(const IpAddress&) const = default;
  std::string ToString() const;
  static Result<IpAddress> Parse(std::string_view text);
};

struct IpPrefix {
  IpAddress address;  // host bits are zero
  uint8_t cidr = 0;
  bool operator==(const IpPrefix&) const = default;
  std::string ToString() const;  // "10.0.0.0/24"
  // Parses "addr/cidr" (or a bare address as a host route), clearing host bits.
  static Result<IpPrefix> Parse(std::string_view text);
};

// A UDP endpoint, v4 or v6, stored as a sockaddr ready for sendmsg.
struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;  // 0: no endpoint
  // Our local address the peer last reached us on: replies leave from it, so
  // a multi-homed host answers from the address a NAT'd peer talks to. For
  // IPv4 the first 4 bytes hold the address.
  bool has_source = false;
  in6_addr source{};
  int source_ifindex = 0;

  bool empty() const { return len == 0; }
  // Compares the remote address and port only.
  bool operator==(const Endpoint& o) const;
  std::string ToString() const;  // "1.2.3.4:51820", "[fd00::1]:51820"
  // Parses "ip:port" or "[ip6]:port" (wg resolves host names before it talks UAPI).
  static Result<Endpoint> Parse(std::string_view text);
  static Endpoint FromSockaddr(const sockaddr* sa, socklen_t len);
  // Address and port bytes, for the cookie MAC.
  size_t AddressBytes(uint8_t out[18]) const;
};

}  // namespace coral::wireguard

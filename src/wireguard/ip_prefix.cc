#include "wireguard/ip_prefix.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace coral::wireguard {

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(family == Family::kV4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof(buf));
  return buf;
}

Result<IpAddress> IpAddress::Parse(std::string_view text) {
  std::string s(text);
  IpAddress ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) {
    ip.family = Family::kV4;
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) {
    ip.family = Family::kV6;
    return ip;
  }
  return InvalidArgument("'" + s + "' is not an IPv4 or IPv6 address");
}

std::string IpPrefix::ToString() const { return address.ToString() + "/" + std::to_string(cidr); }

Result<IpPrefix> IpPrefix::Parse(std::string_view text) {
  size_t slash = text.find('/');
  IpPrefix p;
  p.address = CORAL_TRY(IpAddress::Parse(text.substr(0, slash)));
  unsigned max = p.address.size() * 8;
  unsigned cidr = max;
  if (slash != std::string_view::npos) {
    std::string_view c = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(c.data(), c.data() + c.size(), cidr);
    if (c.empty() || ec != std::errc() || ptr != c.data() + c.size() || cidr > max) {
      return InvalidArgument("'" + std::string(text) + "' has a bad prefix length (0.." +
                             std::to_string(max) + ")");
    }
  }
  p.cidr = static_cast<uint8_t>(cidr);
  for (unsigned i = 0; i < p.address.size(); ++i) {
    unsigned keep = cidr > i * 8 ? std::min(8u, cidr - i * 8) : 0;
    p.address.bytes[i] &= static_cast<uint8_t>(keep == 0 ? 0 : (0xff << (8 - keep)));
  }
  return p;
}

bool Endpoint::operator==(const Endpoint& o) const {
  if (len != o.len) return false;
  if (len == 0) return true;
  if (addr.ss_family != o.addr.ss_family) return false;
  if (addr.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    auto* b = reinterpret_cast<const sockaddr_in*>(&o.addr);
    return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
  }
  auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
  auto* b = reinterpret_cast<const sockaddr_in6*>(&o.addr);
  return a->sin6_port == b->sin6_port &&
         std::memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(in6_addr)) == 0 &&
         a->sin6_scope_id == b->sin6_scope_id;
}

std::string Endpoint::ToString() const {
  if (len == 0) return "(none)";
  char buf[INET6_ADDRSTRLEN];
  if (addr.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, buf, sizeof(buf));
    return std::string(buf) + ":" + std::to_string(ntohs(a->sin_port));
  }
  auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
  inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof(buf));
  return "[" + std::string(buf) + "]:" + std::to_string(ntohs(a->sin6_port));
}

Result<Endpoint> Endpoint::Parse(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgument("endpoint '" + std::string(text) + "' is not ip:port or [ip6]:port");
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || ptr != port_text.data() + port_text.size() ||
      port > 65535) {
    return InvalidArgument("endpoint '" + std::string(text) + "' has a bad port");
  }
  bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  Endpoint e;
  std::string h(host);
  if (!bracketed) {
    auto* a = reinterpret_cast<sockaddr_in*>(&e.addr);
    if (inet_pton(AF_INET, h.c_str(), &a->sin_addr) == 1) {
      a->sin_family = AF_INET;
      a->sin_port = htons(static_cast<uint16_t>(port));
      e.len = sizeof(sockaddr_in);
      return e;
    }
  }
  auto* a6 = reinterpret_cast<sockaddr_in6*>(&e.addr);
  if (inet_pton(AF_INET6, h.c_str(), &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<uint16_t>(port));
    e.len = sizeof(sockaddr_in6);
    return e;
  }
  return InvalidArgument("endpoint '" + std::string(text) + "' has no IP address");
}

Endpoint Endpoint::FromSockaddr(const sockaddr* sa, socklen_t len) {
  Endpoint e;
  if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    std::memcpy(&e.addr, sa, sizeof(sockaddr_in));
    e.len = sizeof(sockaddr_in);
  } else if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    std::memcpy(&e.addr, sa, sizeof(sockaddr_in6));
    e.len = sizeof(sockaddr_in6);
  }
  return e;
}

size_t Endpoint::AddressBytes(uint8_t out[18]) const {
  if (addr.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    std::memcpy(out, &a->sin_addr, 4);
    std::memcpy(out + 4, &a->sin_port, 2);
    return 6;
  }
  auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
  std::memcpy(out, &a->sin6_addr, 16);
  std::memcpy(out + 16, &a->sin6_port, 2);
  return 18;
}

}  // namespace coral::wireguard

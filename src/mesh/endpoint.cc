#include "mesh/endpoint.h"

#include <netdb.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

namespace coral::mesh {

Result<HostPort> SplitHostPort(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgument("endpoint '" + std::string(text) +
                           "' is not host:port (or [ipv6]:port)");
  }
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || ptr != port_text.data() + port_text.size() ||
      port == 0 || port > 65535) {
    return InvalidArgument("endpoint '" + std::string(text) + "' has no valid port (1-65535)");
  }
  bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return InvalidArgument("endpoint '" + std::string(text) +
                           "' has an IPv6 address without brackets; write [ipv6]:port");
  }
  if (host.empty() || host.find_first_of(" []/") != std::string_view::npos) {
    return InvalidArgument("endpoint '" + std::string(text) + "' has no valid host");
  }
  return HostPort{std::string(host), static_cast<uint16_t>(port)};
}

Result<wireguard::Endpoint> ResolveEndpoint(std::string_view text) {
  HostPort hp = CORAL_TRY(SplitHostPort(text));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* list = nullptr;
  int rc = getaddrinfo(hp.host.c_str(), std::to_string(hp.port).c_str(), &hints, &list);
  if (rc != 0) {
    std::string why = rc == EAI_SYSTEM ? std::strerror(errno) : gai_strerror(rc);
    return NotFound("endpoint '" + std::string(text) + "': cannot resolve host '" + hp.host +
                    "' (" + why + "); check the name or give an IP address");
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(list, freeaddrinfo);
  const addrinfo* pick = list;
  for (const addrinfo* a = list; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      pick = a;
      break;
    }
  }
  if (pick == nullptr || (pick->ai_family != AF_INET && pick->ai_family != AF_INET6)) {
    return NotFound("endpoint '" + std::string(text) + "': host '" + hp.host +
                    "' has no IPv4 or IPv6 address");
  }
  return wireguard::Endpoint::FromSockaddr(pick->ai_addr, pick->ai_addrlen);
}

}  // namespace coral::mesh

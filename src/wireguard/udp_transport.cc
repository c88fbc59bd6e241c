#include "wireguard/udp_transport.h"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>

#ifndef UDP_GRO
#define UDP_GRO 104
#endif

namespace coral::wireguard {
namespace {

Result<std::shared_ptr<Socket>> OpenUdp(int family, uint16_t port, uint32_t fwmark) {
  int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return ErrnoError(family == AF_INET ? "socket(AF_INET)" : "socket(AF_INET6)", errno);
  auto sock = std::make_shared<Socket>(fd);
  int one = 1;
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  // Room for bursts: the reader drains in batches.
  int buf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
  // Batches of datagrams from one sender arrive as one read (split by the
  // reader); a kernel without UDP_GRO just delivers them one by one.
  if (UdpOffloadEnabled()) setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one));
  if (fwmark && setsockopt(fd, SOL_SOCKET, SO_MARK, &fwmark, sizeof(fwmark)) < 0) {
    return ErrnoError("SO_MARK", errno);
  }
  sockaddr_storage ss{};
  socklen_t len;
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    len = sizeof(*a);
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    len = sizeof(*a);
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    return ErrnoError("bind UDP port " + std::to_string(port), errno);
  }
  return sock;
}

uint16_t BoundPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

}  // namespace

bool UdpOffloadEnabled() {
  const char* v = std::getenv("CORAL_WG_UDP_OFFLOAD");
  return !(v && std::string_view(v) == "0");
}

Socket::~Socket() {
  if (fd_ >= 0) close(fd_);
}

SocketPair UdpTransport::sockets() const {
  std::lock_guard lock(mu_);
  return sockets_;
}

Result<uint16_t> UdpTransport::Bind(uint16_t port) {
  std::lock_guard lock(mu_);
  if (sockets_.v4 && port != 0 && BoundPort(sockets_.v4->fd()) == port) return port;
  // Release the old port first so re-binding to it works.
  SocketPair old = sockets_;
  for (int attempt = 0; attempt < 16; ++attempt) {
    auto v4 = OpenUdp(AF_INET, port, fwmark_);
    if (!v4.ok()) return v4.status();
    uint16_t bound = BoundPort((*v4)->fd());
    auto v6 = OpenUdp(AF_INET6, bound, fwmark_);
    if (!v6.ok() && port == 0 && v6.status().message().find("in use") != std::string::npos) {
      continue;  // a random port free for IPv4 but not IPv6: pick another
    }
    sockets_.v4 = *v4;
    sockets_.v6 = v6.ok() ? *v6 : nullptr;
    ++sockets_.generation;
    // Wake readers still blocked on the old sockets.
    if (old.v4) shutdown(old.v4->fd(), SHUT_RDWR);
    if (old.v6) shutdown(old.v6->fd(), SHUT_RDWR);
    return bound;
  }
  return Unavailable("no UDP port free for both IPv4 and IPv6");
}

Status UdpTransport::SetFwmark(uint32_t mark) {
  std::lock_guard lock(mu_);
  fwmark_ = mark;
  for (const auto& s : {sockets_.v4, sockets_.v6}) {
    if (s && setsockopt(s->fd(), SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0) {
      return ErrnoError("SO_MARK", errno);
    }
  }
  return Status::Ok();
}

void UdpTransport::SendDatagram(const Endpoint& to, const uint8_t* data, size_t len) {
  std::shared_ptr<Socket> s;
  {
    std::lock_guard lock(mu_);
    s = to.addr.ss_family == AF_INET6 ? sockets_.v6 : sockets_.v4;
  }
  if (!s) return;
  // Lost datagrams are the protocol's business (timers retransmit).
  (void)sendto(s->fd(), data, len, MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&to.addr),
               to.len);
}

void UdpTransport::Shutdown() {
  std::lock_guard lock(mu_);
  for (const auto& s : {sockets_.v4, sockets_.v6}) {
    if (s) shutdown(s->fd(), SHUT_RDWR);
  }
  sockets_ = SocketPair{nullptr, nullptr, sockets_.generation + 1};
}

}  // namespace coral::wireguard

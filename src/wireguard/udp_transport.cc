#include "wireguard/udp_transport.h"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
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
  // Learn which of our addresses each datagram came to, to answer from it.
  if (family == AF_INET) {
    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
  } else {
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
  }
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
  iovec iov{const_cast<uint8_t*>(data), len};
  msghdr h{};
  h.msg_name = const_cast<sockaddr_storage*>(&to.addr);
  h.msg_namelen = to.len;
  h.msg_iov = &iov;
  h.msg_iovlen = 1;
  CmsgBuffer ctrl;
  SetSendControl(h, ctrl, to, 0);
  // Lost datagrams are the protocol's business (timers retransmit). When the
  // send fails with a source address (it may have gone away: EINVAL or
  // ENETUNREACH), it is sent again from any address.
  if (sendmsg(s->fd(), &h, MSG_DONTWAIT) < 0 && errno != EAGAIN && to.has_source) {
    Endpoint plain = to;
    plain.has_source = false;
    SetSendControl(h, ctrl, plain, 0);
    (void)sendmsg(s->fd(), &h, MSG_DONTWAIT);
  }
}

void SetSendControl(msghdr& h, CmsgBuffer& ctrl, const Endpoint& to, uint16_t gso_size) {
  std::memset(ctrl.data(), 0, ctrl.size());
  h.msg_control = ctrl.data();
  h.msg_controllen = ctrl.size();
  size_t used = 0;
  cmsghdr* c = CMSG_FIRSTHDR(&h);
  if (to.has_source && to.addr.ss_family == AF_INET) {
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo info{};
    std::memcpy(&info.ipi_spec_dst, &to.source, 4);
    std::memcpy(CMSG_DATA(c), &info, sizeof(info));
    used += CMSG_SPACE(sizeof(in_pktinfo));
    c = CMSG_NXTHDR(&h, c);
  } else if (to.has_source && to.addr.ss_family == AF_INET6) {
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo info{};
    info.ipi6_addr = to.source;
    // The interface matters only for link-local sources.
    if (IN6_IS_ADDR_LINKLOCAL(&to.source))
      info.ipi6_ifindex = static_cast<unsigned>(to.source_ifindex);
    std::memcpy(CMSG_DATA(c), &info, sizeof(info));
    used += CMSG_SPACE(sizeof(in6_pktinfo));
    c = CMSG_NXTHDR(&h, c);
  }
  if (gso_size > 0) {
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    std::memcpy(CMSG_DATA(c), &gso_size, sizeof(gso_size));
    used += CMSG_SPACE(sizeof(uint16_t));
  }
  h.msg_controllen = used;
  if (used == 0) h.msg_control = nullptr;
}

size_t ReadReceiveControl(const msghdr& h, Endpoint& from) {
  size_t gro = 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
      int size = 0;
      std::memcpy(&size, CMSG_DATA(c), sizeof(size));
      gro = size > 0 ? static_cast<size_t>(size) : 0;
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof(info));
      from.source = in6_addr{};
      std::memcpy(&from.source, &info.ipi_addr, 4);
      from.source_ifindex = info.ipi_ifindex;
      from.has_source = true;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof(info));
      from.source = info.ipi6_addr;
      from.source_ifindex = static_cast<int>(info.ipi6_ifindex);
      from.has_source = true;
    }
  }
  return gro;
}

void UdpTransport::Shutdown() {
  std::lock_guard lock(mu_);
  for (const auto& s : {sockets_.v4, sockets_.v6}) {
    if (s) shutdown(s->fd(), SHUT_RDWR);
  }
  sockets_ = SocketPair{nullptr, nullptr, sockets_.generation + 1};
}

}  // namespace coral::wireguard

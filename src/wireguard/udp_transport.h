// The UDP side of a device: one IPv4 and one IPv6 socket (IPV6_V6ONLY) on the
// same port, rebindable while running (wg set listen-port), with batched
// sends (sendmmsg) and UDP GRO on receive (the kernel hands over runs of
// datagrams from one sender in one read). Sockets are shared by pointer so a rebind never closes a
// socket another thread is still using.
//
// Thread-safety: every method is safe from any thread; mu_ guards sockets_.
#pragma once

#include <sys/socket.h>

#include <memory>
#include <mutex>

#include "wireguard/device.h"

namespace coral::wireguard {

// UDP GSO sends and GRO receives, unless CORAL_WG_UDP_OFFLOAD=0.
bool UdpOffloadEnabled();

// Room for the control messages of one send or receive: packet info (our
// source address) and a UDP GSO segment size or UDP GRO size.
struct alignas(cmsghdr) CmsgBuffer {
  uint8_t bytes[128];
  uint8_t* data() { return bytes; }
  size_t size() const { return sizeof(bytes); }
};

// Fills `ctrl` with IP_PKTINFO / IPV6_PKTINFO for `to`'s source (if any) and
// UDP_SEGMENT (if gso_size > 0), and points `h` at it (or at nothing).
void SetSendControl(msghdr& h, CmsgBuffer& ctrl, const Endpoint& to, uint16_t gso_size);
// Reads a received message's control data: the UDP GRO segment size (0: one
// datagram) and our local address, stored as `from`'s source.
size_t ReadReceiveControl(const msghdr& h, Endpoint& from);

// A socket fd closed on destruction.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

struct SocketPair {
  std::shared_ptr<Socket> v4;
  std::shared_ptr<Socket> v6;  // null when the host has no IPv6
  uint64_t generation = 0;
};

class UdpTransport final : public Transport {
 public:
  UdpTransport() = default;
  void SendDatagram(const Endpoint& to, const uint8_t* data, size_t len) override;
  Result<uint16_t> Bind(uint16_t port) override;
  Status SetFwmark(uint32_t mark) override;

  SocketPair sockets() const;
  // Closes the sockets (wakes readers blocked on them).
  void Shutdown();

 private:
  mutable std::mutex mu_;  // guards sockets_ and fwmark_
  SocketPair sockets_;
  uint32_t fwmark_ = 0;
};

}  // namespace coral::wireguard

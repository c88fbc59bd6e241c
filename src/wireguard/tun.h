// A Linux TUN device (IFF_TUN | IFF_NO_PI: bare IP packets), optionally with
// IFF_VNET_HDR and TSO offloads, owned RAII-style: closing it removes the
// interface.
//
// Thread-safety: the fd may be read by one thread and written by others.
#pragma once

#include <string>

#include "base/status.h"

namespace coral::wireguard {

enum class TunOffload {
  kNone,  // one bare IP packet per read and write
  kTso,   // IFF_VNET_HDR with checksum and TCP segmentation offload (tun_offload.h)
};

class Tun {
 public:
  // Creates (or attaches to) interface `name` with `mtu`; the fd is non-blocking.
  // With kTso, falls back to plain packets if the kernel refuses the offloads.
  static Result<Tun> Create(const std::string& name, int mtu,
                            TunOffload offload = TunOffload::kNone);

  Tun(Tun&& other) noexcept
      : fd_(other.fd_), name_(std::move(other.name_)), vnet_hdr_(other.vnet_hdr_) {
    other.fd_ = -1;
  }
  Tun& operator=(Tun&& other) noexcept;
  Tun(const Tun&) = delete;
  Tun& operator=(const Tun&) = delete;
  ~Tun();

  int fd() const { return fd_; }
  const std::string& name() const { return name_; }
  // Whether every read and write carries a virtio_net_hdr first.
  bool vnet_hdr() const { return vnet_hdr_; }

 private:
  Tun(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  int fd_ = -1;
  std::string name_;
  bool vnet_hdr_ = false;
};

}  // namespace coral::wireguard

// A Linux TUN device (IFF_TUN | IFF_NO_PI: bare IP packets, no header), owned
// RAII-style: closing it removes the interface.
//
// Thread-safety: the fd may be read by one thread and written by others.
#pragma once

#include <string>

#include "base/status.h"

namespace coral::wireguard {

class Tun {
 public:
  // Creates (or attaches to) interface `name` with `mtu`; the fd is non-blocking.
  static Result<Tun> Create(const std::string& name, int mtu);

  Tun(Tun&& other) noexcept : fd_(other.fd_), name_(std::move(other.name_)) { other.fd_ = -1; }
  Tun& operator=(Tun&& other) noexcept;
  Tun(const Tun&) = delete;
  Tun& operator=(const Tun&) = delete;
  ~Tun();

  int fd() const { return fd_; }
  const std::string& name() const { return name_; }

 private:
  Tun(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  int fd_ = -1;
  std::string name_;
};

}  // namespace coral::wireguard

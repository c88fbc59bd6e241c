#include "wireguard/tun.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"

namespace coral::wireguard {

Result<Tun> Tun::Create(const std::string& name, int mtu, TunOffload offload) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return InvalidArgument("interface name '" + name + "' must be 1.." +
                           std::to_string(IFNAMSIZ - 1) + " characters");
  }
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return ErrnoError("open /dev/net/tun (needs root or CAP_NET_ADMIN)", errno);
  Tun tun(fd, name);
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  if (offload == TunOffload::kTso) ifr.ifr_flags |= IFF_VNET_HDR;
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    return ErrnoError("create TUN interface " + name +
                          (err == EPERM ? " (needs root or CAP_NET_ADMIN)" : ""),
                      err);
  }
  tun.name_ = ifr.ifr_name;
  if (offload == TunOffload::kTso) {
    // Every read and write now carries a virtio_net_hdr. Should the kernel
    // refuse the offloads, the headers stay and are all plain (gso_type NONE),
    // which the read path handles the same way.
    tun.vnet_hdr_ = true;
    unsigned features = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    if (ioctl(fd, TUNSETOFFLOAD, features) < 0) {
      CORAL_LOG_WARN("wireguard: TUN offloads refused on {} ({}); packets go one by one", name,
                     std::strerror(errno));
    }
  }
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return ErrnoError("socket for SIOCSIFMTU", errno);
  ifreq mtu_req{};
  std::strncpy(mtu_req.ifr_name, tun.name_.c_str(), IFNAMSIZ - 1);
  mtu_req.ifr_mtu = mtu;
  int rc = ioctl(sock, SIOCSIFMTU, &mtu_req);
  int err = errno;
  close(sock);
  if (rc < 0) return ErrnoError("set MTU " + std::to_string(mtu) + " on " + tun.name_, err);
  return tun;
}

Tun& Tun::operator=(Tun&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    name_ = std::move(other.name_);
    vnet_hdr_ = other.vnet_hdr_;
    other.fd_ = -1;
  }
  return *this;
}

Tun::~Tun() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace coral::wireguard

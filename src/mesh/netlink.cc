#include "mesh/netlink.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "base/unique_fd.h"

namespace coral::mesh {
namespace {

// One request: header, fixed message and attributes, 4-byte aligned.
class Request {
 public:
  Request(uint16_t type, uint16_t flags) {
    auto* h = header();
    h->nlmsg_len = NLMSG_LENGTH(0);
    h->nlmsg_type = type;
    h->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
  }
  template <typename T>
  T* Append() {
    auto* h = header();
    auto* body = reinterpret_cast<T*>(buf_ + NLMSG_ALIGN(h->nlmsg_len));
    std::memset(body, 0, sizeof(T));
    h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + sizeof(T);
    return body;
  }
  void Attr(uint16_t type, const void* data, size_t len) {
    auto* h = header();
    auto* rta = reinterpret_cast<rtattr*>(buf_ + NLMSG_ALIGN(h->nlmsg_len));
    rta->rta_type = type;
    rta->rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
    std::memcpy(RTA_DATA(rta), data, len);
    h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(rta->rta_len);
  }
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buf_); }

 private:
  alignas(nlmsghdr) uint8_t buf_[256] = {};
};

// Sends one request and waits for the kernel's acknowledgement; returns the
// errno it carries (0: done).
Result<int> Transact(Request& req) {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd.valid()) return ErrnoError("netlink: socket(NETLINK_ROUTE)", errno);
  // The kernel always answers an NLM_F_ACK request; the timeout only bounds
  // the wait should something be badly wrong.
  timeval timeout{.tv_sec = 5, .tv_usec = 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  nlmsghdr* h = req.header();
  h->nlmsg_seq = 1;
  if (sendto(fd.get(), h, h->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel)) <
      0) {
    return ErrnoError("netlink: send", errno);
  }
  alignas(nlmsghdr) uint8_t reply[8192];
  for (;;) {
    ssize_t n = recv(fd.get(), reply, sizeof(reply), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("netlink: receive", errno);
    }
    size_t left = static_cast<size_t>(n);
    for (auto* m = reinterpret_cast<nlmsghdr*>(reply); NLMSG_OK(m, left); m = NLMSG_NEXT(m, left)) {
      if (m->nlmsg_seq != 1 || m->nlmsg_type != NLMSG_ERROR) continue;
      const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(m));
      return -err->error;
    }
  }
}

Status Failed(const std::string& what, const std::string& ifname, int err) {
  return ErrnoError("netlink: " + what + " on " + ifname, err);
}

}  // namespace

Result<int> InterfaceIndex(const std::string& ifname) {
  unsigned index = if_nametoindex(ifname.c_str());
  if (index == 0) {
    return NotFound("netlink: no interface named '" + ifname + "' in this network namespace");
  }
  return static_cast<int>(index);
}

namespace {

// An RTM_NEWLINK / RTM_DELLINK on one interface, changing the flags in `change`.
Status LinkRequest(const std::string& what, const std::string& ifname, uint16_t type,
                   unsigned flags, unsigned change) {
  int index = CORAL_TRY(InterfaceIndex(ifname));
  Request req(type, 0);
  auto* ifi = req.Append<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  ifi->ifi_flags = flags;
  ifi->ifi_change = change;
  int err = CORAL_TRY(Transact(req));
  if (err != 0) return Failed(what, ifname, err);
  return Status::Ok();
}

}  // namespace

Status SetLinkUp(const std::string& ifname) {
  return LinkRequest("set link up", ifname, RTM_NEWLINK, IFF_UP, IFF_UP);
}

Status AddAddress(const std::string& ifname, uint32_t ip_host_order, int prefix_len) {
  if (prefix_len < 0 || prefix_len > 32) {
    return InvalidArgument("netlink: prefix length " + std::to_string(prefix_len) + " for " +
                           Ipv4ToString(ip_host_order) + " on " + ifname + " is not 0-32");
  }
  int index = CORAL_TRY(InterfaceIndex(ifname));
  Request req(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  auto* ifa = req.Append<ifaddrmsg>();
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = static_cast<uint8_t>(prefix_len);
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = static_cast<uint32_t>(index);
  uint32_t ip = htonl(ip_host_order);
  req.Attr(IFA_LOCAL, &ip, sizeof(ip));
  req.Attr(IFA_ADDRESS, &ip, sizeof(ip));
  int err = CORAL_TRY(Transact(req));
  // EEXIST: this very address and prefix length is on the interface already.
  if (err != 0 && err != EEXIST) {
    return Failed("add address " + Ipv4ToString(ip_host_order) + "/" + std::to_string(prefix_len),
                  ifname, err);
  }
  return Status::Ok();
}

Status AddRoute(const Ipv4Prefix& dest, const std::string& ifname) {
  int index = CORAL_TRY(InterfaceIndex(ifname));
  Request req(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
  auto* rt = req.Append<rtmsg>();
  rt->rtm_family = AF_INET;
  rt->rtm_dst_len = static_cast<uint8_t>(dest.length);
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = RT_SCOPE_LINK;
  rt->rtm_type = RTN_UNICAST;
  if (dest.length < 0 || dest.length > 32) {
    return InvalidArgument("netlink: route " + dest.ToString() + " has a bad prefix length");
  }
  uint32_t dst = htonl(dest.address & PrefixMask(dest.length));
  req.Attr(RTA_DST, &dst, sizeof(dst));
  uint32_t oif = static_cast<uint32_t>(index);
  req.Attr(RTA_OIF, &oif, sizeof(oif));
  int err = CORAL_TRY(Transact(req));
  if (err != 0) return Failed("add route " + dest.ToString(), ifname, err);
  return Status::Ok();
}

Status DeleteLink(const std::string& ifname) {
  return LinkRequest("delete link", ifname, RTM_DELLINK, 0, 0);
}

}  // namespace coral::mesh

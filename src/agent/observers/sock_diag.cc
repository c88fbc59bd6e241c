#include "agent/observers/sock_diag.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/unique_fd.h"

namespace coral::agent {

namespace {

std::string AddressText(int family, const __be32* words) {
  char buf[INET6_ADDRSTRLEN] = "";
  inet_ntop(family, words, buf, sizeof(buf));
  return buf;
}

Status DumpFamily(int family, uint32_t state_mask, std::vector<TcpSocket>& out) {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (fd.get() < 0) return ErrnoError("sock_diag: netlink socket", errno);

  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } msg{};
  msg.header.nlmsg_len = sizeof(msg);
  msg.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.header.nlmsg_seq = 1;
  msg.request.sdiag_family = static_cast<uint8_t>(family);
  msg.request.sdiag_protocol = IPPROTO_TCP;
  msg.request.idiag_states = state_mask;
  msg.request.idiag_ext = 1 << (INET_DIAG_INFO - 1);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd.get(), &msg, sizeof(msg), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof(kernel)) < 0) {
    return ErrnoError("sock_diag: send", errno);
  }

  alignas(nlmsghdr) char buf[32768];
  for (int reads = 0; reads < 100'000; ++reads) {  // bounded; a dump ends with NLMSG_DONE
    ssize_t n = ::recv(fd.get(), buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("sock_diag: receive", errno);
    }
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, static_cast<unsigned>(n));
         h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) return Status::Ok();
      if (h->nlmsg_type == NLMSG_ERROR) {
        auto* err = static_cast<nlmsgerr*>(NLMSG_DATA(h));
        return ErrnoError("sock_diag: kernel refused the dump", -err->error);
      }
      auto* diag = static_cast<inet_diag_msg*>(NLMSG_DATA(h));
      TcpSocket s;
      s.entry.transport = Transport::kTcp;
      s.entry.local_address = AddressText(family, diag->id.idiag_src);
      s.entry.local_port = ntohs(diag->id.idiag_sport);
      s.entry.remote_address = AddressText(family, diag->id.idiag_dst);
      s.entry.remote_port = ntohs(diag->id.idiag_dport);
      s.entry.state = diag->idiag_state;
      s.entry.inode = diag->idiag_inode;
      s.entry.uid = diag->idiag_uid;
      int len = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof(*diag)));
      for (auto* a = reinterpret_cast<rtattr*>(diag + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type != INET_DIAG_INFO) continue;
        tcp_info info{};
        std::memcpy(&info, RTA_DATA(a), std::min<size_t>(sizeof(info), RTA_PAYLOAD(a)));
        // Linux counts the SYN as one acked byte.
        s.bytes_sent = info.tcpi_bytes_acked > 0 ? info.tcpi_bytes_acked - 1 : 0;
        s.bytes_received = info.tcpi_bytes_received;
      }
      out.push_back(std::move(s));
    }
  }
  return Internal("sock_diag: the dump did not end");
}

}  // namespace

Result<std::vector<TcpSocket>> DumpTcpSockets(uint32_t state_mask) {
  std::vector<TcpSocket> out;
  CORAL_TRY(DumpFamily(AF_INET, state_mask, out));
  CORAL_TRY(DumpFamily(AF_INET6, state_mask, out));
  return out;
}

}  // namespace coral::agent

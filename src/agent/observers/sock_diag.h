// TCP sockets of this network namespace through sock_diag netlink
// (NETLINK_SOCK_DIAG, inet_diag_req_v2), the same source `ss` reads, with
// byte counts from tcp_info. Used for connections when no eBPF program is
// tracing them.
//
// Thread-safety: each call opens its own netlink socket.
#pragma once

#include <vector>

#include "agent/observers/procfs.h"
#include "base/status.h"

namespace coral::agent {

struct TcpSocket {
  SocketEntry entry;
  uint64_t bytes_sent = 0;      // tcpi_bytes_acked
  uint64_t bytes_received = 0;  // tcpi_bytes_received
};

// TCP sockets in the given states (bit mask of 1 << TCP_STATE), IPv4 and IPv6.
Result<std::vector<TcpSocket>> DumpTcpSockets(uint32_t state_mask);

}  // namespace coral::agent

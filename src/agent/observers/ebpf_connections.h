// TCP connection opens and closes traced by the eBPF program
// observers/ebpf/conn_tracker.bpf.c on tp_btf/inet_sock_set_state, read from
// its ring buffer. When the agent was built without eBPF support, or the
// kernel refuses the program (not root, lockdown, no BTF, verifier), Open()
// says why and the agent falls back to sock_diag snapshots.
//
// Owners: active opens carry the tgid and comm of the process that called
// connect(); passive opens complete in softirq and carry pid 0 with
// ConnOrigin::kPassive, so callers attribute them to the listener's owner.
//
// Thread-safety: one thread at a time may call Poll(); the object owns the
// loaded programs, their attachment and the ring buffer, released together.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/observers/ebpf/conn_event.h"
#include "base/status.h"

namespace coral::agent {

// What the agent reports as its eBPF program.
inline constexpr std::string_view kConnTrackerProgram = "tp_btf/inet_sock_set_state";

enum class ConnEventKind { kOpen, kClose };
enum class ConnOrigin { kUnknown, kActive, kPassive };

struct ConnEvent {
  ConnEventKind kind = ConnEventKind::kOpen;
  ConnOrigin origin = ConnOrigin::kUnknown;
  int family = 0;  // AF_INET or AF_INET6
  std::string local_address;
  uint16_t local_port = 0;
  std::string remote_address;
  uint16_t remote_port = 0;
  uint64_t netns = 0;           // inode of the network namespace, as /proc/PID/ns/net shows it
  pid_t pid = 0;                // 0 when the kernel had no owner to report
  std::string comm;             // the owner's comm at connect() time, for processes gone since
  uint64_t bytes_sent = 0;      // bytes acknowledged by the peer; close events only
  uint64_t bytes_received = 0;  // close events only
};

std::string_view ConnEventKindName(ConnEventKind kind);  // "open" | "close"

// The decoded form of one ring buffer record.
ConnEvent DecodeConnEvent(const coral_conn_event& raw);

class EbpfConnections {
 public:
  // Whether this binary carries the BPF program, and if not, why.
  static bool Built();
  static std::string_view NotBuiltReason();

  // Loads and attaches the program. Fails with a message naming the cause.
  static Result<std::unique_ptr<EbpfConnections>> Open();
  ~EbpfConnections();
  EbpfConnections(const EbpfConnections&) = delete;
  EbpfConnections& operator=(const EbpfConnections&) = delete;

  // Waits up to `timeout` (zero: not at all) for events, then returns those
  // waiting, at most what the ring buffer holds.
  Result<std::vector<ConnEvent>> Poll(std::chrono::milliseconds timeout);

  // Events the kernel side dropped because the ring buffer was full.
  uint64_t dropped() const;

 private:
  struct Handles;
  explicit EbpfConnections(std::unique_ptr<Handles> handles);
  std::unique_ptr<Handles> handles_;
  std::vector<ConnEvent> pending_;  // filled by the ring buffer callback during Poll
};

}  // namespace coral::agent

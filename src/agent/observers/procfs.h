// Reading a procfs tree: processes and their sockets. The root is a parameter
// ("/proc" in production, a fixture folder in tests), so everything here is
// plain parsing of files with no assumption about the running host.
//
// Thread-safety: ProcFs is immutable; calls may run on any thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace coral::agent {

struct ProcessInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  std::string comm;                  // kernel's short name
  std::string exe;                   // /proc/PID/exe target ("" when not readable)
  std::vector<std::string> cmdline;  // argv
  uint32_t uid = 0;
  uint64_t start_ticks = 0;          // since boot, in clock ticks
  uint64_t cpu_ticks = 0;            // utime + stime
  uint64_t rss_bytes = 0;
  std::string cgroup;                // unified hierarchy path ("0::/...")
  std::string container_id;          // 64-hex id found in the cgroup path, or ""
  uint64_t netns = 0;                // inode of /proc/PID/ns/net (0 when not readable)
};

enum class Transport { kTcp, kUdp };
std::string_view TransportName(Transport t);

// One row of /proc/net/{tcp,tcp6,udp,udp6}.
struct SocketEntry {
  Transport transport = Transport::kTcp;
  std::string local_address;   // "127.0.0.1", "::", "::ffff:10.0.0.1"
  uint16_t local_port = 0;
  std::string remote_address;
  uint16_t remote_port = 0;
  int state = 0;               // kernel TCP state number (0x0A listen, 0x01 established)
  uint64_t inode = 0;
  uint32_t uid = 0;
};

inline constexpr int kTcpEstablished = 0x01;
inline constexpr int kTcpListen = 0x0A;
inline constexpr int kUdpUnconnected = 0x07;

class ProcFs {
 public:
  explicit ProcFs(std::filesystem::path root = "/proc") : root_(std::move(root)) {}
  const std::filesystem::path& root() const { return root_; }

  std::vector<pid_t> ListPids() const;
  // A process that exits while being read is NotFound.
  Result<ProcessInfo> ReadProcess(pid_t pid) const;
  // The environment variable of a process, if readable and set.
  std::optional<std::string> ReadEnv(pid_t pid, std::string_view name) const;
  // socket inode -> pid, from every /proc/PID/fd/* link "socket:[N]".
  std::map<uint64_t, pid_t> SocketOwners() const;
  // TCP and UDP sockets of the network namespace `pid` lives in
  // (/proc/PID/net/...), or of the reader's when pid is 0 (/proc/net/...).
  std::vector<SocketEntry> ReadSockets(pid_t pid = 0) const;
  // Boot time in seconds since the epoch (btime in /proc/stat).
  Result<int64_t> BootTime() const;

 private:
  std::filesystem::path root_;
};

// Parsers, exposed for tests.
Result<ProcessInfo> ParseStat(std::string_view stat_text);  // pid, comm, ppid, ticks, rss pages
std::vector<SocketEntry> ParseNetFile(std::string_view text, Transport transport, bool v6);
std::string ContainerIdFromCgroup(std::string_view cgroup_path);
// "0100007F" -> "127.0.0.1"; 32 hex chars -> IPv6 text.
std::string DecodeProcAddress(std::string_view hex);

}  // namespace coral::agent

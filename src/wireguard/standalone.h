// `coral wireguard IFACE [--foreground]`: a standalone userspace WireGuard
// device, a drop-in for `wireguard-go IFACE`. It creates the TUN interface and
// /var/run/wireguard/IFACE.sock, then is configured with wg(8) and ip(8). It
// runs until SIGINT or SIGTERM, or until its UAPI socket file is removed.
//
// Environment knobs (all optional):
//   CORAL_WG_WORKERS=N            extra crypto threads per direction (default cores - 1)
//   CORAL_WG_TUN_OFFLOAD=0        no TSO/GRO through the TUN (virtio-net header)
//   CORAL_WG_UDP_OFFLOAD=0        no UDP GSO sends / UDP GRO receives
//   CORAL_WG_TEST_TIMER_SCALE=f   tests only: shrink protocol timers by f in (0, 1]
//
// Thread-safety: call once per process, before starting other threads (it may
// fork to daemonize).
#pragma once

#include <filesystem>
#include <string>

#include "base/log.h"

namespace coral::wireguard {

enum class Foreground { kNo, kYes };

struct StandaloneOptions {
  std::string interface_name;
  Foreground foreground = Foreground::kNo;  // kNo: daemonize once the device is up
  log::Level log_level = log::Level::kInfo;
  std::string log_file;  // daemon logs go here; empty: discarded
  std::filesystem::path uapi_dir = "/var/run/wireguard";
};

// Returns the process exit code: 0 after a clean shutdown (or, in the parent
// of a daemon, once the daemon's device is up), 1 when the device could not start.
int RunStandalone(const StandaloneOptions& options);

}  // namespace coral::wireguard

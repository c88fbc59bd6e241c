// A running WireGuard interface: a Device wired to a TUN device, UDP sockets
// and a UAPI socket, with its threads. One thread reads the TUN in batches,
// encrypts them (spread over a BatchPool) and sends with sendmmsg; one
// receives with recvmmsg, decrypts (over another pool) and writes to the TUN;
// one runs timers; the UAPI server has its own. Each batch is handed on in
// the order it arrived, so packets stay in order per peer.
//
// Thread-safety: Start and Stop from the owner thread.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "base/clock.h"
#include "base/status.h"
#include "wireguard/batch_pool.h"
#include "wireguard/device.h"
#include "wireguard/tun.h"
#include "wireguard/uapi_server.h"
#include "wireguard/udp_transport.h"

namespace coral::wireguard {

// kTso unless CORAL_WG_TUN_OFFLOAD=0.
TunOffload DefaultTunOffload();

struct NetDeviceOptions {
  std::string interface_name;
  int mtu = 1420;
  TimerConfig timers = TimerConfig::FromEnvironment();
  std::filesystem::path uapi_dir = "/var/run/wireguard";
  // Extra crypto threads per direction (CORAL_WG_WORKERS, default cores - 1).
  int crypto_workers = BatchPool::DefaultWorkers();
  // TCP segmentation offload on the TUN (CORAL_WG_TUN_OFFLOAD=0 turns it off).
  TunOffload tun_offload = DefaultTunOffload();
};

class NetDevice {
 public:
  static Result<std::unique_ptr<NetDevice>> Start(const NetDeviceOptions& options);
  ~NetDevice();
  void Stop();

  Device& device() { return *device_; }
  const std::string& interface_name() const { return tun_.name(); }
  const UapiServer& uapi() const { return *uapi_; }

 private:
  NetDevice(Tun tun, int wake_fd) : tun_(std::move(tun)), wake_fd_(wake_fd) {}
  void TunLoop();
  void UdpLoop();
  void TimerLoop();

  Tun tun_;
  int wake_fd_;
  UdpTransport udp_;
  std::unique_ptr<Device> device_;
  std::unique_ptr<BatchPool> encrypt_pool_;
  std::unique_ptr<BatchPool> decrypt_pool_;
  std::unique_ptr<UapiServer> uapi_;
  std::atomic<bool> stop_{false};
  // UDP GSO sends: off with CORAL_WG_UDP_OFFLOAD=0, or when the kernel refuses.
  std::atomic<bool> udp_gso_{UdpOffloadEnabled()};
  std::thread tun_thread_;
  std::thread udp_thread_;
  std::thread timer_thread_;
};

}  // namespace coral::wireguard

// Serves the UAPI protocol (see uapi.h) for one Device on a unix socket,
// normally /var/run/wireguard/IFACE.sock, so wg(8) can read and change it. The
// socket is 0600 (it hands out the private key); get replies are wiped after
// sending.
//
// Thread-safety: Start/Stop from one owner thread; connections are served on
// the server's own thread, one at a time.
#pragma once

#include <atomic>
#include <filesystem>
#include <thread>

#include "base/status.h"
#include "wireguard/device.h"

namespace coral::wireguard {

class UapiServer {
 public:
  // Binds `path` (replacing a stale socket file) and serves until Stop.
  static Result<std::unique_ptr<UapiServer>> Start(const std::filesystem::path& path,
                                                   Device& device);
  ~UapiServer();
  void Stop();
  const std::filesystem::path& path() const { return path_; }
  // Whether our socket file is still there (someone removing it asks us to stop).
  bool SocketFilePresent() const;

  // Handles one request text ("get=1\n\n" or "set=1\n...\n\n") and returns the
  // reply; exposed for tests and fuzzing.
  static std::string HandleRequest(std::string_view request, Device& device);

 private:
  UapiServer(std::filesystem::path path, Device& device, int listen_fd, int wake_fd);
  void Serve();
  void ServeConnection(int fd);

  std::filesystem::path path_;
  Device& device_;
  int listen_fd_;
  int wake_fd_;
  ino_t inode_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace coral::wireguard

#include "wireguard/uapi_server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/files.h"
#include "base/log.h"
#include "crypto/keys.h"
#include "wireguard/uapi.h"

namespace coral::wireguard {
namespace {

constexpr size_t kMaxRequest = 1 << 20;  // wg sends far less; bounds a hostile client
constexpr int kErrnoInvalid = 22;        // EINVAL, as wireguard-go reports bad input
constexpr int kErrnoPortInUse = 98;      // EADDRINUSE
constexpr int kErrnoIo = 5;              // EIO

void WriteAll(int fd, std::string_view s) {
  while (!s.empty()) {
    ssize_t n = send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    s.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

std::string UapiServer::HandleRequest(std::string_view request, Device& device) {
  size_t nl = request.find('\n');
  std::string_view op = request.substr(0, nl);
  std::string_view body =
      nl == std::string_view::npos ? std::string_view() : request.substr(nl + 1);
  if (op == "get=1") {
    return FormatGetReply(device.Snapshot()) + "errno=0\n\n";
  }
  if (op == "set=1") {
    auto update = ParseSetRequest(body);
    if (!update.ok()) {
      CORAL_LOG_WARN("uapi: rejected set request: {}", update.status().message());
      return "errno=" + std::to_string(kErrnoInvalid) + "\n\n";
    }
    Status s = device.Apply(*update);
    if (!s.ok()) {
      CORAL_LOG_WARN("uapi: set failed: {}", s.ToString());
      int err = s.message().find("in use") != std::string::npos ? kErrnoPortInUse : kErrnoIo;
      return "errno=" + std::to_string(err) + "\n\n";
    }
    return "errno=0\n\n";
  }
  return "errno=" + std::to_string(kErrnoInvalid) + "\n\n";
}

Result<std::unique_ptr<UapiServer>> UapiServer::Start(const std::filesystem::path& path,
                                                      Device& device) {
  CORAL_TRY(MakeDirs(path.parent_path(), FileMode::kPublic));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.native().size() >= sizeof(addr.sun_path)) {
    return InvalidArgument("UAPI socket path " + path.string() + " is too long");
  }
  std::strcpy(addr.sun_path, path.c_str());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return ErrnoError("socket(AF_UNIX)", errno);
  // A socket file nobody listens on is left over from a crash: replace it. One
  // that answers belongs to a live device: refuse.
  int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe >= 0) {
    if (connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      close(probe);
      close(fd);
      return AlreadyExists("a device already serves " + path.string() +
                           "; pick another interface name");
    }
    close(probe);
  }
  unlink(path.c_str());
  mode_t old = umask(0077);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int err = errno;
  umask(old);
  if (rc < 0 || listen(fd, 16) < 0) {
    if (rc >= 0) err = errno;
    close(fd);
    return ErrnoError("bind/listen " + path.string(), err);
  }
  int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    close(fd);
    return ErrnoError("eventfd", errno);
  }
  auto server = std::unique_ptr<UapiServer>(new UapiServer(path, device, fd, wake));
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) server->inode_ = st.st_ino;
  server->thread_ = std::thread([s = server.get()] { s->Serve(); });
  return server;
}

UapiServer::UapiServer(std::filesystem::path path, Device& device, int listen_fd, int wake_fd)
    : path_(std::move(path)), device_(device), listen_fd_(listen_fd), wake_fd_(wake_fd) {}

UapiServer::~UapiServer() {
  Stop();
  close(listen_fd_);
  close(wake_fd_);
  if (SocketFilePresent()) unlink(path_.c_str());
}

void UapiServer::Stop() {
  if (stop_.exchange(true)) return;
  uint64_t one = 1;
  (void)write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
}

bool UapiServer::SocketFilePresent() const {
  struct stat st {};
  return stat(path_.c_str(), &st) == 0 && st.st_ino == inode_;
}

void UapiServer::Serve() {
  while (!stop_) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, 1000) <= 0) continue;
    if (fds[1].revents) break;
    int conn = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    ServeConnection(conn);
    close(conn);
  }
}

void UapiServer::ServeConnection(int fd) {
  // A client that stalls must not block the device's configuration forever.
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string buf;
  char chunk[4096];
  for (;;) {
    size_t end = buf.find("\n\n");
    if (end == std::string::npos && buf == "\n") end = 0;
    if (end != std::string::npos) {
      std::string request = buf.substr(0, end + 2);
      buf.erase(0, end + 2);
      std::string reply = HandleRequest(request, device_);
      WriteAll(fd, reply);
      crypto::Wipe(reply);
      crypto::Wipe(request);
      continue;
    }
    if (buf.size() > kMaxRequest) break;
    ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) break;
    buf.append(chunk, static_cast<size_t>(n));
  }
  crypto::Wipe(buf);
  crypto::Wipe(chunk, sizeof(chunk));
}

}  // namespace coral::wireguard

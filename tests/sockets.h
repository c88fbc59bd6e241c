// Raw TCP clients for tests of listeners under load: idle connections from a
// chosen loopback address (127.0.0.0/8 is all local, so each address is a
// different peer to the server), whether the server closed one, and a scoped
// lower descriptor limit for running a process out of descriptors.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

namespace coral::testkit {

// A connected socket from `from` to 127.0.0.1:port, or -1.
inline int ConnectFrom(const std::string& from, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in src{};
  src.sin_family = AF_INET;
  ::inet_pton(AF_INET, from.c_str(), &src.sin_addr);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof(src)) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof(dst)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Whether the server closed `fd` within `wait_ms` (end of stream or reset).
inline bool ClosedByServer(int fd, int wait_ms) {
  pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
  if (::poll(&p, 1, wait_ms) <= 0) return false;
  char c;
  ssize_t n = ::recv(fd, &c, 1, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

// Open sockets, closed together.
struct Sockets {
  std::vector<int> fds;
  ~Sockets() { CloseAll(); }
  void CloseAll() {
    for (int fd : fds) ::close(fd);
    fds.clear();
  }
};

// Lowers this process's soft descriptor limit for its lifetime.
class LowerDescriptorLimit {
 public:
  explicit LowerDescriptorLimit(rlim_t soft) {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    rlimit lower = saved_;
    lower.rlim_cur = soft;
    ::setrlimit(RLIMIT_NOFILE, &lower);
  }
  ~LowerDescriptorLimit() { Restore(); }
  void Restore() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

 private:
  rlimit saved_{};
};

}  // namespace coral::testkit

#include "agent/health_checker.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/duration.h"
#include "net/http_client.h"

namespace coral::agent {

namespace {

std::string TimeoutReason(std::chrono::milliseconds timeout) {
  return "timeout after " + FormatDuration(timeout);
}

HealthResult TcpCheck(const std::string& host, uint16_t port, std::chrono::milliseconds timeout) {
  HealthResult r;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    r.reason = "bad address " + host;
    return r;
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    r.reason = std::string("socket: ") + std::strerror(errno);
    return r;
  }
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int err = rc == 0 ? 0 : errno;
  if (err == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (n == 0) {
      ::close(fd);
      r.reason = TimeoutReason(timeout);
      return r;
    }
    socklen_t len = sizeof(err);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  }
  ::close(fd);
  if (err == 0) {
    r.healthy = true;
    r.reason = "TCP connect ok";
  } else if (err == ECONNREFUSED) {
    r.reason = "connection refused";
  } else {
    r.reason = std::string("connect: ") + std::strerror(err);
  }
  return r;
}

}  // namespace

HealthResult CheckHealth(const std::string& host, uint16_t port, const std::string& http_path,
                         std::chrono::milliseconds timeout) {
  auto start = std::chrono::steady_clock::now();
  HealthResult r;
  if (http_path.empty()) {
    r = TcpCheck(host, port, timeout);
  } else {
    std::string path = http_path.front() == '/' ? http_path : "/" + http_path;
    auto resp = net::HttpFetch({.url = "http://" + host + ":" + std::to_string(port) + path,
                                .timeout = timeout,
                                .connect_timeout = timeout});
    if (resp.ok()) {
      r.status_code = resp->status;
      r.healthy = resp->status >= 200 && resp->status < 400;
      r.reason = "HTTP " + std::to_string(resp->status);
    } else if (resp.status().code() == StatusCode::kDeadlineExceeded) {
      r.reason = TimeoutReason(timeout);
    } else if (resp.status().message().find("refused") != std::string::npos ||
               resp.status().message().find("Failed to connect") != std::string::npos) {
      r.reason = "connection refused";
    } else {
      r.reason = resp.status().message();
    }
  }
  r.latency_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace coral::agent

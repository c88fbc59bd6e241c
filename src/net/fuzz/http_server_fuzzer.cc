// The HTTP server's request path as a client on the network drives it: the
// input is written as it stands to a new connection to a real HttpServer on
// loopback (Beast's parser, our body limit, keep-alive and pipelining, the
// target split into path and query), then the client stops sending and reads
// every answer.
//
// Invariants: whatever comes back is a sequence of HTTP responses with
// statuses the server gives (200 from the handler, 400 malformed, 413 too
// large); the connection ends (the server never waits on a client that said
// all it will); the server answers a plain request afterwards.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <set>
#include <string>

#include "base/check.h"
#include "fuzz_target.h"
#include "net/http_server.h"

namespace {

using namespace coral;

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CORAL_CHECK(fd >= 0, "socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CORAL_CHECK(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0, "connect");
  return fd;
}

// Writes `in`, half-closes, reads until the server closes (or 30 s pass).
std::string Exchange(int port, std::string_view in) {
  int fd = Connect(port);
  size_t sent = 0;
  while (sent < in.size()) {
    ssize_t n = ::send(fd, in.data() + sent, in.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server closed early (a malformed request)
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string out;
  char buf[16384];
  for (;;) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    // libFuzzer's timeout timer interrupts poll with SIGALRM: not the server.
    int ready;
    do {
      ready = ::poll(&p, 1, 30000);
    } while (ready < 0 && errno == EINTR);
    CORAL_CHECK(ready == 1, "the server kept a finished connection open");
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  // Reset rather than close: tens of thousands of exchanges a minute would
  // otherwise fill loopback's ports with TIME_WAIT until connect fails.
  linger reset{.l_onoff = 1, .l_linger = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  ::close(fd);
  return out;
}

// The statuses of the responses in `out`, which must be nothing but
// responses.
void CheckResponses(const std::string& out) {
  static const std::set<int> kStatuses = {200, 400, 413};
  size_t at = 0;
  while (at < out.size()) {
    // The server answers in the request's version: HTTP/<digit>.<digit>.
    CORAL_CHECK(out.size() > at + 9 && out.compare(at, 5, "HTTP/") == 0 &&
                    std::isdigit(static_cast<unsigned char>(out[at + 5])) && out[at + 6] == '.' &&
                    std::isdigit(static_cast<unsigned char>(out[at + 7])) && out[at + 8] == ' ',
                "not a response: " + out.substr(at, 80));
    int status = std::atoi(out.c_str() + at + 9);
    CORAL_CHECK(kStatuses.contains(status), "status " + std::to_string(status));
    size_t head_end = out.find("\r\n\r\n", at);
    CORAL_CHECK(head_end != std::string::npos, "a response without its header end");
    size_t length_at = out.find("Content-Length: ", at);
    CORAL_CHECK(length_at != std::string::npos && length_at < head_end, "no Content-Length");
    at = head_end + 4 + std::stoul(out.substr(length_at + 16, 20));
  }
}

net::HttpResponse Echo(const net::HttpRequest& req) {
  return net::HttpResponse::Text(
      200, req.method + " " + req.path + "?" + req.query + " " + std::to_string(req.body.size()));
}

}  // namespace

int CoralFuzzTarget(const uint8_t* data, size_t size) {
  static net::HttpServer* server = [] {
    auto s = net::HttpServer::Start(
        {.max_body_bytes = 64 << 10, .idle_timeout = std::chrono::seconds(5)}, Echo);
    CORAL_CHECK(s.ok(), "server");
    return s->release();
  }();
  static int inputs = 0;
  CheckResponses(Exchange(server->port(), {reinterpret_cast<const char*>(data), size}));
  if (++inputs % 256 == 0) {
    std::string plain = Exchange(server->port(), "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
    CORAL_CHECK(plain.starts_with("HTTP/1.1 200"), "no longer serving: " + plain.substr(0, 80));
  }
  return 0;
}

std::vector<std::vector<uint8_t>> CoralFuzzSeeds() { return {}; }

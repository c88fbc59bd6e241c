// A small HTTP/1.1 server (Boost.Beast underneath, TLS optional) for Coral's
// public endpoints: enrollment, REST, OTLP/HTTP, MCP. Handlers get a whole
// request and return a whole response; keep-alive, body limits (413) and
// malformed requests (400) are handled here, and so are the connections a
// listener may hold (caps per listener and per peer, idle ones shed). When
// accepting fails for want of descriptors or memory, the listener backs off
// (10 ms doubling to 1 s) and says so at most every 10 s, then carries on
// once they are free.
//
// Thread-safety: the handler runs on the server's worker threads, possibly
// several at once; it must be thread-safe. Stop() and the destructor wait for
// running handlers to finish.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "net/http.h"

namespace coral::net {

enum class ClientCerts {
  kRequired,  // every client presents a certificate from client_ca_pem
  kOptional,  // clients may; one that does must chain to client_ca_pem
};

struct TlsServerConfig {
  std::string cert_pem;  // leaf first, then any intermediates
  std::string key_pem;
  std::string client_ca_pem;  // when set, clients present (or may present) a cert from this CA
  ClientCerts client_certs = ClientCerts::kRequired;
};

struct HttpServerOptions {
  std::string bind = "127.0.0.1";  // an IPv4 or IPv6 literal
  uint16_t port = 0;               // 0: the kernel picks; see HttpServer::port()
  std::optional<TlsServerConfig> tls;
  int threads = 2;
  size_t max_body_bytes = 4 << 20;
  std::chrono::seconds idle_timeout{60};
  // Connections held at once: past either cap a new one is closed as soon
  // as it is accepted, so clients that connect and say nothing cannot use up
  // the process's descriptors. Once three quarters of max_connections are
  // open, idle connections get busy_idle_timeout instead of idle_timeout.
  size_t max_connections = 1024;
  size_t max_connections_per_peer = 128;  // per client IP address
  std::chrono::seconds busy_idle_timeout{5};
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                   HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;
  void Stop();

 private:
  class Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace coral::net

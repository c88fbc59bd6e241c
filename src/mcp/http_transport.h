// MCP's Streamable HTTP transport, on net::HttpServer: one endpoint (default
// /mcp) where each POST carries one JSON-RPC message. Requests get a JSON
// response; notifications and responses get 202 Accepted. The server issues
// an Mcp-Session-Id with the initialize result and requires it afterwards
// (400 when missing, 404 when unknown or ended); DELETE ends a session.
//
// What it does not do yet: SSE. net::HttpServer answers each request with
// one whole response, so GET (the server-to-client stream) gets 405 and POSTs
// are always answered with plain JSON, which the spec allows. Messages a
// session originates (progress, log notifications) have no stream to travel
// on and are dropped.
//
// Guards the spec asks for: Host and Origin validation against DNS rebinding
// (a Host not listed, or a present Origin that is neither loopback nor
// listed, gets 403), MCP-Protocol-Version
// checks (400 for an unsupported version or one that differs from the
// session's), a message size limit (413), and 406 for a client whose Accept
// header rules out JSON.
//
// Thread-safety: Handle is called from the HTTP server's worker threads at
// once; sessions are shared safely between them.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "mcp/server.h"
#include "net/http.h"

namespace coral::mcp {

struct HttpTransportOptions {
  std::string path = "/mcp";
  // Host header names (lowercase, no port) this endpoint answers to; others get
  // 403. The loopback default stops DNS rebinding against a local server even
  // from clients that send no Origin. A colony serving other names lists
  // them; empty accepts any Host (only behind TLS and authentication).
  std::vector<std::string> allowed_hosts = {"localhost", "127.0.0.1", "[::1]"};
  // Browser origins allowed besides loopback ones, exactly as browsers send
  // them: "https://console.example.com:8443".
  std::vector<std::string> allowed_origins;
  // http(s)://localhost, 127.0.0.1 and [::1] on any port.
  bool allow_loopback_origins = true;
  size_t max_message_bytes = 1u << 20;
  size_t max_sessions = 1024;  // initialize beyond this gets 503
  // A session unused this long is ended when a new one is made, so clients
  // that vanish without DELETE do not fill the table.
  std::chrono::seconds session_idle_timeout{30 * 60};
  const Clock* clock = nullptr;  // SystemClock when null
};

class McpHttpTransport {
 public:
  McpHttpTransport(McpServer& server, HttpTransportOptions options);
  McpHttpTransport(const McpHttpTransport&) = delete;
  McpHttpTransport& operator=(const McpHttpTransport&) = delete;

  // The net::HttpHandler: serve it with
  //   HttpServer::Start(opts, [&](const HttpRequest& r) { return transport.Handle(r); })
  net::HttpResponse Handle(const net::HttpRequest& request);

  size_t session_count() const;

 private:
  net::HttpResponse Post(const net::HttpRequest& request);
  net::HttpResponse Delete(const net::HttpRequest& request);
  bool HostAllowed(std::string_view host) const;
  bool OriginAllowed(std::string_view origin) const;
  // The session with this id, marked as used now; null when unknown.
  std::shared_ptr<McpSession> FindSession(std::string_view id);
  void EndIdleSessionsLocked(MonoTime now);

  struct Entry {
    std::shared_ptr<McpSession> session;
    MonoTime last_used;
  };

  McpServer& server_;
  const HttpTransportOptions options_;
  const Clock& clock_;

  mutable std::mutex mu_;  // guards sessions_
  std::map<std::string, Entry, std::less<>> sessions_;
};

}  // namespace coral::mcp

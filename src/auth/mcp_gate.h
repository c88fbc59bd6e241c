// MCP (Streamable HTTP) behind the front door: every request is
// authenticated first (401 with WWW-Authenticate otherwise); a request that
// does something (tools/call, resources/read, prompts/get) is also
// authorized as "tool:<name>", "resource:read" or "prompt:get" and audited
// once answered, however the answer travels (JSON or a stream). A refused
// call gets a JSON-RPC error (-32003) naming what the caller lacks.
//
// Sessions (the handshake revisions) belong to the caller that made them: the
// session id an initialize answer carries is bound to that caller, and a
// request, stream (GET) or DELETE naming the session with any other
// credential gets the same 404 as a session that does not exist, so a
// session id seen elsewhere opens nothing. The stateless revision has no
// sessions; each of its requests stands on its own credential.
//
// Thread-safety: Handle is called from the HTTP server's threads at once;
// mu_ guards owners_.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "auth/front_door.h"
#include "mcp/http_transport.h"
#include "net/http.h"

namespace coral::auth {

class McpGate {
 public:
  // Sessions remembered at once; past it the oldest binding is forgotten and
  // its session refused (the transport's own limit is lower).
  static constexpr size_t kMaxBoundSessions = 4096;

  McpGate(FrontDoor& door, mcp::McpHttpTransport& transport) : door_(door), transport_(transport) {}

  net::HttpResponse Handle(const net::HttpRequest& request);

 private:
  // Whether `session` was made by `owner` (a caller's kind and id).
  bool Owns(const std::string& owner, std::string_view session);
  void Bind(const std::string& session, const std::string& owner);
  void Forget(std::string_view session);

  FrontDoor& door_;
  mcp::McpHttpTransport& transport_;
  std::mutex mu_;
  std::map<std::string, std::string, std::less<>> owners_;  // session id -> owner
  std::deque<std::string> order_;                           // session ids, oldest first
};

}  // namespace coral::auth

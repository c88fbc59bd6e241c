// MCP (Streamable HTTP) behind the front door: every request is
// authenticated first (401 with WWW-Authenticate otherwise); a request that
// does something (tools/call, resources/read, prompts/get) is also
// authorized as "tool:<name>", "resource:read" or "prompt:get" and audited
// once answered, however the answer travels (JSON or a stream). A refused
// call gets a JSON-RPC error (-32003) naming what the caller lacks.
//
// Thread-safety: Handle is called from the HTTP server's threads at once.
#pragma once

#include "auth/front_door.h"
#include "mcp/http_transport.h"
#include "net/http.h"

namespace coral::auth {

class McpGate {
 public:
  McpGate(FrontDoor& door, mcp::McpHttpTransport& transport) : door_(door), transport_(transport) {}

  net::HttpResponse Handle(const net::HttpRequest& request);

 private:
  FrontDoor& door_;
  mcp::McpHttpTransport& transport_;
};

}  // namespace coral::auth

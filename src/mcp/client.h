// An MCP client over Streamable HTTP: what `coral mcp proxy`, `coral mcp
// list-tools` and `coral ask` use to reach a colony's /mcp endpoint.
//
// Two ways in. Initialize() is the handshake (2025-11-25 and older): each
// message is then one POST with the bearer token, the session id the server
// gave at initialize and the negotiated protocol version, and Close() ends the
// session with DELETE. Connect() asks server/discover first and, when the
// server speaks 2026-07-28, stays stateless: no session, every request of
// Call carries its _meta (protocol version, capabilities, client info) and
// every POST whose body carries a _meta protocol version gets the routing
// headers (MCP-Protocol-Version, Mcp-Method, Mcp-Name, and Mcp-Param-* for
// the tools ListTools saw declare them); with any other server it falls back
// to Initialize().
//
// The answer may be plain JSON or an event stream (SSE); in a stream, every
// message other than the response to our request (progress, log messages,
// requests from the server) goes to the MessageFn given with the call, in
// arrival order, before the response is returned. A stateless result that
// needs input (resultType "input_required") is returned as it is: the caller
// answers and calls again.
//
// Thread-safety: after Initialize() or Connect(), Post/Call/CallTool/ListTools
// may run from several threads at once (coral ask runs a model's parallel
// tool calls that way); Initialize, Connect and Close must not overlap other
// calls.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "mcp/json_rpc.h"

namespace coral::mcp {

struct McpEndpoint {
  std::string url;     // https://host:8443/mcp (http:// only on loopback)
  std::string ca_pem;  // the colony CA to trust; empty for plain http
  std::string token;   // an API token, sent as "Authorization: Bearer"
};

struct McpClientOptions {
  std::chrono::milliseconds timeout{120'000};  // per HTTP request
  std::string client_name = "coral";
  std::string client_version = "0.1.0";
};

// Messages the server sends besides the response we wait for.
using MessageFn = std::function<void(const Json& message)>;

class McpClient {
 public:
  McpClient(McpEndpoint endpoint, McpClientOptions options = {});
  ~McpClient();  // Close()
  McpClient(const McpClient&) = delete;
  McpClient& operator=(const McpClient&) = delete;

  // POSTs one JSON-RPC message as it is (the proxy forwards its client's
  // text). For a request, the response (a result or an error object); for a
  // notification or response, nullopt (the server answers 202). HTTP
  // failures (401, 404 session gone, unreachable) are errors saying why.
  // Records the session id and protocol version an initialize result gives.
  Result<std::optional<Json>> Post(std::string_view message, const MessageFn& on_message = {});

  // initialize + notifications/initialized. The server's initialize result.
  Result<Json> Initialize();
  // server/discover, then stateless (2026-07-28) when the server speaks it;
  // otherwise Initialize(). The discover result, or the initialize one.
  Result<Json> Connect();
  // A request of our own: its result, or an error carrying the JSON-RPC error.
  Result<Json> Call(const std::string& method, Json params, const MessageFn& on_message = {});
  // tools/list, every page.
  Result<std::vector<Json>> ListTools();
  // tools/call: the CallToolResult (content, isError, structuredContent).
  Result<Json> CallTool(const std::string& name, Json arguments, const MessageFn& on_message = {});
  // DELETE of the session, when there is one. Errors are ignored: the
  // session ends with the server's idle timeout anyway.
  void Close();

  std::string session_id() const;  // empty when stateless
  std::string protocol_version() const;
  bool stateless() const;

 private:
  McpEndpoint endpoint_;
  McpClientOptions options_;
  std::atomic<int64_t> next_id_{0};
  mutable std::mutex mu_;  // guards everything below
  std::string session_, version_;
  bool stateless_ = false;
  // tool -> argument -> header name, from the x-mcp-header of each input
  // schema property that ListTools saw.
  std::map<std::string, std::map<std::string, std::string>> param_headers_;
};

// Splits a Streamable HTTP response body into the JSON-RPC messages it
// carries: one JSON document for application/json, the data of every event
// for text/event-stream. Exposed for tests.
Result<std::vector<Json>> MessagesFromBody(std::string_view content_type, std::string_view body);

// The text of a CallToolResult: its text content items joined by newlines
// (other item types are named, not shown).
std::string ToolResultText(const Json& result);

}  // namespace coral::mcp

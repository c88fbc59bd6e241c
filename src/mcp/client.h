// An MCP client over Streamable HTTP: what `coral mcp proxy`, `coral mcp
// list-tools` and `coral ask` use to reach a colony's /mcp endpoint.
//
// Each message is one POST with the bearer token, the session id the server
// gave at initialize and the negotiated protocol version. The answer may be
// plain JSON or an event stream (SSE); in a stream, every message other than
// the response to our request (progress, log messages, requests from the
// server) goes to the MessageFn given with the call, in arrival order, before
// the response is returned. Close() ends the session with DELETE.
//
// Thread-safety: after Initialize(), Post/Call/CallTool may run from several
// threads at once (coral ask runs a model's parallel tool calls that way);
// Initialize and Close must not overlap other calls.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
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
  // A request of our own: its result, or an error carrying the JSON-RPC error.
  Result<Json> Call(const std::string& method, Json params, const MessageFn& on_message = {});
  // tools/list, every page.
  Result<std::vector<Json>> ListTools();
  // tools/call: the CallToolResult (content, isError, structuredContent).
  Result<Json> CallTool(const std::string& name, Json arguments, const MessageFn& on_message = {});
  // DELETE of the session, when there is one. Errors are ignored: the
  // session ends with the server's idle timeout anyway.
  void Close();

  std::string session_id() const;
  std::string protocol_version() const;

 private:
  McpEndpoint endpoint_;
  McpClientOptions options_;
  std::atomic<int64_t> next_id_{0};
  mutable std::mutex mu_;  // guards session_, version_
  std::string session_, version_;
};

// Splits a Streamable HTTP response body into the JSON-RPC messages it
// carries: one JSON document for application/json, the data of every event
// for text/event-stream. Exposed for tests.
Result<std::vector<Json>> MessagesFromBody(std::string_view content_type, std::string_view body);

// The text of a CallToolResult: its text content items joined by newlines
// (other item types are named, not shown).
std::string ToolResultText(const Json& result);

}  // namespace coral::mcp

// The MCP server core, independent of transport: tools, resources and prompts
// registered once on an McpServer, served to many clients, each through its
// own McpSession (negotiated protocol version, initialized flag, log level,
// requests in flight). Transports (stdio_transport.h, http_transport.h) parse
// bytes into messages, hand them to a session and write back what it returns;
// a session sends what it originates (progress, log messages) through the
// MessageSink its transport gave it.
//
// Protocol versions: 2025-11-25 (latest), 2025-06-18, 2025-03-26. A client
// asking for another gets the latest, as the lifecycle section requires.
//
// Thread-safety: register everything before the first session is created;
// after that McpServer is read-only and shared. McpSession::Handle may be
// called from several threads at once (a notifications/cancelled arrives while
// a tool runs); handlers run on the calling thread and must be thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "mcp/json_rpc.h"

namespace coral::mcp {

inline constexpr std::string_view kLatestProtocolVersion = "2025-11-25";
// Newest first.
inline constexpr std::string_view kSupportedProtocolVersions[] = {"2025-11-25", "2025-06-18",
                                                                  "2025-03-26"};
bool IsSupportedProtocolVersion(std::string_view version);

// RFC 5424 severities, the order MCP's logging uses.
enum class LogLevel { kDebug, kInfo, kNotice, kWarning, kError, kCritical, kAlert, kEmergency };
std::optional<LogLevel> ParseLogLevel(std::string_view name);
std::string_view LogLevelName(LogLevel level);

// Where a session sends the messages it originates. Called from handler
// threads; the transport serializes writes.
using MessageSink = std::function<void(const Message&)>;

class McpSession;

// What a transport gives one request besides the message: where the messages
// the handler originates go (the request's own SSE stream on HTTP), and how
// the handler can end that stream early so the client polls for the rest
// (SSE polling, SEP-1699). Unset members fall back to the session's sink and
// to "cannot".
struct RequestHooks {
  MessageSink sink;
  std::function<void()> close_stream;
};

// What a handler learns about the request it serves, and how it talks back.
class RequestContext {
 public:
  RequestContext(McpSession* session, std::shared_ptr<const std::atomic<bool>> cancelled,
                 std::optional<Json> progress_token, RequestHooks hooks);

  // True once the client sent notifications/cancelled for this request. A
  // long handler checks it between steps and returns early; its answer is then
  // dropped, as the spec asks.
  bool cancelled() const { return cancelled_->load(); }

  // Sends notifications/progress when the request carried
  // _meta.progressToken; otherwise does nothing. Progress must increase: a
  // value not above the last one is dropped.
  void ReportProgress(double progress, std::optional<double> total = std::nullopt,
                      std::string_view message = "");
  bool has_progress_token() const { return progress_token_.has_value(); }

  // Sends notifications/message when the session's level lets `level` through.
  void Log(LogLevel level, std::string_view logger, Json data);

  // Whether the client declared this capability at initialize ("sampling",
  // "elicitation", "roots").
  bool ClientSupports(std::string_view capability) const;

  // Sends a request to the client (sampling/createMessage, elicitation/create)
  // on this request's stream and waits for its answer: the result, or
  // FailedPrecondition naming the client's error, DeadlineExceeded, or
  // Unavailable when this request is cancelled or the session ends meanwhile.
  Result<Json> RequestClient(const std::string& method, Json params,
                             std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // Ends the transport's stream for this request now; what the handler sends
  // afterwards, its answer included, waits for the client to reconnect. False
  // when the transport cannot (stdio, or a plain JSON answer).
  bool CloseStream();

 private:
  McpSession* session_;
  std::shared_ptr<const std::atomic<bool>> cancelled_;
  std::optional<Json> progress_token_;
  RequestHooks hooks_;
  std::optional<double> last_progress_;
};

// --- Tools -----------------------------------------------------------------

// Hints for the client; MCP says they are untrusted unless the server is.
struct ToolAnnotations {
  std::optional<bool> read_only_hint;
  std::optional<bool> destructive_hint;
  std::optional<bool> idempotent_hint;
  std::optional<bool> open_world_hint;
};

// A tools/call result. A failure the model should read and act on (a service
// not found, a query that timed out) is a result with is_error, not a
// protocol error.
struct ToolResult {
  Json content = Json::array();  // content blocks: {"type":"text","text":...}, images, ...
  std::optional<Json> structured_content;  // an object, matching the tool's outputSchema
  bool is_error = false;

  static ToolResult Text(std::string text);
  static ToolResult Error(std::string message);
  // structuredContent, plus its JSON text as a text block for older clients.
  static ToolResult Structured(Json object);
};

// A failed Status becomes an is_error result carrying its message.
using ToolHandler = std::function<Result<ToolResult>(const Json& arguments, RequestContext&)>;

struct Tool {
  std::string name;  // 1-128 of [A-Za-z0-9_.-]
  std::string title;
  std::string description;
  Json input_schema = Json{{"type", "object"}};  // a JSON Schema object
  std::optional<Json> output_schema;
  ToolAnnotations annotations;
  ToolHandler handler;
};

// --- Resources -------------------------------------------------------------

struct ResourceContents {
  std::string uri;        // filled in from the request when empty
  std::string mime_type;  // filled in from the resource when empty
  std::optional<std::string> text;
  std::optional<std::string> blob_base64;  // binary contents, base64
};

// NotFound becomes -32002 (resource not found); other failures -32603.
using ResourceReader =
    std::function<Result<std::vector<ResourceContents>>(const std::string& uri, RequestContext&)>;

struct Resource {
  std::string uri;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
  ResourceReader reader;
};

// Suggestions for an argument's value (completion/complete): given the
// argument, what the user typed so far, and the other arguments already
// filled in, the matching values, best first.
using Completer =
    std::function<std::vector<std::string>(const std::string& argument, const std::string& value,
                                           const std::map<std::string, std::string>& context)>;

// Resources named by an RFC 6570 level-1 template ("test://items/{id}/data"):
// each {name} matches one or more characters other than '/'. The reader gets
// the uri and the values taken from it.
using TemplateReader = std::function<Result<std::vector<ResourceContents>>(
    const std::string& uri, const std::map<std::string, std::string>& variables, RequestContext&)>;

struct ResourceTemplate {
  std::string uri_template;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
  TemplateReader reader;
  Completer completer;  // optional: suggests values for the template's variables
};

// --- Prompts ---------------------------------------------------------------

struct PromptArgument {
  std::string name;
  std::string description;
  bool required = false;
};

struct PromptMessage {
  std::string role;  // "user" | "assistant"
  Json content;      // one content block

  static PromptMessage UserText(std::string text);
};

struct PromptResult {
  std::string description;
  std::vector<PromptMessage> messages;
};

// InvalidArgument becomes -32602; other failures -32603.
using PromptGetter = std::function<Result<PromptResult>(
    const std::map<std::string, std::string>& arguments, RequestContext&)>;

struct Prompt {
  std::string name;
  std::string title;
  std::string description;
  std::vector<PromptArgument> arguments;
  PromptGetter getter;
  Completer completer;  // optional: suggests argument values
};

// --- Server and sessions ---------------------------------------------------

struct McpServerOptions {
  std::string name = "coral";
  std::string title;
  std::string version = "0.1.0";
  std::string instructions;  // sent in the initialize result when not empty
  size_t page_size = 100;    // items per tools/list, resources/list, prompts/list page
};

class McpServer {
 public:
  explicit McpServer(McpServerOptions options);
  McpServer(const McpServer&) = delete;
  McpServer& operator=(const McpServer&) = delete;

  // Registration crashes on a duplicate name or uri, or an invalid tool name:
  // those are programming errors.
  void AddTool(Tool tool);
  void AddResource(Resource resource);
  void AddResourceTemplate(ResourceTemplate resource_template);
  void AddPrompt(Prompt prompt);

  // A new client. The server must outlive its sessions. `sink` carries what
  // the session sends outside any request (resource updates).
  std::unique_ptr<McpSession> NewSession(MessageSink sink);

  // Tells every session subscribed to `uri` that it changed
  // (notifications/resources/updated). Thread-safe.
  void NotifyResourceUpdated(const std::string& uri) const;

  const McpServerOptions& options() const { return options_; }

 private:
  friend class McpSession;
  McpServerOptions options_;
  std::vector<Tool> tools_;  // in registration order, which is list order
  std::map<std::string, size_t, std::less<>> tool_index_;
  std::vector<Resource> resources_;
  std::map<std::string, size_t, std::less<>> resource_index_;
  std::vector<ResourceTemplate> templates_;
  std::vector<Prompt> prompts_;
  std::map<std::string, size_t, std::less<>> prompt_index_;

  mutable std::mutex sessions_mu_;          // guards sessions_
  mutable std::set<McpSession*> sessions_;  // live sessions, for NotifyResourceUpdated
};

class McpSession {
 public:
  McpSession(const McpServer& server, MessageSink sink);
  ~McpSession();
  McpSession(const McpSession&) = delete;
  McpSession& operator=(const McpSession&) = delete;

  // Handles one message from the client. Returns the response to a request;
  // nothing for notifications, for responses (they answer this session's own
  // requests), and for requests the client cancelled while they ran.
  std::optional<Message> Handle(const Message& message, RequestHooks hooks = {});
  // Parses one JSON-RPC text and handles it; a malformed text gets its error
  // response.
  std::optional<Message> HandleText(std::string_view text);

  // Empty until initialize succeeds.
  std::string protocol_version() const;
  // initialize answered (requests are allowed from then on).
  bool initialized() const;
  // notifications/initialized received.
  bool client_ready() const;
  LogLevel log_level() const;
  bool subscribed(const std::string& uri) const;

  // Fails every request this session is waiting on from the client, so
  // handlers blocked in RequestClient return (the transport is going away).
  void AbandonClientRequests();

 private:
  friend class RequestContext;
  friend class McpServer;

  // A request of ours to the client, waiting for its answer.
  struct PendingClientRequest {
    std::mutex mu;  // guards answer
    std::condition_variable cv;
    std::optional<std::variant<Json, RpcError>> answer;
  };

  Result<Json> RequestClient(const MessageSink& sink, const std::string& method, Json params,
                             std::chrono::milliseconds timeout, const std::atomic<bool>& cancelled);
  void HandleClientAnswer(const Message& message);
  bool ClientSupports(std::string_view capability) const;
  void SendIfSubscribed(const std::string& uri);
  using Outcome = std::variant<Json, RpcError>;  // a result, or an error

  Outcome Dispatch(const Request& request, RequestContext& context);
  void HandleNotification(const Notification& notification);

  Outcome Initialize(const Json& params);
  Outcome ListTools(const Json& params) const;
  Outcome CallTool(const Json& params, RequestContext& context) const;
  Outcome ListResources(const Json& params) const;
  Outcome ReadResource(const Json& params, RequestContext& context) const;
  Outcome ListResourceTemplates(const Json& params) const;
  Outcome Subscribe(const Json& params, bool subscribe);
  Outcome Complete(const Json& params) const;
  Outcome ListPrompts(const Json& params) const;
  Outcome GetPrompt(const Json& params, RequestContext& context) const;
  Outcome SetLogLevel(const Json& params);

  const McpServer& server_;
  MessageSink sink_;

  mutable std::mutex mu_;  // guards everything below
  std::string protocol_version_;
  bool initialized_ = false;
  bool client_ready_ = false;
  LogLevel log_level_ = LogLevel::kInfo;
  // Requests being handled, by IdKey, with the flag their handler watches.
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> in_flight_;
  Json client_capabilities_ = Json::object();
  std::set<std::string> subscriptions_;  // resource uris
  // Our requests to the client, by IdKey of the id we gave them.
  std::map<std::string, std::shared_ptr<PendingClientRequest>> client_requests_;
  uint64_t next_client_request_ = 1;
  bool abandoned_ = false;
};

}  // namespace coral::mcp

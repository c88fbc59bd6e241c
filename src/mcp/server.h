// The MCP server core, independent of transport: tools, resources and prompts
// registered once on an McpServer, served to many clients. Transports
// (stdio_transport.h, http_transport.h) parse bytes into messages, hand them
// to an McpSession and write back what it returns; a session sends what it
// originates (progress, log messages) through the MessageSink its transport
// gave it.
//
// Two eras of the protocol, served side by side, chosen per request:
//   - Handshake (2025-11-25, 2025-06-18, 2025-03-26): a client opens a session
//     with initialize, which negotiates the version and records its
//     capabilities; the session keeps its log level, subscriptions and
//     requests in flight. A client asking initialize for another version gets
//     2025-11-25, as the lifecycle section requires.
//   - Stateless (2026-07-28): no initialize and no session. Every request
//     carries params._meta with io.modelcontextprotocol/protocolVersion and
//     .../clientCapabilities (.../clientInfo and .../logLevel optional), so
//     any server instance can answer any request. server/discover tells the
//     versions, capabilities and server info; results carry resultType (and
//     ttlMs/cacheScope on lists, resources/read and discover) and name the
//     server in _meta; initialize, ping, logging/setLevel and
//     resources/subscribe are method-not-found; subscriptions/listen replaces
//     the session's resource subscriptions. A handler that needs the client
//     (elicitation, sampling, roots) returns InputRequired instead of sending
//     a request: the client answers and calls again with inputResponses and
//     the requestState (multi round-trip requests, SEP-2322). For a handshake
//     client the server sends those requests itself and calls the handler
//     again, so one handler serves both eras.
// A request is stateless when its transport says so (HTTP: by the
// MCP-Protocol-Version header) or when its params._meta carries one of the
// io.modelcontextprotocol request keys, or its method exists only there
// (server/discover, subscriptions/listen): stdio.
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

// The newest version initialize negotiates, and what it offers instead of one
// it does not know.
inline constexpr std::string_view kLatestProtocolVersion = "2025-11-25";
// Versions served after an initialize handshake, newest first.
inline constexpr std::string_view kSupportedProtocolVersions[] = {"2025-11-25", "2025-06-18",
                                                                  "2025-03-26"};
// Versions served statelessly (per-request _meta), newest first.
inline constexpr std::string_view kStatelessProtocolVersions[] = {"2026-07-28"};
bool IsSupportedProtocolVersion(std::string_view version);  // a handshake version
bool IsStatelessProtocolVersion(std::string_view version);
// Every version, newest first: what server/discover and an
// UnsupportedProtocolVersionError list.
Json AllProtocolVersions();

// The _meta keys of a stateless request and result.
namespace meta_key {
inline constexpr char kProtocolVersion[] = "io.modelcontextprotocol/protocolVersion";
inline constexpr char kClientCapabilities[] = "io.modelcontextprotocol/clientCapabilities";
inline constexpr char kClientInfo[] = "io.modelcontextprotocol/clientInfo";
inline constexpr char kLogLevel[] = "io.modelcontextprotocol/logLevel";
inline constexpr char kServerInfo[] = "io.modelcontextprotocol/serverInfo";
inline constexpr char kSubscriptionId[] = "io.modelcontextprotocol/subscriptionId";
}  // namespace meta_key

// RFC 5424 severities, the order MCP's logging uses.
enum class LogLevel { kDebug, kInfo, kNotice, kWarning, kError, kCritical, kAlert, kEmergency };
std::optional<LogLevel> ParseLogLevel(std::string_view name);
std::string_view LogLevelName(LogLevel level);

// Where a session sends the messages it originates. Called from handler
// threads; the transport serializes writes.
using MessageSink = std::function<void(const Message&)>;

class McpSession;

// Which era a transport has already decided a request belongs to.
enum class Era {
  kFromMessage,  // decide from the message (stdio)
  kStateless,    // HTTP: the MCP-Protocol-Version header names a stateless version
};

// What a transport gives one request besides the message: where the messages
// the handler originates go (the request's own SSE stream on HTTP), how the
// handler can end that stream early so the client polls for the rest (SSE
// polling, SEP-1699), and the era. Unset members fall back to the session's
// sink and to "cannot".
struct RequestHooks {
  MessageSink sink;
  std::function<void()> close_stream;
  Era era = Era::kFromMessage;
};

// A request a handler needs the client to answer before it can finish:
// elicitation/create, sampling/createMessage or roots/list, with its params.
struct InputRequest {
  std::string method;
  Json params = Json::object();
};

// What a handler returns instead of its result while it waits for the client
// (multi round-trip requests, SEP-2322). The client's answers come back under
// the keys of `requests` (RequestContext::InputResponse), with `state`
// (RequestContext::request_state). The client can read the state but not
// change it: the server signs it and refuses it altered.
struct InputRequired {
  std::map<std::string, InputRequest> requests;
  std::string state;
};

// What a stateless request says about its client, from params._meta.
struct StatelessMeta {
  std::string protocol_version;
  Json client_capabilities = Json::object();
  std::optional<LogLevel> log_level;  // none: no log messages for this request
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

  // Sends notifications/message when the level lets `level` through: the
  // session's (logging/setLevel), or for a stateless request the one its
  // _meta asked for, and nothing when it asked for none.
  void Log(LogLevel level, std::string_view logger, Json data);

  // Whether the client declared this capability ("sampling", "elicitation",
  // "roots"): at initialize, or in this stateless request's _meta.
  bool ClientSupports(std::string_view capability) const;

  // Sends a request to the client (sampling/createMessage, elicitation/create)
  // on this request's stream and waits for its answer: the result, or
  // FailedPrecondition naming the client's error, DeadlineExceeded, or
  // Unavailable when this request is cancelled or the session ends meanwhile.
  // A stateless request cannot (FailedPrecondition): return
  // ToolResult::NeedInput instead, which works in both eras.
  Result<Json> RequestClient(const std::string& method, Json params,
                             std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // The client's answer to the InputRequest under `key` of the previous
  // round, or null (first round, or the client left it out).
  const Json* InputResponse(std::string_view key) const;
  // The InputRequired::state of the previous round, checked; "" at first.
  const std::string& request_state() const { return request_state_; }

  // True when the request came without a session (2026-07-28).
  bool stateless() const { return stateless_meta_.has_value(); }
  // The request's protocol version: its own, or its session's.
  std::string protocol_version() const;

  // Ends the transport's stream for this request now; what the handler sends
  // afterwards, its answer included, waits for the client to reconnect. False
  // when the transport cannot (stdio, or a plain JSON answer).
  bool CloseStream();

 private:
  friend class McpSession;

  McpSession* session_;
  std::shared_ptr<const std::atomic<bool>> cancelled_;
  std::optional<Json> progress_token_;
  RequestHooks hooks_;
  std::optional<double> last_progress_;
  std::optional<StatelessMeta> stateless_meta_;
  Json input_responses_ = Json::object();
  std::string request_state_;
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
  std::optional<InputRequired> input_required;

  static ToolResult Text(std::string text);
  static ToolResult Error(std::string message);
  // structuredContent, plus its JSON text as a text block for older clients.
  static ToolResult Structured(Json object);
  static ToolResult NeedInput(InputRequired input);
};

// A failed Status becomes an is_error result carrying its message. A result
// made with NeedInput asks the client first (see InputRequired).
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

// NotFound becomes -32002 (resource not found), or -32602 for a 2026-07-28
// request (SEP-2164), with the uri in the error's data; other failures -32603.
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
  std::optional<InputRequired> input_required;  // ask the client first (see InputRequired)

  static PromptResult NeedInput(InputRequired input);
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
  std::string instructions;  // sent in the initialize and discover results when not empty
  size_t page_size = 100;    // items per tools/list, resources/list, prompts/list page
  // The key that signs InputRequired::state (HMAC-SHA256). Servers behind one
  // load balancer must share it, so any of them accepts the state another
  // issued; empty: a random key of this process's own.
  std::string request_state_key;
};

class McpServer {
 public:
  explicit McpServer(McpServerOptions options);
  ~McpServer();  // wipes the request state key
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
  // The tool with this name, or null (for transports that check a tools/call
  // against the tool's schema, as HTTP does with Mcp-Param headers).
  const Tool* FindTool(std::string_view name) const;

 private:
  friend class McpSession;
  // The client-held form of a handler's state: the state and its HMAC over
  // the method, the tool or prompt name and the state.
  std::string SignState(std::string_view method, std::string_view name,
                        std::string_view state) const;
  // The state back, or nothing when it was altered or signed by another key.
  std::optional<std::string> VerifyState(std::string_view method, std::string_view name,
                                         std::string_view signed_state) const;

  McpServerOptions options_;
  std::vector<Tool> tools_;  // in registration order, which is list order
  std::map<std::string, size_t, std::less<>> tool_index_;
  std::vector<Resource> resources_;
  std::map<std::string, size_t, std::less<>> resource_index_;
  std::vector<ResourceTemplate> templates_;
  std::vector<Prompt> prompts_;
  std::map<std::string, size_t, std::less<>> prompt_index_;

  std::string state_key_;  // signs InputRequired::state

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
  // requests), and for requests the client cancelled while they ran. A
  // stateless request needs no initialize and changes nothing the session
  // keeps between requests; a session serves requests of both eras.
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
  // handlers blocked in RequestClient return, and ends subscriptions/listen
  // streams (the transport is going away).
  void AbandonClientRequests();
  // Marks every request in progress as cancelled: the client went away
  // (HTTP's answer to a stateless request is its connection).
  void CancelAll();

 private:
  friend class RequestContext;
  friend class McpServer;

  // A request of ours to the client, waiting for its answer.
  struct PendingClientRequest {
    std::mutex mu;  // guards answer
    std::condition_variable cv;
    std::optional<std::variant<Json, RpcError>> answer;
  };

  // An open subscriptions/listen stream: where its notifications go.
  struct Listener {
    Json subscription_id;  // the listen request's id
    std::set<std::string> uris;
    MessageSink sink;
  };

  Result<Json> RequestClient(const MessageSink& sink, const std::string& method, Json params,
                             std::chrono::milliseconds timeout, const std::atomic<bool>& cancelled);
  void HandleClientAnswer(const Message& message);
  bool ClientSupports(std::string_view capability) const;
  void SendIfSubscribed(const std::string& uri);
  using Outcome = std::variant<Json, RpcError>;  // a result, or an error

  Outcome Dispatch(const Request& request, RequestContext& context);
  Outcome DispatchStateless(const Request& request, RequestContext& context);
  void HandleNotification(const Notification& notification);

  // Handshake era only.
  Outcome Initialize(const Json& params);
  Outcome Subscribe(const Json& params, bool subscribe);
  Outcome SetLogLevel(const Json& params);
  // Stateless era only.
  Outcome Discover() const;
  Outcome Listen(const Request& request, const Json& params, RequestContext& context);
  // Reads params.inputResponses and params.requestState into the context.
  std::optional<RpcError> ReadInputs(const std::string& method, const Json& params,
                                     RequestContext& context) const;
  // Both eras.
  Outcome ListTools(const Json& params) const;
  Outcome CallTool(const Json& params, RequestContext& context);
  Outcome ListResources(const Json& params) const;
  Outcome ReadResource(const Json& params, RequestContext& context) const;
  Outcome ListResourceTemplates(const Json& params) const;
  Outcome Complete(const Json& params) const;
  Outcome ListPrompts(const Json& params) const;
  Outcome GetPrompt(const Json& params, RequestContext& context);

  // What a handler's InputRequired becomes. Stateless: the InputRequiredResult
  // (Json) or MissingRequiredClientCapabilityError. Handshake: nothing
  // (monostate) once the client answered every request, the answers in the
  // context for the handler's next round; or why it could not (string).
  using InputOutcome = std::variant<std::monostate, Json, RpcError, std::string>;
  InputOutcome AskForInput(const std::string& method, const std::string& name,
                           const InputRequired& input, RequestContext& context);

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
  // Open subscriptions/listen streams, by IdKey of their request.
  std::map<std::string, Listener> listeners_;
  // Woken when a request is cancelled or the session abandoned, for Listen.
  std::condition_variable cancel_cv_;
  // Our requests to the client, by IdKey of the id we gave them.
  std::map<std::string, std::shared_ptr<PendingClientRequest>> client_requests_;
  uint64_t next_client_request_ = 1;
  bool abandoned_ = false;
};

}  // namespace coral::mcp

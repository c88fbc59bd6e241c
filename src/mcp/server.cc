#include "mcp/server.h"

#include <cmath>
#include <exception>
#include <utility>

#include "base/log.h"

namespace coral::mcp {
namespace {

constexpr std::string_view kLogLevelNames[] = {"debug", "info",     "notice", "warning",
                                               "error", "critical", "alert",  "emergency"};

RpcError InvalidParams(std::string message) {
  return {.code = error_code::kInvalidParams, .message = std::move(message)};
}

RpcError InternalError(std::string message) {
  return {.code = error_code::kInternalError, .message = std::move(message)};
}

bool ValidToolName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string_view JsonTypeName(const Json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

bool MatchesType(const Json& v, std::string_view type) {
  if (type == "string") return v.is_string();
  if (type == "number") return v.is_number();
  if (type == "integer") {
    if (v.is_number_integer()) return true;
    if (!v.is_number_float()) return false;
    double d = v.get<double>();
    return std::isfinite(d) && std::floor(d) == d;
  }
  if (type == "boolean") return v.is_boolean();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "null") return v.is_null();
  return true;  // a type this check does not know: leave it to the handler
}

// Checks a value against a schema's "type" (a name or a list of names) and
// "enum". Returns what is wrong, naming the argument, or nothing.
std::optional<std::string> CheckValue(const std::string& name, const Json& value,
                                      const Json& schema) {
  if (!schema.is_object()) return std::nullopt;
  if (auto type = schema.find("type"); type != schema.end()) {
    bool ok = false;
    std::string wanted;
    if (type->is_string()) {
      ok = MatchesType(value, type->get<std::string>());
      wanted = type->get<std::string>();
    } else if (type->is_array()) {
      for (const Json& t : *type) {
        if (!t.is_string()) continue;
        ok = ok || MatchesType(value, t.get<std::string>());
        wanted += (wanted.empty() ? "" : " or ") + t.get<std::string>();
      }
    } else {
      ok = true;
    }
    if (!ok) {
      return "argument '" + name + "' must be " + wanted + ", got " +
             std::string(JsonTypeName(value));
    }
  }
  if (auto allowed = schema.find("enum"); allowed != schema.end() && allowed->is_array()) {
    bool found = false;
    for (const Json& a : *allowed) found = found || a == value;
    if (!found) return "argument '" + name + "' must be one of " + Serialize(*allowed);
  }
  return std::nullopt;
}

// The tools/call argument check: top-level type, required, properties' types
// and enums, additionalProperties: false. Nested schemas are the handler's job.
std::optional<std::string> CheckArguments(const Json& schema, const Json& args) {
  if (!schema.is_object()) return std::nullopt;
  if (auto required = schema.find("required"); required != schema.end() && required->is_array()) {
    for (const Json& r : *required) {
      if (r.is_string() && !args.contains(r.get<std::string>())) {
        return "missing required argument '" + r.get<std::string>() + "'";
      }
    }
  }
  const Json* properties = nullptr;
  if (auto p = schema.find("properties"); p != schema.end() && p->is_object()) properties = &*p;
  bool closed = schema.value("additionalProperties", Json(true)) == Json(false);
  for (const auto& [key, value] : args.items()) {
    if (properties && properties->contains(key)) {
      if (auto problem = CheckValue(key, value, (*properties)[key])) return problem;
    } else if (closed) {
      return "unknown argument '" + key + "'";
    }
  }
  return std::nullopt;
}

// Cursors are opaque to clients; inside they are an offset into the list.
std::string EncodeCursor(size_t offset) { return "o:" + std::to_string(offset); }

std::optional<size_t> DecodeCursor(const Json& cursor, size_t total) {
  if (!cursor.is_string()) return std::nullopt;
  const std::string& s = cursor.get_ref<const std::string&>();
  if (s.size() < 3 || s.size() > 22 || s.compare(0, 2, "o:") != 0) return std::nullopt;
  size_t offset = 0;
  for (size_t i = 2; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    offset = offset * 10 + static_cast<size_t>(s[i] - '0');
  }
  if (offset == 0 || offset >= total) return std::nullopt;
  return offset;
}

template <typename T, typename ToJsonFn>
std::variant<Json, RpcError> Paginate(const std::vector<T>& items, const Json& params,
                                      size_t page_size, const char* key, ToJsonFn to_json) {
  size_t offset = 0;
  if (auto c = params.find("cursor"); c != params.end() && !c->is_null()) {
    auto decoded = DecodeCursor(*c, items.size());
    if (!decoded) {
      return InvalidParams("invalid cursor: pass back the nextCursor of the previous page");
    }
    offset = *decoded;
  }
  Json page = Json::array();
  size_t end = std::min(items.size(), offset + page_size);
  for (size_t i = offset; i < end; ++i) page.push_back(to_json(items[i]));
  Json result = {{key, std::move(page)}};
  if (end < items.size()) result["nextCursor"] = EncodeCursor(end);
  return result;
}

void SetIfNotEmpty(Json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

Json ToolToJson(const Tool& t) {
  Json j = {{"name", t.name}, {"inputSchema", t.input_schema}};
  SetIfNotEmpty(j, "title", t.title);
  SetIfNotEmpty(j, "description", t.description);
  if (t.output_schema) j["outputSchema"] = *t.output_schema;
  Json a = Json::object();
  if (t.annotations.read_only_hint) a["readOnlyHint"] = *t.annotations.read_only_hint;
  if (t.annotations.destructive_hint) a["destructiveHint"] = *t.annotations.destructive_hint;
  if (t.annotations.idempotent_hint) a["idempotentHint"] = *t.annotations.idempotent_hint;
  if (t.annotations.open_world_hint) a["openWorldHint"] = *t.annotations.open_world_hint;
  if (!a.empty()) j["annotations"] = std::move(a);
  return j;
}

Json ResourceToJson(const Resource& r) {
  Json j = {{"uri", r.uri}, {"name", r.name}};
  SetIfNotEmpty(j, "title", r.title);
  SetIfNotEmpty(j, "description", r.description);
  SetIfNotEmpty(j, "mimeType", r.mime_type);
  return j;
}

Json PromptToJson(const Prompt& p) {
  Json j = {{"name", p.name}};
  SetIfNotEmpty(j, "title", p.title);
  SetIfNotEmpty(j, "description", p.description);
  if (!p.arguments.empty()) {
    Json args = Json::array();
    for (const PromptArgument& a : p.arguments) {
      Json aj = {{"name", a.name}, {"required", a.required}};
      SetIfNotEmpty(aj, "description", a.description);
      args.push_back(std::move(aj));
    }
    j["arguments"] = std::move(args);
  }
  return j;
}

Json ToolResultToJson(const ToolResult& r) {
  Json j = {{"content", r.content}};
  if (r.structured_content) j["structuredContent"] = *r.structured_content;
  if (r.is_error) j["isError"] = true;
  return j;
}

// Matches a uri against an RFC 6570 level-1 template; the variables' values,
// or nothing. A variable takes one or more characters up to the next '/' or
// the template's next literal, whichever comes first.
std::optional<std::map<std::string, std::string>> MatchTemplate(std::string_view tmpl,
                                                                std::string_view uri) {
  std::map<std::string, std::string> vars;
  size_t t = 0, u = 0;
  while (t < tmpl.size()) {
    if (tmpl[t] != '{') {
      if (u >= uri.size() || uri[u] != tmpl[t]) return std::nullopt;
      ++t, ++u;
      continue;
    }
    size_t close = tmpl.find('}', t);
    if (close == std::string_view::npos) return std::nullopt;
    std::string name(tmpl.substr(t + 1, close - t - 1));
    t = close + 1;
    char stop = t < tmpl.size() ? tmpl[t] : '\0';
    size_t end = u;
    while (end < uri.size() && uri[end] != '/' && uri[end] != stop) ++end;
    if (end == u) return std::nullopt;
    vars[name] = std::string(uri.substr(u, end - u));
    u = end;
  }
  if (u != uri.size()) return std::nullopt;
  return vars;
}

Json TemplateToJson(const ResourceTemplate& r) {
  Json j = {{"uriTemplate", r.uri_template}, {"name", r.name}};
  SetIfNotEmpty(j, "title", r.title);
  SetIfNotEmpty(j, "description", r.description);
  SetIfNotEmpty(j, "mimeType", r.mime_type);
  return j;
}

Json ContentsToJson(const std::vector<ResourceContents>& contents, const std::string& uri,
                    const std::string& default_mime) {
  Json list = Json::array();
  for (const ResourceContents& c : contents) {
    Json j = {{"uri", c.uri.empty() ? uri : c.uri}};
    SetIfNotEmpty(j, "mimeType", c.mime_type.empty() ? default_mime : c.mime_type);
    if (c.blob_base64) {
      j["blob"] = *c.blob_base64;
    } else {
      j["text"] = c.text.value_or("");
    }
    list.push_back(std::move(j));
  }
  return Json{{"contents", std::move(list)}};
}

}  // namespace

bool IsSupportedProtocolVersion(std::string_view version) {
  for (std::string_view v : kSupportedProtocolVersions) {
    if (v == version) return true;
  }
  return false;
}

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  for (size_t i = 0; i < std::size(kLogLevelNames); ++i) {
    if (kLogLevelNames[i] == name) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

std::string_view LogLevelName(LogLevel level) { return kLogLevelNames[static_cast<size_t>(level)]; }

// --- RequestContext ----------------------------------------------------------

RequestContext::RequestContext(McpSession* session,
                               std::shared_ptr<const std::atomic<bool>> cancelled,
                               std::optional<Json> progress_token, RequestHooks hooks)
    : session_(session),
      cancelled_(std::move(cancelled)),
      progress_token_(std::move(progress_token)),
      hooks_(std::move(hooks)) {}

void RequestContext::ReportProgress(double progress, std::optional<double> total,
                                    std::string_view message) {
  if (!progress_token_ || !hooks_.sink) return;
  if (last_progress_ && progress <= *last_progress_) return;
  last_progress_ = progress;
  Json params = {{"progressToken", *progress_token_}, {"progress", progress}};
  if (total) params["total"] = *total;
  if (!message.empty()) params["message"] = std::string(message);
  hooks_.sink(Notification{.method = "notifications/progress", .params = std::move(params)});
}

void RequestContext::Log(LogLevel level, std::string_view logger, Json data) {
  if (!hooks_.sink || level < session_->log_level()) return;
  Json params = {{"level", LogLevelName(level)}, {"data", std::move(data)}};
  if (!logger.empty()) params["logger"] = std::string(logger);
  hooks_.sink(Notification{.method = "notifications/message", .params = std::move(params)});
}

bool RequestContext::ClientSupports(std::string_view capability) const {
  return session_->ClientSupports(capability);
}

Result<Json> RequestContext::RequestClient(const std::string& method, Json params,
                                           std::chrono::milliseconds timeout) {
  if (!hooks_.sink) {
    return FailedPrecondition(method +
                              ": this transport has no way to send requests to the client");
  }
  return session_->RequestClient(hooks_.sink, method, std::move(params), timeout, *cancelled_);
}

bool RequestContext::CloseStream() {
  if (!hooks_.close_stream) return false;
  hooks_.close_stream();
  return true;
}

// --- Results -----------------------------------------------------------------

ToolResult ToolResult::Text(std::string text) {
  return {.content = Json::array({{{"type", "text"}, {"text", std::move(text)}}})};
}

ToolResult ToolResult::Error(std::string message) {
  ToolResult r = Text(std::move(message));
  r.is_error = true;
  return r;
}

ToolResult ToolResult::Structured(Json object) {
  CORAL_CHECK(object.is_object(), "structuredContent must be a JSON object");
  ToolResult r = Text(Serialize(object));
  r.structured_content = std::move(object);
  return r;
}

PromptMessage PromptMessage::UserText(std::string text) {
  return {.role = "user", .content = {{"type", "text"}, {"text", std::move(text)}}};
}

// --- McpServer ---------------------------------------------------------------

McpServer::McpServer(McpServerOptions options) : options_(std::move(options)) {
  CORAL_CHECK(options_.page_size > 0, "McpServerOptions::page_size must be positive");
}

void McpServer::AddTool(Tool tool) {
  CORAL_CHECK(ValidToolName(tool.name),
              "tool name '" + tool.name + "' must be 1-128 characters of [A-Za-z0-9_.-]");
  CORAL_CHECK(tool.handler != nullptr, "tool '" + tool.name + "' has no handler");
  CORAL_CHECK(tool.input_schema.is_object() && tool.input_schema.value("type", "") == "object",
              "tool '" + tool.name + "': inputSchema must be an object schema");
  CORAL_CHECK(!tool_index_.contains(tool.name), "tool '" + tool.name + "' registered twice");
  tool_index_.emplace(tool.name, tools_.size());
  tools_.push_back(std::move(tool));
}

void McpServer::AddResource(Resource resource) {
  CORAL_CHECK(!resource.uri.empty() && !resource.name.empty(), "a resource needs a uri and a name");
  CORAL_CHECK(resource.reader != nullptr, "resource '" + resource.uri + "' has no reader");
  CORAL_CHECK(!resource_index_.contains(resource.uri),
              "resource '" + resource.uri + "' registered twice");
  resource_index_.emplace(resource.uri, resources_.size());
  resources_.push_back(std::move(resource));
}

void McpServer::AddResourceTemplate(ResourceTemplate resource_template) {
  CORAL_CHECK(!resource_template.uri_template.empty() && !resource_template.name.empty(),
              "a resource template needs a uri template and a name");
  CORAL_CHECK(resource_template.reader != nullptr,
              "resource template '" + resource_template.uri_template + "' has no reader");
  templates_.push_back(std::move(resource_template));
}

void McpServer::AddPrompt(Prompt prompt) {
  CORAL_CHECK(!prompt.name.empty(), "a prompt needs a name");
  CORAL_CHECK(prompt.getter != nullptr, "prompt '" + prompt.name + "' has no getter");
  CORAL_CHECK(!prompt_index_.contains(prompt.name),
              "prompt '" + prompt.name + "' registered twice");
  prompt_index_.emplace(prompt.name, prompts_.size());
  prompts_.push_back(std::move(prompt));
}

std::unique_ptr<McpSession> McpServer::NewSession(MessageSink sink) {
  return std::make_unique<McpSession>(*this, std::move(sink));
}

void McpServer::NotifyResourceUpdated(const std::string& uri) const {
  std::lock_guard lock(sessions_mu_);
  for (McpSession* session : sessions_) session->SendIfSubscribed(uri);
}

// --- McpSession --------------------------------------------------------------

McpSession::McpSession(const McpServer& server, MessageSink sink)
    : server_(server), sink_(std::move(sink)) {
  std::lock_guard lock(server_.sessions_mu_);
  server_.sessions_.insert(this);
}

McpSession::~McpSession() {
  {
    std::lock_guard lock(server_.sessions_mu_);
    server_.sessions_.erase(this);
  }
  AbandonClientRequests();
}

bool McpSession::subscribed(const std::string& uri) const {
  std::lock_guard lock(mu_);
  return subscriptions_.contains(uri);
}

void McpSession::SendIfSubscribed(const std::string& uri) {
  if (!subscribed(uri) || !sink_) return;
  sink_(Notification{.method = "notifications/resources/updated", .params = Json{{"uri", uri}}});
}

bool McpSession::ClientSupports(std::string_view capability) const {
  std::lock_guard lock(mu_);
  auto it = client_capabilities_.find(capability);
  return it != client_capabilities_.end() && it->is_object();
}

Result<Json> McpSession::RequestClient(const MessageSink& sink, const std::string& method,
                                       Json params, std::chrono::milliseconds timeout,
                                       const std::atomic<bool>& cancelled) {
  auto pending = std::make_shared<PendingClientRequest>();
  std::string id;
  {
    std::lock_guard lock(mu_);
    if (abandoned_) return Unavailable(method + ": the session is closing");
    id = "coral-" + std::to_string(next_client_request_++);
    client_requests_[IdKey(RequestId(id))] = pending;
  }
  sink(Request{.id = id, .method = method, .params = std::move(params)});
  std::optional<std::variant<Json, RpcError>> answer;
  {
    std::unique_lock lock(pending->mu);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    // Wakes now and then to see whether our own request was cancelled.
    while (!pending->answer && !cancelled.load() && std::chrono::steady_clock::now() < deadline) {
      pending->cv.wait_for(lock, std::chrono::milliseconds(100));
    }
    answer = std::move(pending->answer);
  }
  {
    std::lock_guard lock(mu_);
    client_requests_.erase(IdKey(RequestId(id)));
  }
  if (!answer) {
    if (cancelled.load()) return Unavailable(method + ": the request was cancelled meanwhile");
    return DeadlineExceeded(method + ": the client did not answer within " +
                            std::to_string(timeout.count()) + " ms");
  }
  if (auto* error = std::get_if<RpcError>(&*answer)) {
    return FailedPrecondition(method + ": the client answered with error " +
                              std::to_string(error->code) + ": " + error->message);
  }
  return std::get<Json>(std::move(*answer));
}

void McpSession::HandleClientAnswer(const Message& message) {
  std::optional<std::variant<Json, RpcError>> answer;
  std::string key;
  if (const auto* r = std::get_if<Response>(&message)) {
    key = IdKey(r->id);
    answer = r->result;
  } else if (const auto* e = std::get_if<ErrorResponse>(&message); e && e->id) {
    key = IdKey(*e->id);
    answer = e->error;
  } else {
    return;
  }
  std::shared_ptr<PendingClientRequest> pending;
  {
    std::lock_guard lock(mu_);
    auto it = client_requests_.find(key);
    if (it == client_requests_.end()) return;  // late, or not ours: dropped
    pending = it->second;
  }
  std::lock_guard lock(pending->mu);
  pending->answer = std::move(answer);
  pending->cv.notify_all();
}

void McpSession::AbandonClientRequests() {
  std::map<std::string, std::shared_ptr<PendingClientRequest>> pending;
  {
    std::lock_guard lock(mu_);
    abandoned_ = true;
    pending.swap(client_requests_);
  }
  for (auto& [key, p] : pending) {
    std::lock_guard lock(p->mu);
    p->answer = RpcError{.code = error_code::kInternalError, .message = "the session ended"};
    p->cv.notify_all();
  }
}

std::string McpSession::protocol_version() const {
  std::lock_guard lock(mu_);
  return protocol_version_;
}

bool McpSession::initialized() const {
  std::lock_guard lock(mu_);
  return initialized_;
}

bool McpSession::client_ready() const {
  std::lock_guard lock(mu_);
  return client_ready_;
}

LogLevel McpSession::log_level() const {
  std::lock_guard lock(mu_);
  return log_level_;
}

std::optional<Message> McpSession::HandleText(std::string_view text) {
  ParseResult parsed = ParseMessage(text);
  if (!parsed.ok()) return Message(*parsed.error);
  return Handle(*parsed.message);
}

std::optional<Message> McpSession::Handle(const Message& message, RequestHooks hooks) {
  if (const auto* n = std::get_if<Notification>(&message)) {
    HandleNotification(*n);
    return std::nullopt;
  }
  const auto* request = std::get_if<Request>(&message);
  if (request == nullptr) {
    HandleClientAnswer(message);
    return std::nullopt;
  }

  const std::string key = IdKey(request->id);
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  {
    std::lock_guard lock(mu_);
    if (!initialized_ && request->method != "initialize" && request->method != "ping") {
      return MakeError(request->id, error_code::kInvalidRequest,
                       "session not initialized: send initialize first (only ping is allowed "
                       "before it)");
    }
    if (!in_flight_.emplace(key, cancelled).second) {
      return MakeError(request->id, error_code::kInvalidRequest,
                       "request id " + Serialize(IdToJson(request->id)) +
                           " is already in use by a request in progress");
    }
  }

  std::optional<Json> progress_token;
  if (request->params && request->params->is_object()) {
    const Json& p = *request->params;
    if (auto meta = p.find("_meta"); meta != p.end() && meta->is_object()) {
      if (auto t = meta->find("progressToken");
          t != meta->end() && (t->is_string() || t->is_number_integer())) {
        progress_token = *t;
      }
    }
  }
  if (!hooks.sink) hooks.sink = sink_;
  RequestContext context(this, cancelled, std::move(progress_token), std::move(hooks));

  Outcome outcome;
  // Handlers run code and libraries this file does not know; an exception
  // from one fails this request, not the session.
  try {
    outcome = Dispatch(*request, context);
  } catch (const std::exception& e) {
    CORAL_LOG_ERROR("mcp: {} {} threw: {}", request->method, key, e.what());
    outcome = InternalError("internal error in " + request->method + ": " + e.what());
  }

  {
    std::lock_guard lock(mu_);
    in_flight_.erase(key);
  }
  // initialize cannot be cancelled (lifecycle rules); anything else that was
  // gets no answer.
  if (cancelled->load() && request->method != "initialize") return std::nullopt;
  if (auto* error = std::get_if<RpcError>(&outcome)) {
    return ErrorResponse{.id = request->id, .error = std::move(*error)};
  }
  return Response{.id = request->id, .result = std::move(std::get<Json>(outcome))};
}

void McpSession::HandleNotification(const Notification& n) {
  if (n.method == "notifications/initialized") {
    std::lock_guard lock(mu_);
    client_ready_ = true;
    return;
  }
  if (n.method == "notifications/cancelled") {
    if (!n.params || !n.params->is_object()) return;
    auto id = n.params->find("requestId");
    if (id == n.params->end()) return;
    ParseResult probe = MessageFromJson({{"jsonrpc", "2.0"}, {"id", *id}, {"method", "x"}});
    if (!probe.ok()) return;  // not a valid id: nothing to cancel
    std::string key = IdKey(std::get<Request>(*probe.message).id);
    std::lock_guard lock(mu_);
    // Unknown or finished requests are ignored, as the spec allows for races.
    if (auto it = in_flight_.find(key); it != in_flight_.end()) it->second->store(true);
    return;
  }
  // Other notifications (roots/list_changed, progress for our requests, ...)
  // need no action yet.
}

McpSession::Outcome McpSession::Dispatch(const Request& request, RequestContext& context) {
  Json params = request.params.value_or(Json::object());
  if (!params.is_object()) return InvalidParams(request.method + ": params must be an object");
  const std::string& m = request.method;
  if (m == "initialize") return Initialize(params);
  if (m == "ping") return Json::object();
  if (m == "tools/list") return ListTools(params);
  if (m == "tools/call") return CallTool(params, context);
  if (m == "resources/list") return ListResources(params);
  if (m == "resources/read") return ReadResource(params, context);
  if (m == "resources/templates/list") return ListResourceTemplates(params);
  if (m == "resources/subscribe") return Subscribe(params, true);
  if (m == "resources/unsubscribe") return Subscribe(params, false);
  if (m == "completion/complete") return Complete(params);
  if (m == "prompts/list") return ListPrompts(params);
  if (m == "prompts/get") return GetPrompt(params, context);
  if (m == "logging/setLevel") return SetLogLevel(params);
  return RpcError{.code = error_code::kMethodNotFound, .message = "method not found: " + m};
}

McpSession::Outcome McpSession::Initialize(const Json& params) {
  auto requested = params.find("protocolVersion");
  if (requested == params.end() || !requested->is_string()) {
    return InvalidParams("initialize: params.protocolVersion must be a string");
  }
  std::string version = requested->get<std::string>();
  if (!IsSupportedProtocolVersion(version)) version = std::string(kLatestProtocolVersion);
  {
    std::lock_guard lock(mu_);
    if (initialized_) {
      return RpcError{.code = error_code::kInvalidRequest,
                      .message = "initialize: this session is already initialized"};
    }
    initialized_ = true;
    protocol_version_ = version;
    if (auto caps = params.find("capabilities"); caps != params.end() && caps->is_object()) {
      client_capabilities_ = *caps;
    }
  }
  const McpServerOptions& o = server_.options_;
  Json server_info = {{"name", o.name}, {"version", o.version}};
  SetIfNotEmpty(server_info, "title", o.title);
  Json result = {
      {"protocolVersion", version},
      {"capabilities",
       {{"logging", Json::object()},
        {"completions", Json::object()},
        {"tools", {{"listChanged", false}}},
        {"resources", {{"subscribe", true}, {"listChanged", false}}},
        {"prompts", {{"listChanged", false}}}}},
      {"serverInfo", std::move(server_info)},
  };
  SetIfNotEmpty(result, "instructions", o.instructions);
  return result;
}

McpSession::Outcome McpSession::ListTools(const Json& params) const {
  return Paginate(server_.tools_, params, server_.options_.page_size, "tools", ToolToJson);
}

McpSession::Outcome McpSession::CallTool(const Json& params, RequestContext& context) const {
  auto name = params.find("name");
  if (name == params.end() || !name->is_string()) {
    return InvalidParams("tools/call: params.name must be a string");
  }
  auto it = server_.tool_index_.find(name->get<std::string>());
  if (it == server_.tool_index_.end()) {
    return InvalidParams("unknown tool: " + name->get<std::string>() +
                         " (tools/list shows the tools this server has)");
  }
  const Tool& tool = server_.tools_[it->second];
  Json args = Json::object();
  if (auto a = params.find("arguments"); a != params.end() && !a->is_null()) {
    if (!a->is_object()) return InvalidParams("tools/call: params.arguments must be an object");
    args = *a;
  }
  if (auto problem = CheckArguments(tool.input_schema, args)) {
    std::string message = "tool " + tool.name + ": " + *problem;
    // 2025-11-25 (SEP-1303) reports argument errors as tool execution errors,
    // so the model sees them and can correct its call; earlier revisions as
    // invalid params.
    if (protocol_version() == "2025-11-25") return ToolResultToJson(ToolResult::Error(message));
    return InvalidParams(message);
  }
  Result<ToolResult> result = tool.handler(args, context);
  if (!result.ok()) return ToolResultToJson(ToolResult::Error(result.status().message()));
  if (tool.output_schema && !result->is_error &&
      (!result->structured_content || !result->structured_content->is_object())) {
    return InternalError("tool " + tool.name +
                         " declares an outputSchema but returned no structuredContent object");
  }
  return ToolResultToJson(*result);
}

McpSession::Outcome McpSession::ListResources(const Json& params) const {
  return Paginate(server_.resources_, params, server_.options_.page_size, "resources",
                  ResourceToJson);
}

McpSession::Outcome McpSession::ReadResource(const Json& params, RequestContext& context) const {
  auto uri = params.find("uri");
  if (uri == params.end() || !uri->is_string()) {
    return InvalidParams("resources/read: params.uri must be a string");
  }
  const std::string& u = uri->get_ref<const std::string&>();
  auto it = server_.resource_index_.find(u);
  auto not_found = [&](std::string message) {
    return RpcError{.code = error_code::kResourceNotFound,
                    .message = std::move(message),
                    .data = Json{{"uri", u}}};
  };
  Result<std::vector<ResourceContents>> contents = NotFound("");
  std::string mime;
  if (it != server_.resource_index_.end()) {
    const Resource& resource = server_.resources_[it->second];
    contents = resource.reader(u, context);
    mime = resource.mime_type;
  } else {
    const ResourceTemplate* match = nullptr;
    std::map<std::string, std::string> vars;
    for (const ResourceTemplate& t : server_.templates_) {
      if (auto v = MatchTemplate(t.uri_template, u)) {
        match = &t;
        vars = std::move(*v);
        break;
      }
    }
    if (match == nullptr) return not_found("resource not found: " + u);
    contents = match->reader(u, vars, context);
    mime = match->mime_type;
  }
  if (!contents.ok()) {
    if (contents.status().code() == StatusCode::kNotFound) {
      return not_found(contents.status().message());
    }
    return InternalError("resources/read " + u + ": " + contents.status().message());
  }
  return ContentsToJson(*contents, u, mime);
}

McpSession::Outcome McpSession::ListResourceTemplates(const Json& params) const {
  return Paginate(server_.templates_, params, server_.options_.page_size, "resourceTemplates",
                  TemplateToJson);
}

McpSession::Outcome McpSession::Subscribe(const Json& params, bool subscribe) {
  const char* method = subscribe ? "resources/subscribe" : "resources/unsubscribe";
  auto uri = params.find("uri");
  if (uri == params.end() || !uri->is_string()) {
    return InvalidParams(std::string(method) + ": params.uri must be a string");
  }
  const std::string& u = uri->get_ref<const std::string&>();
  bool known = server_.resource_index_.contains(u);
  for (const ResourceTemplate& t : server_.templates_)
    known = known || MatchTemplate(t.uri_template, u);
  if (subscribe && !known) {
    return RpcError{.code = error_code::kResourceNotFound,
                    .message = "resource not found: " + u,
                    .data = Json{{"uri", u}}};
  }
  std::lock_guard lock(mu_);
  if (subscribe) {
    subscriptions_.insert(u);
  } else {
    subscriptions_.erase(u);  // unsubscribing from something not subscribed is harmless
  }
  return Json::object();
}

McpSession::Outcome McpSession::Complete(const Json& params) const {
  auto ref = params.find("ref");
  auto argument = params.find("argument");
  if (ref == params.end() || !ref->is_object() || argument == params.end() ||
      !argument->is_object() || !argument->value("name", Json()).is_string() ||
      !argument->value("value", Json()).is_string()) {
    return InvalidParams(
        "completion/complete: params need ref {type, name|uri} and argument {name, value}");
  }
  std::map<std::string, std::string> context;
  if (auto c = params.find("context"); c != params.end() && c->is_object()) {
    if (auto a = c->find("arguments"); a != c->end() && a->is_object()) {
      for (const auto& [k, v] : a->items()) {
        if (v.is_string()) context[k] = v.get<std::string>();
      }
    }
  }
  std::string type = ref->value("type", "");
  const Completer* completer = nullptr;
  if (type == "ref/prompt") {
    auto it = server_.prompt_index_.find(ref->value("name", ""));
    if (it == server_.prompt_index_.end()) {
      return InvalidParams("completion/complete: unknown prompt: " + ref->value("name", ""));
    }
    completer = &server_.prompts_[it->second].completer;
  } else if (type == "ref/resource") {
    std::string uri = ref->value("uri", "");
    for (const ResourceTemplate& t : server_.templates_) {
      if (t.uri_template == uri) completer = &t.completer;
    }
    if (completer == nullptr) {
      return InvalidParams("completion/complete: unknown resource template: " + uri);
    }
  } else {
    return InvalidParams("completion/complete: ref.type must be ref/prompt or ref/resource");
  }
  std::vector<std::string> values;
  if (*completer) {
    values = (*completer)((*argument)["name"].get<std::string>(),
                          (*argument)["value"].get<std::string>(), context);
  }
  constexpr size_t kMaxValues = 100;  // the spec's cap per response
  Json completion = {{"total", values.size()}, {"hasMore", values.size() > kMaxValues}};
  if (values.size() > kMaxValues) values.resize(kMaxValues);
  completion["values"] = values;
  return Json{{"completion", std::move(completion)}};
}

McpSession::Outcome McpSession::ListPrompts(const Json& params) const {
  return Paginate(server_.prompts_, params, server_.options_.page_size, "prompts", PromptToJson);
}

McpSession::Outcome McpSession::GetPrompt(const Json& params, RequestContext& context) const {
  auto name = params.find("name");
  if (name == params.end() || !name->is_string()) {
    return InvalidParams("prompts/get: params.name must be a string");
  }
  auto it = server_.prompt_index_.find(name->get<std::string>());
  if (it == server_.prompt_index_.end()) {
    return InvalidParams("unknown prompt: " + name->get<std::string>());
  }
  const Prompt& prompt = server_.prompts_[it->second];
  std::map<std::string, std::string> args;
  if (auto a = params.find("arguments"); a != params.end() && !a->is_null()) {
    if (!a->is_object()) return InvalidParams("prompts/get: params.arguments must be an object");
    for (const auto& [key, value] : a->items()) {
      if (!value.is_string()) {
        return InvalidParams("prompt " + prompt.name + ": argument '" + key + "' must be a string");
      }
      args.emplace(key, value.get<std::string>());
    }
  }
  for (const PromptArgument& pa : prompt.arguments) {
    if (pa.required && !args.contains(pa.name)) {
      return InvalidParams("prompt " + prompt.name + ": missing required argument '" + pa.name +
                           "'");
    }
  }
  auto result = prompt.getter(args, context);
  if (!result.ok()) {
    std::string message = "prompt " + prompt.name + ": " + result.status().message();
    if (result.status().code() == StatusCode::kInvalidArgument) return InvalidParams(message);
    return InternalError(message);
  }
  Json messages = Json::array();
  for (const PromptMessage& pm : result->messages) {
    messages.push_back({{"role", pm.role}, {"content", pm.content}});
  }
  Json j = {{"messages", std::move(messages)}};
  SetIfNotEmpty(j, "description", result->description);
  return j;
}

McpSession::Outcome McpSession::SetLogLevel(const Json& params) {
  auto level = params.find("level");
  std::optional<LogLevel> parsed;
  if (level != params.end() && level->is_string())
    parsed = ParseLogLevel(level->get<std::string>());
  if (!parsed) {
    return InvalidParams(
        "logging/setLevel: params.level must be one of debug, info, notice, warning, error, "
        "critical, alert, emergency");
  }
  std::lock_guard lock(mu_);
  log_level_ = *parsed;
  return Json::object();
}

}  // namespace coral::mcp

#include "mcp/server.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cmath>
#include <exception>
#include <utility>

#include "base/ids.h"
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

// Rounds of input a handler may ask of a handshake client for one request.
constexpr int kMaxInputRounds = 8;

RpcError MethodNotFound(std::string message) {
  return {.code = error_code::kMethodNotFound, .message = std::move(message)};
}

// The handshake-era methods 2026-07-28 removed, and what replaced each.
std::optional<std::string_view> RemovedInStateless(std::string_view method) {
  if (method == "initialize") {
    return "requests carry their version and capabilities in _meta; server/discover tells "
           "what the server supports";
  }
  if (method == "ping") return "any request shows the server is there";
  if (method == "logging/setLevel") return "a request asks for log messages with _meta's logLevel";
  if (method == "resources/subscribe" || method == "resources/unsubscribe") {
    return "subscriptions/listen with notifications.resourceSubscriptions";
  }
  return std::nullopt;
}

// The client capability an input request needs.
std::optional<std::string_view> CapabilityFor(std::string_view input_method) {
  if (input_method == "elicitation/create") return "elicitation";
  if (input_method == "sampling/createMessage") return "sampling";
  if (input_method == "roots/list") return "roots";
  return std::nullopt;
}

// Results a client may cache (SEP-2549), which carry ttlMs and cacheScope.
bool IsCacheable(std::string_view method) {
  return method == "server/discover" || method == "tools/list" || method == "prompts/list" ||
         method == "resources/list" || method == "resources/templates/list" ||
         method == "resources/read";
}

// A request that says it is stateless: server/discover and
// subscriptions/listen exist only there, and handshake clients never put the
// io.modelcontextprotocol request keys in _meta.
bool LooksStateless(const Request& request) {
  if (request.method == "server/discover" || request.method == "subscriptions/listen") return true;
  if (!request.params || !request.params->is_object()) return false;
  auto meta = request.params->find("_meta");
  if (meta == request.params->end() || !meta->is_object()) return false;
  return meta->contains(meta_key::kProtocolVersion) ||
         meta->contains(meta_key::kClientCapabilities) || meta->contains(meta_key::kClientInfo);
}

// What a stateless request's _meta says, or the error to answer it with.
std::variant<StatelessMeta, RpcError> ReadStatelessMeta(const Request& request) {
  const std::string want = request.method + ": a 2026-07-28 request needs params._meta with " +
                           meta_key::kProtocolVersion + " (a string) and " +
                           meta_key::kClientCapabilities + " (an object)";
  if (!request.params || !request.params->is_object()) return InvalidParams(want);
  auto meta = request.params->find("_meta");
  if (meta == request.params->end() || !meta->is_object()) return InvalidParams(want);
  auto version = meta->find(meta_key::kProtocolVersion);
  auto caps = meta->find(meta_key::kClientCapabilities);
  if (version == meta->end() || !version->is_string() || caps == meta->end() ||
      !caps->is_object()) {
    return InvalidParams(want);
  }
  StatelessMeta out{.protocol_version = version->get<std::string>(), .client_capabilities = *caps};
  if (!IsStatelessProtocolVersion(out.protocol_version)) {
    return RpcError{
        .code = error_code::kUnsupportedProtocolVersion,
        .message = "unsupported protocol version " + out.protocol_version +
                   " (this server speaks 2026-07-28 per request; 2025-11-25, "
                   "2025-06-18 and 2025-03-26 after initialize)",
        .data = Json{{"supported", AllProtocolVersions()}, {"requested", out.protocol_version}}};
  }
  if (auto level = meta->find(meta_key::kLogLevel); level != meta->end()) {
    out.log_level = level->is_string() ? ParseLogLevel(level->get<std::string>()) : std::nullopt;
    if (!out.log_level) {
      return InvalidParams(std::string(meta_key::kLogLevel) +
                           " must be one of debug, info, notice, warning, error, critical, "
                           "alert, emergency");
    }
  }
  return out;
}

// base64url without padding (RFC 4648 section 5): the client-held state.
std::string Base64UrlEncode(std::string_view bytes) {
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '-') {
      v = 62;
    } else if (c == '_') {
      v = 63;
    } else {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (bits >= 6) return std::nullopt;  // a lone trailing character encodes no byte
  return out;
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

bool IsStatelessProtocolVersion(std::string_view version) {
  for (std::string_view v : kStatelessProtocolVersions) {
    if (v == version) return true;
  }
  return false;
}

Json AllProtocolVersions() {
  Json all = Json::array();
  for (std::string_view v : kStatelessProtocolVersions) all.push_back(std::string(v));
  for (std::string_view v : kSupportedProtocolVersions) all.push_back(std::string(v));
  return all;
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
  if (!hooks_.sink) return;
  if (stateless_meta_) {
    // 2026-07-28: only what this request asked for; nothing when it did not ask.
    if (!stateless_meta_->log_level || level < *stateless_meta_->log_level) return;
  } else if (level < session_->log_level()) {
    return;
  }
  Json params = {{"level", LogLevelName(level)}, {"data", std::move(data)}};
  if (!logger.empty()) params["logger"] = std::string(logger);
  hooks_.sink(Notification{.method = "notifications/message", .params = std::move(params)});
}

bool RequestContext::ClientSupports(std::string_view capability) const {
  if (stateless_meta_) {
    // Declared per request: nothing carries over from an earlier one.
    auto it = stateless_meta_->client_capabilities.find(capability);
    return it != stateless_meta_->client_capabilities.end() && it->is_object();
  }
  return session_->ClientSupports(capability);
}

std::string RequestContext::protocol_version() const {
  return stateless_meta_ ? stateless_meta_->protocol_version : session_->protocol_version();
}

const Json* RequestContext::InputResponse(std::string_view key) const {
  auto it = input_responses_.find(key);
  return it == input_responses_.end() ? nullptr : &*it;
}

Result<Json> RequestContext::RequestClient(const std::string& method, Json params,
                                           std::chrono::milliseconds timeout) {
  if (stateless_meta_) {
    return FailedPrecondition(method +
                              ": a 2026-07-28 request cannot carry requests to the client; the "
                              "handler returns NeedInput and the client calls again with its "
                              "answers");
  }
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

ToolResult ToolResult::NeedInput(InputRequired input) {
  CORAL_CHECK(!input.requests.empty() || !input.state.empty(),
              "InputRequired needs requests or a state");
  return {.content = Json::array(), .input_required = std::move(input)};
}

PromptResult PromptResult::NeedInput(InputRequired input) {
  CORAL_CHECK(!input.requests.empty() || !input.state.empty(),
              "InputRequired needs requests or a state");
  return {.input_required = std::move(input)};
}

PromptMessage PromptMessage::UserText(std::string text) {
  return {.role = "user", .content = {{"type", "text"}, {"text", std::move(text)}}};
}

// --- McpServer ---------------------------------------------------------------

McpServer::McpServer(McpServerOptions options) : options_(std::move(options)) {
  CORAL_CHECK(options_.page_size > 0, "McpServerOptions::page_size must be positive");
  state_key_ = options_.request_state_key;
  if (state_key_.empty()) {
    state_key_.resize(32);
    FillRandom(reinterpret_cast<uint8_t*>(state_key_.data()), state_key_.size());
  }
}

McpServer::~McpServer() {
  OPENSSL_cleanse(state_key_.data(), state_key_.size());
  OPENSSL_cleanse(options_.request_state_key.data(), options_.request_state_key.size());
}

const Tool* McpServer::FindTool(std::string_view name) const {
  auto it = tool_index_.find(name);
  return it == tool_index_.end() ? nullptr : &tools_[it->second];
}

namespace {

std::string StateMac(const std::string& key, std::string_view method, std::string_view name,
                     std::string_view state) {
  // Length-prefixed, so no two (method, name, state) triples share an input.
  std::string input;
  for (std::string_view part : {method, name, state}) {
    input += std::to_string(part.size()) + ":";
    input.append(part);
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  CORAL_CHECK(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                   reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
                   &mac_len) != nullptr,
              "HMAC-SHA256 failed");
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

}  // namespace

std::string McpServer::SignState(std::string_view method, std::string_view name,
                                 std::string_view state) const {
  return Base64UrlEncode(state) + "." + Base64UrlEncode(StateMac(state_key_, method, name, state));
}

std::optional<std::string> McpServer::VerifyState(std::string_view method, std::string_view name,
                                                  std::string_view signed_state) const {
  size_t dot = signed_state.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto state = Base64UrlDecode(signed_state.substr(0, dot));
  auto mac = Base64UrlDecode(signed_state.substr(dot + 1));
  if (!state || !mac) return std::nullopt;
  std::string want = StateMac(state_key_, method, name, *state);
  if (mac->size() != want.size() || CRYPTO_memcmp(mac->data(), want.data(), want.size()) != 0) {
    return std::nullopt;
  }
  return state;
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
  if (subscribed(uri) && sink_) {
    sink_(Notification{.method = "notifications/resources/updated", .params = Json{{"uri", uri}}});
  }
  // subscriptions/listen streams, each on its own sink, tagged with its id.
  std::vector<std::pair<Json, MessageSink>> streams;
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, listener] : listeners_) {
      if (listener.uris.contains(uri))
        streams.emplace_back(listener.subscription_id, listener.sink);
    }
  }
  for (auto& [id, sink] : streams) {
    sink(Notification{.method = "notifications/resources/updated",
                      .params = Json{{"uri", uri}, {"_meta", {{meta_key::kSubscriptionId, id}}}}});
  }
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

void McpSession::CancelAll() {
  std::lock_guard lock(mu_);
  for (auto& [key, flag] : in_flight_) flag->store(true);
  cancel_cv_.notify_all();
}

void McpSession::AbandonClientRequests() {
  std::map<std::string, std::shared_ptr<PendingClientRequest>> pending;
  {
    std::lock_guard lock(mu_);
    abandoned_ = true;
    pending.swap(client_requests_);
    cancel_cv_.notify_all();
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

  const bool stateless = hooks.era == Era::kStateless || LooksStateless(*request);
  std::optional<StatelessMeta> meta;
  if (stateless) {
    auto read = ReadStatelessMeta(*request);
    if (auto* error = std::get_if<RpcError>(&read)) {
      return ErrorResponse{.id = request->id, .error = std::move(*error)};
    }
    meta = std::move(std::get<StatelessMeta>(read));
  }

  const std::string key = IdKey(request->id);
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  {
    std::lock_guard lock(mu_);
    if (!stateless && !initialized_ && request->method != "initialize" &&
        request->method != "ping") {
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
  context.stateless_meta_ = std::move(meta);

  Outcome outcome;
  // Handlers run code and libraries this file does not know; an exception
  // from one fails this request, not the session.
  try {
    outcome = stateless ? DispatchStateless(*request, context) : Dispatch(*request, context);
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
  Json& result = std::get<Json>(outcome);
  if (stateless) {
    // 2026-07-28: every result says what it is and who answered; cacheable
    // ones say for how long. Nothing here is shared between clients or fixed
    // for long, so: private, stale at once.
    if (!result.contains("resultType")) result["resultType"] = "complete";
    if (IsCacheable(request->method) && result["resultType"] == "complete") {
      result["ttlMs"] = 0;
      result["cacheScope"] = "private";
    }
    Json server_info = {{"name", server_.options_.name}, {"version", server_.options_.version}};
    SetIfNotEmpty(server_info, "title", server_.options_.title);
    result["_meta"][meta_key::kServerInfo] = std::move(server_info);
  }
  return Response{.id = request->id, .result = std::move(result)};
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
    cancel_cv_.notify_all();  // a subscriptions/listen ends this way on stdio
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

McpSession::Outcome McpSession::DispatchStateless(const Request& request, RequestContext& context) {
  const Json& params = *request.params;  // an object: ReadStatelessMeta checked
  const std::string& m = request.method;
  if (m == "tools/call" || m == "prompts/get" || m == "resources/read") {
    if (auto error = ReadInputs(m, params, context)) return *error;
  }
  if (m == "server/discover") return Discover();
  if (m == "tools/list") return ListTools(params);
  if (m == "tools/call") return CallTool(params, context);
  if (m == "resources/list") return ListResources(params);
  if (m == "resources/read") return ReadResource(params, context);
  if (m == "resources/templates/list") return ListResourceTemplates(params);
  if (m == "completion/complete") return Complete(params);
  if (m == "prompts/list") return ListPrompts(params);
  if (m == "prompts/get") return GetPrompt(params, context);
  if (m == "subscriptions/listen") return Listen(request, params, context);
  if (auto instead = RemovedInStateless(m)) {
    return MethodNotFound("method not found: " + m + " is not part of protocol 2026-07-28 (" +
                          std::string(*instead) + ")");
  }
  return MethodNotFound("method not found: " + m);
}

namespace {

Json ServerCapabilities() {
  return {{"logging", Json::object()},
          {"completions", Json::object()},
          {"tools", {{"listChanged", false}}},
          {"resources", {{"subscribe", true}, {"listChanged", false}}},
          {"prompts", {{"listChanged", false}}}};
}

}  // namespace

McpSession::Outcome McpSession::Discover() const {
  Json result = {{"supportedVersions", AllProtocolVersions()},
                 {"capabilities", ServerCapabilities()}};
  SetIfNotEmpty(result, "instructions", server_.options_.instructions);
  return result;
}

McpSession::Outcome McpSession::Listen(const Request& request, const Json& params,
                                       RequestContext& context) {
  auto filter = params.find("notifications");
  if (filter == params.end() || !filter->is_object()) {
    return InvalidParams(
        "subscriptions/listen: params.notifications must be an object naming "
        "the notifications wanted");
  }
  // What this server honors: updates of resources it has. Its tool, prompt
  // and resource lists do not change while it runs (listChanged: false), so
  // those filters are left out of the acknowledgement, as the spec asks.
  Json agreed = Json::object();
  Listener listener{.subscription_id = IdToJson(request.id), .sink = context.hooks_.sink};
  if (auto wanted = filter->find("resourceSubscriptions"); wanted != filter->end()) {
    if (!wanted->is_array()) {
      return InvalidParams(
          "subscriptions/listen: notifications.resourceSubscriptions must be a list of uris");
    }
    Json kept = Json::array();
    for (const Json& uri : *wanted) {
      if (!uri.is_string()) {
        return InvalidParams(
            "subscriptions/listen: notifications.resourceSubscriptions must be a list of uris");
      }
      const std::string& u = uri.get_ref<const std::string&>();
      bool known = server_.resource_index_.contains(u);
      for (const ResourceTemplate& t : server_.templates_) {
        known = known || MatchTemplate(t.uri_template, u);
      }
      if (known && listener.uris.insert(u).second) kept.push_back(u);
    }
    agreed["resourceSubscriptions"] = std::move(kept);
  }
  if (!listener.sink) return InternalError("subscriptions/listen: this transport cannot stream");
  // The acknowledgement is the stream's first message; updates follow it.
  listener.sink(Notification{
      .method = "notifications/subscriptions/acknowledged",
      .params = Json{{"notifications", agreed},
                     {"_meta", {{meta_key::kSubscriptionId, listener.subscription_id}}}}});
  const std::string key = IdKey(request.id);
  std::unique_lock lock(mu_);
  listeners_[key] = listener;
  // Until the client cancels (stdio) or goes away (HTTP), or the transport
  // ends; the timeout only guards against a missed wakeup.
  while (!context.cancelled() && !abandoned_) {
    cancel_cv_.wait_for(lock, std::chrono::seconds(1));
  }
  listeners_.erase(key);
  // Ended by the server: the result tells the client so (when cancelled, the
  // caller drops it).
  return Json{{"_meta", {{meta_key::kSubscriptionId, listener.subscription_id}}}};
}

std::optional<RpcError> McpSession::ReadInputs(const std::string& method, const Json& params,
                                               RequestContext& context) const {
  if (auto responses = params.find("inputResponses"); responses != params.end()) {
    if (!responses->is_object()) {
      return InvalidParams(method + ": params.inputResponses must be an object of answers");
    }
    for (const auto& [key, answer] : responses->items()) {
      if (!answer.is_object()) {
        return InvalidParams(method + ": params.inputResponses." + key +
                             " must be the result object of the request it answers");
      }
    }
    context.input_responses_ = *responses;
  }
  if (auto state = params.find("requestState"); state != params.end()) {
    std::string name;  // the state is good for this tool, prompt or resource only
    auto n = params.find(method == "resources/read" ? "uri" : "name");
    if (n != params.end() && n->is_string()) name = n->get<std::string>();
    auto verified = state->is_string()
                        ? server_.VerifyState(method, name, state->get_ref<const std::string&>())
                        : std::nullopt;
    if (!verified) {
      return InvalidParams(method + ": params.requestState is not one this server issued for " +
                           name + " (altered, or signed with another key); start again without it");
    }
    context.request_state_ = std::move(*verified);
  }
  return std::nullopt;
}

McpSession::InputOutcome McpSession::AskForInput(const std::string& method, const std::string& name,
                                                 const InputRequired& input,
                                                 RequestContext& context) {
  for (const auto& [key, request] : input.requests) {
    if (!CapabilityFor(request.method)) {
      return InternalError(method + " " + name + " asked the client for " + request.method +
                           ", which is not a request a server may send (elicitation/create, "
                           "sampling/createMessage, roots/list)");
    }
  }
  if (context.stateless()) {
    // The client must have declared what it is asked to do.
    Json missing = Json::object();
    for (const auto& [key, request] : input.requests) {
      std::string_view capability = *CapabilityFor(request.method);
      if (!context.ClientSupports(capability)) missing[std::string(capability)] = Json::object();
    }
    if (!missing.empty()) {
      return RpcError{.code = error_code::kMissingClientCapability,
                      .message = method + " " + name + " needs client capabilities " +
                                 Serialize(missing) + " that the request did not declare",
                      .data = Json{{"requiredCapabilities", std::move(missing)}}};
    }
    Json requests = Json::object();
    for (const auto& [key, request] : input.requests) {
      requests[key] = {{"method", request.method}, {"params", request.params}};
    }
    Json result = {{"resultType", "input_required"}};
    if (!requests.empty()) result["inputRequests"] = std::move(requests);
    if (!input.state.empty()) result["requestState"] = server_.SignState(method, name, input.state);
    return result;
  }
  // A handshake client is asked directly, one request after another.
  Json answers = Json::object();
  for (const auto& [key, request] : input.requests) {
    std::string_view capability = *CapabilityFor(request.method);
    if (!context.ClientSupports(capability)) {
      return method + " " + name + " needs the client's " + std::string(capability) +
             " capability, which it did not declare at initialize";
    }
    auto answer = context.RequestClient(request.method, request.params);
    if (!answer.ok()) return answer.status().message();
    answers[key] = std::move(*answer);
  }
  context.input_responses_ = std::move(answers);
  context.request_state_ = input.state;
  return std::monostate{};
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
      {"capabilities", ServerCapabilities()},
      {"serverInfo", std::move(server_info)},
  };
  SetIfNotEmpty(result, "instructions", o.instructions);
  return result;
}

McpSession::Outcome McpSession::ListTools(const Json& params) const {
  return Paginate(server_.tools_, params, server_.options_.page_size, "tools", ToolToJson);
}

McpSession::Outcome McpSession::CallTool(const Json& params, RequestContext& context) {
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
    // 2025-11-25 (SEP-1303) and later report argument errors as tool
    // execution errors, so the model sees them and can correct its call;
    // earlier revisions as invalid params. Version strings are dates, so they
    // order as strings.
    if (context.protocol_version() >= "2025-11-25") {
      return ToolResultToJson(ToolResult::Error(message));
    }
    return InvalidParams(message);
  }
  Result<ToolResult> result = tool.handler(args, context);
  // While the handler needs the client, a handshake client is asked here and
  // the handler runs again with the answers; a stateless one is told what to
  // answer, and calls again itself.
  for (int round = 1; result.ok() && result->input_required; ++round) {
    if (round > kMaxInputRounds) {
      return InternalError("tool " + tool.name + " still needed input after " +
                           std::to_string(kMaxInputRounds) + " rounds");
    }
    InputOutcome asked = AskForInput("tools/call", tool.name, *result->input_required, context);
    if (auto* json = std::get_if<Json>(&asked)) return std::move(*json);
    if (auto* error = std::get_if<RpcError>(&asked)) return std::move(*error);
    if (auto* why = std::get_if<std::string>(&asked))
      return ToolResultToJson(ToolResult::Error(*why));
    if (context.cancelled()) return InternalError("tools/call " + tool.name + ": cancelled");
    result = tool.handler(args, context);
  }
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
    // 2026-07-28 (SEP-2164) says invalid params; earlier revisions -32002.
    return RpcError{
        .code = context.stateless() ? error_code::kInvalidParams : error_code::kResourceNotFound,
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

McpSession::Outcome McpSession::GetPrompt(const Json& params, RequestContext& context) {
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
  for (int round = 1; result.ok() && result->input_required; ++round) {
    if (round > kMaxInputRounds) {
      return InternalError("prompt " + prompt.name + " still needed input after " +
                           std::to_string(kMaxInputRounds) + " rounds");
    }
    InputOutcome asked = AskForInput("prompts/get", prompt.name, *result->input_required, context);
    if (auto* json = std::get_if<Json>(&asked)) return std::move(*json);
    if (auto* error = std::get_if<RpcError>(&asked)) return std::move(*error);
    if (auto* why = std::get_if<std::string>(&asked)) {
      return InternalError("prompt " + prompt.name + ": " + *why);
    }
    if (context.cancelled()) return InternalError("prompts/get " + prompt.name + ": cancelled");
    result = prompt.getter(args, context);
  }
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

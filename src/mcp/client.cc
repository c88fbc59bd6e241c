#include "mcp/client.h"

#include <openssl/evp.h>
#include <strings.h>

#include "mcp/server.h"
#include "net/http_client.h"
#include "net/sse_parser.h"

namespace coral::mcp {

namespace {

// "text/event-stream; charset=utf-8" is "text/event-stream".
bool MediaTypeIs(std::string_view content_type, std::string_view type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return media.size() == type.size() && strncasecmp(media.data(), type.data(), type.size()) == 0;
}

// What an HTTP error status means for the caller, with the server's reason.
Status HttpError(const std::string& url, int status, std::string_view body) {
  Json err = Json::parse(body, nullptr, false);
  std::string why;
  if (err.is_object() && err.contains("error")) {
    const Json& e = err["error"];
    why = e.is_string() ? e.get<std::string>()
          : e.is_object() && e.contains("message") && e["message"].is_string()
              ? e["message"].get<std::string>()
              : e.dump();
  } else {
    why = std::string(body.substr(0, 200));
  }
  std::string message = "the MCP server at " + url + " answered HTTP " + std::to_string(status) +
                        (why.empty() ? "" : ": " + why);
  switch (status) {
    case 401:
      return Unauthenticated(message + "; check the API token (CORAL_TOKEN)");
    case 403:
      return PermissionDenied(message);
    case 404:
      return NotFound(message);
    default:
      return Unavailable(message);
  }
}

// An SSE parser whose events each carry one JSON-RPC message; the first event
// that is not JSON stops it and sets error.
net::SseParser JsonEvents(const std::function<void(Json)>& deliver, Status& error) {
  return net::SseParser([&deliver, &error](const net::SseEvent& event) {
    Json m = Json::parse(event.data, nullptr, false);
    if (m.is_discarded()) {
      error = Corruption("an event that is not JSON: " + event.data.substr(0, 200));
      return false;
    }
    deliver(std::move(m));
    return true;
  });
}

// A value as a header carries it: as it is when it is printable ASCII
// without surrounding blanks, otherwise =?base64?...?= (SEP-2243).
std::string HeaderSafe(const std::string& value) {
  bool plain = !value.empty() && value.front() != ' ' && value.back() != ' ' &&
               value.front() != '\t' && value.back() != '\t';
  for (unsigned char c : value) plain = plain && c >= 0x20 && c <= 0x7e;
  if (plain) return value;
  std::string out(4 * ((value.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(value.data()),
                          static_cast<int>(value.size()));
  out.resize(static_cast<size_t>(n));
  return "=?base64?" + out + "?=";
}

// An argument as its Mcp-Param header writes it.
std::string ParamText(const Json& value) {
  if (value.is_string()) return HeaderSafe(value.get<std::string>());
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  return HeaderSafe(value.dump());
}

}  // namespace

McpClient::McpClient(McpEndpoint endpoint, McpClientOptions options)
    : endpoint_(std::move(endpoint)), options_(std::move(options)) {}

McpClient::~McpClient() { Close(); }

std::string McpClient::session_id() const {
  std::lock_guard lock(mu_);
  return session_;
}

std::string McpClient::protocol_version() const {
  std::lock_guard lock(mu_);
  return version_;
}

bool McpClient::stateless() const {
  std::lock_guard lock(mu_);
  return stateless_;
}

Result<std::optional<Json>> McpClient::Post(std::string_view message, const MessageFn& on_message) {
  Json sent = Json::parse(message, nullptr, false);
  std::optional<Json> request_id;
  std::string method;
  if (sent.is_object() && sent.contains("method") && sent["method"].is_string()) {
    method = sent["method"].get<std::string>();
    if (sent.contains("id")) request_id = sent["id"];
  }

  net::HttpClientRequest req{.method = "POST",
                             .url = endpoint_.url,
                             .body = std::string(message),
                             .timeout = options_.timeout,
                             .ca_pem = endpoint_.ca_pem};
  req.headers = {{"Authorization", "Bearer " + endpoint_.token},
                 {"Content-Type", "application/json"},
                 {"Accept", "application/json, text/event-stream"}};
  // A body that carries its version in _meta is a 2026-07-28 request: the
  // routing headers mirror it, so intermediaries need not parse the body.
  const Json& params = sent.is_object() ? sent.value("params", Json::object()) : Json::object();
  std::string meta_version;
  if (params.is_object() && params.contains("_meta") && params["_meta"].is_object()) {
    const Json& meta = params["_meta"];
    if (auto v = meta.find(meta_key::kProtocolVersion); v != meta.end() && v->is_string()) {
      meta_version = v->get<std::string>();
    }
  }
  {
    std::lock_guard lock(mu_);
    if (!session_.empty()) req.headers.push_back({"Mcp-Session-Id", session_});
    if (!meta_version.empty()) {
      req.headers.push_back({"MCP-Protocol-Version", meta_version});
    } else if (!version_.empty()) {
      req.headers.push_back({"MCP-Protocol-Version", version_});
    }
    if (!meta_version.empty() && !method.empty()) {
      req.headers.push_back({"Mcp-Method", method});
      const char* name_field = method == "tools/call" || method == "prompts/get" ? "name"
                               : method == "resources/read"                      ? "uri"
                                                                                 : nullptr;
      if (name_field != nullptr && params.value(name_field, Json()).is_string()) {
        std::string name = params[name_field].get<std::string>();
        req.headers.push_back({"Mcp-Name", HeaderSafe(name)});
        const Json& args = params.value("arguments", Json::object());
        if (auto tool = param_headers_.find(name);
            method == "tools/call" && tool != param_headers_.end() && args.is_object()) {
          for (const auto& [argument, header] : tool->second) {
            if (args.contains(argument) && !args[argument].is_null()) {
              req.headers.push_back({"Mcp-Param-" + header, ParamText(args[argument])});
            }
          }
        }
      }
    }
  }

  std::optional<Json> response;
  Status stream_error;
  std::function<void(Json)> deliver = [&](Json m) {
    bool is_ours = request_id && m.is_object() && !m.contains("method") && m.contains("id") &&
                   m["id"] == *request_id;
    if (is_ours) {
      response = std::move(m);
    } else if (on_message) {
      on_message(m);
    }
  };
  net::SseParser sse = JsonEvents(deliver, stream_error);
  bool streaming = false;
  std::string body;
  req.on_headers = [&](int status, const net::Headers& headers) {
    streaming =
        status == 200 && MediaTypeIs(net::FindHeader(headers, "Content-Type"), "text/event-stream");
    return true;
  };
  req.on_body = [&](std::string_view chunk) {
    if (streaming) return sse.Feed(chunk);
    body.append(chunk);
    return true;
  };
  auto resp = CORAL_TRY(net::HttpFetch(req));
  CORAL_TRY(stream_error.WithContext("the MCP server at " + endpoint_.url));
  if (resp.status != 200 && resp.status != 202) {
    // 2026-07-28 answers a refused request with 400 or 404 and its JSON-RPC
    // error: that error is the answer.
    Json error = Json::parse(body, nullptr, false);
    bool answers_us = request_id && error.is_object() && error.contains("error") &&
                      error.value("id", Json()) == *request_id;
    if (!answers_us) return HttpError(endpoint_.url, resp.status, body);
    return std::optional<Json>(std::move(error));
  }
  if (!streaming && !body.empty()) {
    for (Json& m : CORAL_TRY(MessagesFromBody(resp.header("Content-Type"), body))) {
      deliver(std::move(m));
    }
  }
  if (std::string id(resp.header("Mcp-Session-Id")); !id.empty()) {
    std::lock_guard lock(mu_);
    session_ = id;
  }
  if (!request_id) return std::optional<Json>();
  if (!response) {
    return Unavailable("the MCP server at " + endpoint_.url + " gave no response to " + method +
                       (resp.status == 202 ? " (HTTP 202)" : " (the stream ended first)"));
  }
  if (method == "initialize" && response->contains("result") && (*response)["result"].is_object() &&
      (*response)["result"].contains("protocolVersion") &&
      (*response)["result"]["protocolVersion"].is_string()) {
    std::lock_guard lock(mu_);
    version_ = (*response)["result"]["protocolVersion"].get<std::string>();
  }
  return response;
}

Result<Json> McpClient::Call(const std::string& method, Json params, const MessageFn& on_message) {
  if (stateless() && (params.is_null() || params.is_object())) {
    // What the handshake told the server once, every request tells it now.
    if (params.is_null()) params = Json::object();
    Json& meta = params["_meta"];
    meta[meta_key::kProtocolVersion] = std::string(kStatelessProtocolVersions[0]);
    meta[meta_key::kClientCapabilities] = Json::object();
    meta[meta_key::kClientInfo] = {{"name", options_.client_name},
                                   {"version", options_.client_version}};
  }
  Json request = {{"jsonrpc", "2.0"}, {"id", ++next_id_}, {"method", method}};
  if (!params.is_null()) request["params"] = std::move(params);
  std::optional<Json> answer = CORAL_TRY(Post(Serialize(request), on_message));
  if (answer->contains("result")) return (*answer)["result"];
  const Json& error = answer->value("error", Json::object());
  std::string text = error.is_object() ? error.value("message", error.dump()) : error.dump();
  return Unavailable(method + ": the MCP server answered with error " +
                     (error.is_object() ? error.value("code", Json(0)).dump() : "?") + ": " + text);
}

Result<Json> McpClient::Initialize() {
  Json result = CORAL_TRY(Call(
      "initialize",
      {{"protocolVersion", "2025-11-25"},
       {"capabilities", Json::object()},
       {"clientInfo", {{"name", options_.client_name}, {"version", options_.client_version}}}}));
  CORAL_TRY(Post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
  return result;
}

Result<Json> McpClient::Connect() {
  {
    std::lock_guard lock(mu_);
    stateless_ = true;
  }
  Result<Json> discovered = Call("server/discover", Json::object());
  if (discovered.ok() && discovered->is_object()) {
    for (const Json& v : discovered->value("supportedVersions", Json::array())) {
      if (v == kStatelessProtocolVersions[0]) {
        std::lock_guard lock(mu_);
        version_ = v.get<std::string>();
        return discovered;
      }
    }
  }
  {
    std::lock_guard lock(mu_);
    stateless_ = false;
  }
  // A token the server refuses is refused by initialize too: say so once.
  if (!discovered.ok() && (discovered.status().code() == StatusCode::kUnauthenticated ||
                           discovered.status().code() == StatusCode::kPermissionDenied)) {
    return discovered.status();
  }
  // Any other answer is a server before 2026-07-28 (an unsupported version
  // header, no server/discover, no session): the handshake it knows.
  return Initialize();
}

Result<std::vector<Json>> McpClient::ListTools() {
  std::vector<Json> tools;
  Json params = Json::object();
  // Bounded: a server that keeps handing out cursors does not keep us here.
  for (int page = 0; page < 100; ++page) {
    Json result = CORAL_TRY(Call("tools/list", params));
    for (const Json& t : result.value("tools", Json::array())) {
      tools.push_back(t);
      // Arguments the tool wants mirrored into Mcp-Param headers.
      if (!t.is_object() || !t.value("name", Json()).is_string()) continue;
      const Json& schema = t.value("inputSchema", Json::object());
      const Json& properties =
          schema.is_object() ? schema.value("properties", Json::object()) : Json::object();
      if (!properties.is_object()) continue;
      std::map<std::string, std::string> headers;
      for (const auto& [argument, schema] : properties.items()) {
        if (schema.is_object() && schema.value("x-mcp-header", Json()).is_string()) {
          headers[argument] = schema["x-mcp-header"].get<std::string>();
        }
      }
      std::lock_guard lock(mu_);
      param_headers_[t["name"].get<std::string>()] = std::move(headers);
    }
    if (!result.contains("nextCursor") || !result["nextCursor"].is_string()) return tools;
    params = {{"cursor", result["nextCursor"]}};
  }
  return ResourceExhausted("tools/list: the MCP server at " + endpoint_.url +
                           " still had more pages after 100");
}

Result<Json> McpClient::CallTool(const std::string& name, Json arguments,
                                 const MessageFn& on_message) {
  return Call("tools/call", {{"name", name}, {"arguments", std::move(arguments)}}, on_message);
}

void McpClient::Close() {
  std::string session;
  {
    std::lock_guard lock(mu_);
    session.swap(session_);
  }
  if (session.empty()) return;
  net::HttpClientRequest req{.method = "DELETE",
                             .url = endpoint_.url,
                             .timeout = std::chrono::seconds(10),
                             .ca_pem = endpoint_.ca_pem};
  req.headers = {{"Authorization", "Bearer " + endpoint_.token}, {"Mcp-Session-Id", session}};
  (void)net::HttpFetch(req);  // the server's idle timeout ends it otherwise
}

Result<std::vector<Json>> MessagesFromBody(std::string_view content_type, std::string_view body) {
  std::vector<Json> messages;
  if (MediaTypeIs(content_type, "text/event-stream")) {
    Status error;
    std::function<void(Json)> deliver = [&](Json m) { messages.push_back(std::move(m)); };
    net::SseParser sse = JsonEvents(deliver, error);
    (void)sse.Feed(body);
    CORAL_TRY(error);
    return messages;
  }
  Json m = Json::parse(body, nullptr, false);
  if (m.is_discarded()) {
    return Corruption("the MCP server's answer is not JSON: " + std::string(body.substr(0, 200)));
  }
  if (m.is_array()) {
    for (Json& each : m) messages.push_back(std::move(each));
  } else {
    messages.push_back(std::move(m));
  }
  return messages;
}

std::string ToolResultText(const Json& result) {
  std::string text;
  for (const Json& item : result.value("content", Json::array())) {
    if (!text.empty()) text += "\n";
    std::string type = item.value("type", "");
    if (type == "text") {
      text += item.value("text", "");
    } else {
      text += "[" + type + " content]";
    }
  }
  return text;
}

}  // namespace coral::mcp

#include "mcp/http_transport.h"

#include <algorithm>

#include "base/ids.h"
#include "base/log.h"

namespace coral::mcp {
namespace {

constexpr char kSessionHeader[] = "Mcp-Session-Id";
constexpr char kVersionHeader[] = "MCP-Protocol-Version";

// An HTTP error with a JSON-RPC error body (id null), which the spec allows
// and which clients can show.
net::HttpResponse HttpError(int status, std::string message,
                            int code = error_code::kInvalidRequest) {
  return net::HttpResponse::Json(
      status, Serialize(Message(MakeError(std::nullopt, code, std::move(message)))) + "\n");
}

net::HttpResponse JsonMessage(const Message& m) {
  return net::HttpResponse::Json(200, Serialize(m) + "\n");
}

net::HttpResponse Accepted() { return {.status = 202}; }

bool IsLoopbackOrigin(std::string_view origin) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (!origin.starts_with(scheme)) continue;
    std::string_view host = origin.substr(scheme.size());
    for (std::string_view loopback : {"localhost", "127.0.0.1", "[::1]"}) {
      if (host.starts_with(loopback)) {
        std::string_view rest = host.substr(loopback.size());
        if (rest.empty()) return true;
        if (rest[0] != ':' || rest.size() == 1) return false;
        return std::all_of(rest.begin() + 1, rest.end(),
                           [](char c) { return c >= '0' && c <= '9'; });
      }
    }
  }
  return false;
}

bool ContentTypeIsJson(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  std::string lower(media);
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  return lower == "application/json";
}

}  // namespace

McpHttpTransport::McpHttpTransport(McpServer& server, HttpTransportOptions options)
    : server_(server), options_(std::move(options)) {}

size_t McpHttpTransport::session_count() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

bool McpHttpTransport::OriginAllowed(std::string_view origin) const {
  if (options_.allow_loopback_origins && IsLoopbackOrigin(origin)) return true;
  return std::find(options_.allowed_origins.begin(), options_.allowed_origins.end(), origin) !=
         options_.allowed_origins.end();
}

net::HttpResponse McpHttpTransport::Handle(const net::HttpRequest& request) {
  if (request.path != options_.path) {
    return HttpError(404, "no MCP endpoint at " + request.path + "; use " + options_.path);
  }
  std::string_view origin = request.header("Origin");
  if (!origin.empty() && !OriginAllowed(origin)) {
    CORAL_LOG_WARN("mcp http: refused Origin {} from {}", origin, request.remote);
    return HttpError(403, "origin " + std::string(origin) + " is not allowed to use this server");
  }
  if (request.method == "POST") return Post(request);
  if (request.method == "DELETE") return Delete(request);
  net::HttpResponse r = HttpError(405, "method " + request.method +
                                           " not allowed: POST messages, DELETE ends a session "
                                           "(no GET stream: this server does not use SSE)");
  r.headers.emplace_back("Allow", "POST, DELETE");
  return r;
}

net::HttpResponse McpHttpTransport::Post(const net::HttpRequest& request) {
  if (request.body.size() > options_.max_message_bytes) {
    return HttpError(413, "message of " + std::to_string(request.body.size()) +
                              " bytes exceeds the limit of " +
                              std::to_string(options_.max_message_bytes));
  }
  if (std::string_view ct = request.header("Content-Type"); !ct.empty() && !ContentTypeIsJson(ct)) {
    return HttpError(415, "Content-Type must be application/json, got " + std::string(ct));
  }
  std::string_view version = request.header(kVersionHeader);
  if (!version.empty() && !IsSupportedProtocolVersion(version)) {
    return HttpError(400, "unsupported " + std::string(kVersionHeader) + ": " +
                              std::string(version) +
                              "; this server supports 2025-11-25, "
                              "2025-06-18 and 2025-03-26");
  }
  ParseResult parsed = ParseMessage(request.body);
  if (!parsed.ok()) {
    return net::HttpResponse::Json(400, Serialize(Message(*parsed.error)) + "\n");
  }
  const Message& message = *parsed.message;
  const auto* rpc_request = std::get_if<Request>(&message);

  if (rpc_request != nullptr && rpc_request->method == "initialize") {
    if (session_count() >= options_.max_sessions) {
      return HttpError(503, "too many MCP sessions (" + std::to_string(options_.max_sessions) +
                                "); end unused ones with DELETE");
    }
    // Nothing can reach the client outside a response without SSE.
    std::shared_ptr<McpSession> session = server_.NewSession(nullptr);
    std::optional<Message> answer = session->Handle(message);
    CORAL_CHECK(answer.has_value(), "initialize always gets an answer");
    net::HttpResponse response = JsonMessage(*answer);
    if (std::holds_alternative<Response>(*answer)) {
      std::string id = RandomHex(16);
      {
        std::lock_guard lock(mu_);
        sessions_.emplace(id, std::move(session));
      }
      response.headers.emplace_back(kSessionHeader, id);
    }
    return response;
  }

  std::string_view id = request.header(kSessionHeader);
  if (id.empty()) {
    return HttpError(400, std::string(kSessionHeader) +
                              " header required: send initialize first and echo the id it "
                              "returns");
  }
  std::shared_ptr<McpSession> session;
  {
    std::lock_guard lock(mu_);
    if (auto it = sessions_.find(id); it != sessions_.end()) session = it->second;
  }
  if (session == nullptr) {
    return HttpError(404, "session " + std::string(id) +
                              " not found (ended or never existed); initialize a new one");
  }
  if (!version.empty() && version != session->protocol_version()) {
    return HttpError(400, std::string(kVersionHeader) + " " + std::string(version) +
                              " differs from the session's negotiated version " +
                              session->protocol_version());
  }
  std::optional<Message> answer = session->Handle(message);
  if (rpc_request == nullptr || !answer) return Accepted();  // notification, response, cancelled
  return JsonMessage(*answer);
}

net::HttpResponse McpHttpTransport::Delete(const net::HttpRequest& request) {
  std::string_view id = request.header(kSessionHeader);
  if (id.empty()) return HttpError(400, std::string(kSessionHeader) + " header required");
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return HttpError(404, "session " + std::string(id) + " not found");
  sessions_.erase(it);
  return {.status = 200};
}

}  // namespace coral::mcp

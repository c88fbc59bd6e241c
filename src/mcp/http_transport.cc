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

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool ContentTypeIsJson(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return Lower(media) == "application/json";
}

// Clients list application/json and text/event-stream; any Accept that lets
// JSON through will do, since JSON is all this transport sends.
bool AcceptsJson(std::string_view accept) {
  std::string a = Lower(accept);
  return a.find("application/json") != std::string::npos ||
         a.find("application/*") != std::string::npos || a.find("*/*") != std::string::npos;
}

}  // namespace

McpHttpTransport::McpHttpTransport(McpServer& server, HttpTransportOptions options)
    : server_(server),
      options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : SystemClock::Get()) {}

std::shared_ptr<McpSession> McpHttpTransport::FindSession(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  it->second.last_used = clock_.Monotonic();
  return it->second.session;
}

void McpHttpTransport::EndIdleSessionsLocked(MonoTime now) {
  std::erase_if(sessions_, [&](const auto& kv) {
    return now - kv.second.last_used > options_.session_idle_timeout;
  });
}

size_t McpHttpTransport::session_count() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

bool McpHttpTransport::HostAllowed(std::string_view host) const {
  if (options_.allowed_hosts.empty()) return true;
  // "name:port", "[v6]:port" or either without the port.
  std::string_view name = host;
  if (name.starts_with('[')) {
    name = name.substr(0, name.find(']') + 1);
  } else {
    name = name.substr(0, name.find(':'));
  }
  std::string lower = Lower(name);
  return std::find(options_.allowed_hosts.begin(), options_.allowed_hosts.end(), lower) !=
         options_.allowed_hosts.end();
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
  if (std::string_view host = request.header("Host"); !HostAllowed(host)) {
    CORAL_LOG_WARN("mcp http: refused Host '{}' from {}", host, request.remote);
    return HttpError(403, "Host '" + std::string(host) +
                              "' is not a name this server answers to (DNS rebinding guard)");
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
  if (std::string_view accept = request.header("Accept"); !accept.empty() && !AcceptsJson(accept)) {
    return HttpError(406, "Accept must allow application/json (this server answers in JSON), got " +
                              std::string(accept));
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
    {
      std::lock_guard lock(mu_);
      EndIdleSessionsLocked(clock_.Monotonic());
      if (sessions_.size() >= options_.max_sessions) {
        return HttpError(503, "too many MCP sessions (" + std::to_string(options_.max_sessions) +
                                  "); end unused ones with DELETE");
      }
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
        sessions_.emplace(id, Entry{std::move(session), clock_.Monotonic()});
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
  std::shared_ptr<McpSession> session = FindSession(id);
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

#include "auth/mcp_gate.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <memory>
#include <string>

#include "base/json_text.h"

namespace coral::auth {

namespace {

using Json = nlohmann::json;

// The action a JSON-RPC message asks for, with its arguments for the audit
// log; no action for messages that only talk protocol (initialize, lists).
struct Asked {
  std::string action;
  Json arguments;
  Json id;
};

Asked WhatIsAsked(const net::HttpRequest& req) {
  Asked out;
  if (req.method != "POST") return out;
  Json message = Json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (!message.is_object() || !message.contains("method") || !message["method"].is_string()) {
    return out;
  }
  std::string method = message["method"];
  Json params = message.value("params", Json::object());
  if (!params.is_object()) params = Json::object();
  if (method == "tools/call") {
    Json name = params.value("name", Json());
    out.action = "tool:" + (name.is_string() ? name.get<std::string>() : std::string());
    out.arguments = params.value("arguments", Json::object());
  } else if (method == "resources/read") {
    out.action = "resource:read";
    out.arguments = params;
  } else if (method == "prompts/get") {
    out.action = "prompt:get";
    out.arguments = params;
  }
  out.id = message.value("id", Json());
  return out;
}

constexpr std::string_view kSessionHeader = "Mcp-Session-Id";

// Who made a session: the same caller comes back with the same credential.
std::string OwnerOf(const Caller& caller) {
  return std::string(CallerKindName(caller.kind)) + ":" + caller.id;
}

net::HttpResponse NoSuchSession(std::string_view id) {
  return net::HttpResponse::Json(
      404, JsonText(Json{{"jsonrpc", "2.0"},
                         {"id", nullptr},
                         {"error",
                          {{"code", -32600},
                           {"message", "session " + std::string(id.substr(0, 80)) +
                                           " not found (ended or never existed); initialize a "
                                           "new one"}}}}) +
               "\n");
}

}  // namespace

bool McpGate::Owns(const std::string& owner, std::string_view session) {
  std::lock_guard lock(mu_);
  auto it = owners_.find(session);
  return it != owners_.end() && it->second == owner;
}

void McpGate::Bind(const std::string& session, const std::string& owner) {
  std::lock_guard lock(mu_);
  if (owners_.emplace(session, owner).second) order_.push_back(session);
  while (owners_.size() > kMaxBoundSessions && !order_.empty()) {
    owners_.erase(order_.front());
    order_.pop_front();
  }
}

void McpGate::Forget(std::string_view session) {
  std::lock_guard lock(mu_);
  owners_.erase(std::string(session));  // order_ drops it when it comes round
}

net::HttpResponse McpGate::Handle(const net::HttpRequest& req) {
  auto caller = door_.Authenticate(FromHttp(req), "mcp");
  if (!caller.ok()) {
    net::HttpResponse r =
        net::HttpResponse::Json(401, JsonText(Json{{"error", caller.status().message()}}));
    r.headers.push_back({"WWW-Authenticate", "Bearer realm=\"coral\""});
    return r;
  }
  const std::string owner = OwnerOf(*caller);
  std::string_view session = req.header(kSessionHeader);
  if (!session.empty() && !Owns(owner, session)) {
    door_.Refuse(*caller, "mcp", JsonText(Json{{"session", session}}),
                 "an MCP session another caller made");
    return NoSuchSession(session);
  }
  Asked asked = WhatIsAsked(req);
  if (asked.action.empty()) {
    net::HttpResponse resp = transport_.Handle(req);
    if (session.empty()) {
      if (std::string_view made = net::FindHeader(resp.headers, kSessionHeader); !made.empty()) {
        Bind(std::string(made), owner);
      }
    } else if (req.method == "DELETE" && resp.status / 100 == 2) {
      Forget(session);
    }
    return resp;
  }
  auto pass = door_.Authorize(*caller, asked.action, JsonText(asked.arguments));
  if (!pass.ok()) {
    Json error = {
        {"jsonrpc", "2.0"},
        {"id", asked.id},
        {"error",
         {{"code", -32003}, {"message", "permission denied: " + pass.status().message()}}}};
    return net::HttpResponse::Json(200, JsonText(error));
  }
  // The answer may come later, on a stream: the audit entry is finished when
  // it exists, from whichever thread produced it.
  auto answered = std::make_shared<std::atomic<bool>>(false);
  net::HttpResponse resp = transport_.Handle(
      req, [this, pass = *pass, answered](const std::optional<mcp::Message>& answer) {
        answered->store(true);
        if (!answer) {
          door_.Finish(pass, 0, "cancelled by the client");
          return;
        }
        std::string error;
        if (const auto* e = std::get_if<mcp::ErrorResponse>(&*answer)) error = e->error.message;
        door_.Finish(pass, static_cast<int64_t>(mcp::Serialize(*answer).size()), error);
      });
  if (!answered->load() && !resp.stream) {
    // Refused by the transport before it ran (a bad session, version or size).
    door_.Finish(*pass, 0, "HTTP " + std::to_string(resp.status));
  }
  return resp;
}

}  // namespace coral::auth

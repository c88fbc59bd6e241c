#include "llm/chat.h"

namespace coral::llm {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kUser:
      return "user";
    case Role::kAssistant:
      return "assistant";
    case Role::kTool:
      return "tool";
  }
  return "user";
}

ChatMessage ChatMessage::User(std::string text) {
  ChatMessage m;
  m.role = Role::kUser;
  m.text = std::move(text);
  return m;
}

ParsedArguments ParseArguments(const ToolCall& call) {
  std::string_view text = call.arguments;
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return {Json::object(), ""};
  Json value;
  std::string why;
  try {
    value = Json::parse(text);
  } catch (const Json::parse_error& e) {
    why = e.what();
  }
  if (why.empty() && value.is_object()) return {std::move(value), ""};
  if (why.empty()) why = "they are a JSON " + std::string(value.type_name()) + ", not an object";
  std::string shown(text.substr(0, 300));
  return {Json(), "the arguments for " + call.name + " are not a JSON object (" + why +
                      "): " + shown + "\nCall " + call.name +
                      " again with its arguments as one JSON object that matches its schema."};
}

Json MessageToJson(const ChatMessage& m) {
  Json j = {{"role", RoleName(m.role)}, {"text", m.text}};
  if (m.role == Role::kAssistant && !m.tool_calls.empty()) {
    Json calls = Json::array();
    for (const auto& c : m.tool_calls) {
      calls.push_back({{"id", c.id}, {"name", c.name}, {"arguments", c.arguments}});
    }
    j["tool_calls"] = calls;
  }
  if (m.role == Role::kTool) {
    j["tool_call_id"] = m.tool_call_id;
    j["tool_name"] = m.tool_name;
    j["is_error"] = m.is_error;
  }
  return j;
}

bool MessageFromJson(const Json& j, ChatMessage& out, std::string& error) {
  if (!j.is_object() || !j.contains("role") || !j["role"].is_string()) {
    error = "a message without a role";
    return false;
  }
  std::string role = j["role"];
  if (role == "user") {
    out.role = Role::kUser;
  } else if (role == "assistant") {
    out.role = Role::kAssistant;
  } else if (role == "tool") {
    out.role = Role::kTool;
  } else {
    error = "unknown role '" + role + "'";
    return false;
  }
  try {
    out.text = j.value("text", "");
    for (const auto& c : j.value("tool_calls", Json::array())) {
      out.tool_calls.push_back({c.value("id", ""), c.value("name", ""), c.value("arguments", "")});
    }
    out.tool_call_id = j.value("tool_call_id", "");
    out.tool_name = j.value("tool_name", "");
    out.is_error = j.value("is_error", false);
  } catch (const Json::exception& e) {
    error = e.what();
    return false;
  }
  return true;
}

}  // namespace coral::llm

// A conversation with a model as Coral keeps it, independent of any
// provider's wire format: messages with text, the tool calls an assistant
// made and the results that answered them. Each provider (openai.cc,
// anthropic.cc, ollama.cc) translates these to and from its own JSON.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace coral::llm {

using Json = nlohmann::json;

enum class Role { kUser, kAssistant, kTool };

std::string_view RoleName(Role role);

struct ToolCall {
  std::string id;
  std::string name;
  // The arguments exactly as the model wrote them: JSON text that should be
  // an object, but a model may send anything.
  std::string arguments;

  bool operator==(const ToolCall&) const = default;
};

struct ChatMessage {
  Role role = Role::kUser;
  std::string text;                  // user question, assistant text, tool result
  std::vector<ToolCall> tool_calls;  // kAssistant: the calls it asked for
  std::string tool_call_id;          // kTool: the call this answers
  std::string tool_name;             // kTool
  bool is_error = false;             // kTool: the call failed

  bool operator==(const ChatMessage&) const = default;

  static ChatMessage User(std::string text);
};

// A tool the model may call: the MCP tool's name, description and input
// JSON Schema, passed through as the colony serves them.
struct ToolSpec {
  std::string name;
  std::string description;
  Json input_schema;
};

enum class ToolChoice {
  kAuto,  // the model decides
  kNone,  // it must answer in text (the summary call at the end of a bounded loop)
};

struct ChatRequest {
  std::string system;
  std::vector<ChatMessage> messages;
  std::vector<ToolSpec> tools;
  ToolChoice tool_choice = ToolChoice::kAuto;
};

struct ChatResponse {
  std::string text;
  std::vector<ToolCall> tool_calls;
  std::string stop_reason;  // as the provider named it: "stop", "tool_calls", "end_turn", ...
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
};

// Receives the answer's text as it streams in.
using TextFn = std::function<void(std::string_view text)>;

// The JSON value of a tool call's arguments when they are an object ("" is
// {}); a tool error message for the model otherwise.
struct ParsedArguments {
  Json value;
  std::string error;  // empty when value is an object
};
ParsedArguments ParseArguments(const ToolCall& call);

// Conversation messages as JSON and back (how conversations are saved).
Json MessageToJson(const ChatMessage& message);
bool MessageFromJson(const Json& json, ChatMessage& out, std::string& error);

}  // namespace coral::llm

// Anthropic's Messages API (POST {base}/v1/messages, x-api-key,
// anthropic-version 2023-06-01). The system prompt is a top-level field;
// tool calls are tool_use blocks in the assistant's content and their
// results tool_result blocks in the next user message. Streams as SSE:
// message_start, content_block_start / _delta (text_delta, input_json_delta)
// / _stop per block, message_delta (stop_reason), message_stop; ping and
// error events may come at any point.
#include "llm/stream_util.h"

namespace coral::llm {

namespace {

class AnthropicDecoder : public JsonStreamDecoder {
 public:
  explicit AnthropicDecoder(TextFn on_text)
      : JsonStreamDecoder(Framing::kSse, std::move(on_text)) {}

 private:
  std::string Missing() const override { return stopped_ ? "" : "message_stop"; }

  bool OnObject(const Json& e) override {
    std::string type = e.value("type", "");
    if (type == "message_start") {
      const Json& usage = e.value("message", Json::object()).value("usage", Json::object());
      response_.input_tokens = usage.value("input_tokens", int64_t{0});
    } else if (type == "content_block_start") {
      const Json& block = e.value("content_block", Json::object());
      if (block.value("type", "") == "tool_use") {
        calls_[e.value("index", 0)] = {block.value("id", ""), block.value("name", ""), ""};
      }
    } else if (type == "content_block_delta") {
      const Json& delta = e.value("delta", Json::object());
      std::string kind = delta.value("type", "");
      if (kind == "text_delta") {
        Text(delta.value("text", ""));
      } else if (kind == "input_json_delta") {
        auto it = calls_.find(e.value("index", 0));
        if (it != calls_.end()) it->second.arguments += delta.value("partial_json", "");
      }
    } else if (type == "message_delta") {
      const Json& delta = e.value("delta", Json::object());
      if (delta.contains("stop_reason") && delta["stop_reason"].is_string()) {
        response_.stop_reason = delta["stop_reason"];
      }
      response_.output_tokens =
          e.value("usage", Json::object()).value("output_tokens", response_.output_tokens);
    } else if (type == "message_stop") {
      stopped_ = true;
    }
    return true;  // ping, content_block_stop and event types added later
  }

  bool stopped_ = false;
};

class AnthropicProvider : public Provider {
 public:
  using Provider::Provider;
  Json Body(const ChatRequest& request) const override;
  std::unique_ptr<StreamDecoder> NewDecoder(TextFn on_text) const override {
    return std::make_unique<AnthropicDecoder>(std::move(on_text));
  }

 protected:
  std::string Url() const override;
  net::Headers Headers(const std::string& key) const override;
};

constexpr char kAnthropicVersion[] = "2023-06-01";

// Anthropic wants user and assistant turns to alternate: tool results and a
// following user note share one user message.
void Append(Json& messages, const std::string& role, Json block) {
  if (!messages.empty() && messages.back()["role"] == role) {
    messages.back()["content"].push_back(std::move(block));
  } else {
    messages.push_back({{"role", role}, {"content", Json::array({std::move(block)})}});
  }
}

}  // namespace

std::string AnthropicProvider::Url() const { return settings().base_url + "/v1/messages"; }

net::Headers AnthropicProvider::Headers(const std::string& key) const {
  net::Headers h = {{"Content-Type", "application/json"},
                    {"Accept", "text/event-stream"},
                    {"anthropic-version", kAnthropicVersion}};
  if (!key.empty()) h.push_back({"x-api-key", key});
  return h;
}

Json AnthropicProvider::Body(const ChatRequest& request) const {
  Json messages = Json::array();
  for (const ChatMessage& m : request.messages) {
    switch (m.role) {
      case Role::kUser:
        Append(messages, "user", {{"type", "text"}, {"text", m.text}});
        break;
      case Role::kAssistant:
        if (!m.text.empty()) Append(messages, "assistant", {{"type", "text"}, {"text", m.text}});
        for (const ToolCall& c : m.tool_calls) {
          Append(messages, "assistant",
                 {{"type", "tool_use"},
                  {"id", c.id},
                  {"name", c.name},
                  {"input", ArgumentsObject(c)}});
        }
        break;
      case Role::kTool: {
        Json block = {
            {"type", "tool_result"}, {"tool_use_id", m.tool_call_id}, {"content", m.text}};
        if (m.is_error) block["is_error"] = true;
        Append(messages, "user", std::move(block));
        break;
      }
    }
  }
  Json body = {{"model", settings().spec.model}, {"max_tokens", settings().max_tokens}};
  if (!request.system.empty()) body["system"] = request.system;
  body["messages"] = messages;
  if (!request.tools.empty()) {
    Json tools = Json::array();
    for (const ToolSpec& t : request.tools) {
      tools.push_back(
          {{"name", t.name}, {"description", t.description}, {"input_schema", t.input_schema}});
    }
    body["tools"] = tools;
    // The history holds tool_use blocks, so the tools stay declared; "none"
    // forbids new calls.
    if (request.tool_choice == ToolChoice::kNone) body["tool_choice"] = {{"type", "none"}};
  }
  body["stream"] = true;
  return body;
}

std::unique_ptr<Provider> NewAnthropicProvider(ProviderSettings settings) {
  return std::make_unique<AnthropicProvider>(std::move(settings));
}

}  // namespace coral::llm

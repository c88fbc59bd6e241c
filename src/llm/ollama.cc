// Ollama's chat API (POST {OLLAMA_HOST}/api/chat). No key. Streams NDJSON:
// one JSON object per line, each with a piece of message.content; tool calls
// arrive whole in message.tool_calls (arguments as an object; ids only from
// newer versions, the tool loop numbers the rest); the last line has
// "done": true and done_reason. An error is a line {"error": "..."}.
#include "llm/stream_util.h"

namespace coral::llm {

namespace {

class OllamaDecoder : public JsonStreamDecoder {
 public:
  explicit OllamaDecoder(TextFn on_text)
      : JsonStreamDecoder(Framing::kNdjson, std::move(on_text)) {}

 private:
  std::string Missing() const override { return done_ ? "" : "a line with \"done\": true"; }

  bool OnObject(const Json& chunk) override {
    const Json& message = chunk.value("message", Json::object());
    if (message.contains("content") && message["content"].is_string()) Text(message["content"]);
    for (const Json& call : message.value("tool_calls", Json::array())) {
      const Json& fn = call.value("function", Json::object());
      const Json& args = fn.value("arguments", Json::object());
      // Older Ollama versions send no ids; the tool loop numbers those.
      std::string id =
          call.contains("id") && call["id"].is_string() ? call["id"].get<std::string>() : "";
      calls_[static_cast<int>(calls_.size())] = {
          id, fn.value("name", ""), args.is_string() ? args.get<std::string>() : args.dump()};
    }
    if (chunk.value("done", false)) {
      done_ = true;
      response_.stop_reason = chunk.value("done_reason", "stop");
      response_.input_tokens = chunk.value("prompt_eval_count", int64_t{0});
      response_.output_tokens = chunk.value("eval_count", int64_t{0});
    }
    return true;
  }

  bool done_ = false;
};

class OllamaProvider : public Provider {
 public:
  using Provider::Provider;
  Json Body(const ChatRequest& request) const override;
  std::unique_ptr<StreamDecoder> NewDecoder(TextFn on_text) const override {
    return std::make_unique<OllamaDecoder>(std::move(on_text));
  }

 protected:
  std::string Url() const override;
  net::Headers Headers(const std::string& key) const override;
};

}  // namespace

std::string OllamaProvider::Url() const { return settings().base_url + "/api/chat"; }

net::Headers OllamaProvider::Headers(const std::string& key) const {
  net::Headers h = {{"Content-Type", "application/json"}};
  // Ollama itself takes no key; a proxy in front of it may want one.
  if (!key.empty()) h.push_back({"Authorization", "Bearer " + key});
  return h;
}

Json OllamaProvider::Body(const ChatRequest& request) const {
  Json messages = ChatStyleMessages(
      request,
      [](const ChatMessage& m) {
        Json msg = {{"role", "assistant"}, {"content", m.text}};
        for (const ToolCall& c : m.tool_calls) {
          msg["tool_calls"].push_back(
              {{"function", {{"name", c.name}, {"arguments", ArgumentsObject(c)}}}});
        }
        return msg;
      },
      [](const ChatMessage& m) {
        return Json{
            {"role", "tool"}, {"tool_name", m.tool_name}, {"content", ToolResultForModel(m)}};
      });
  Json body = {{"model", settings().spec.model}, {"messages", messages}};
  // Ollama has no tool_choice: the summary call leaves the tools out.
  if (!request.tools.empty() && request.tool_choice == ToolChoice::kAuto) {
    body["tools"] = FunctionTools(request.tools);
  }
  body["stream"] = true;
  return body;
}

std::unique_ptr<Provider> NewOllamaProvider(ProviderSettings settings) {
  return std::make_unique<OllamaProvider>(std::move(settings));
}

}  // namespace coral::llm

// OpenAI Chat Completions (POST {base}/chat/completions), the format most
// servers speak: vLLM, LM Studio, llama.cpp server, OpenRouter. Streams as
// SSE: chunks whose choices[0].delta carries text and tool-call fragments
// (id and name first, arguments in pieces, matched by index), ending with
// "data: [DONE]".
#include "llm/stream_util.h"

namespace coral::llm {

namespace {

class OpenAiDecoder : public JsonStreamDecoder {
 public:
  explicit OpenAiDecoder(TextFn on_text) : JsonStreamDecoder(Framing::kSse, std::move(on_text)) {}

 private:
  bool OnOther(std::string_view data) override {
    if (data != "[DONE]") return false;
    done_ = true;
    return true;
  }

  std::string Missing() const override {
    return done_ || finished_ ? "" : "a finish_reason or [DONE]";
  }

  bool OnObject(const Json& chunk) override {
    if (chunk.contains("usage") && chunk["usage"].is_object()) {
      response_.input_tokens = chunk["usage"].value("prompt_tokens", int64_t{0});
      response_.output_tokens = chunk["usage"].value("completion_tokens", int64_t{0});
    }
    if (!chunk.contains("choices") || !chunk["choices"].is_array() || chunk["choices"].empty()) {
      return true;  // the usage chunk at the end has no choices
    }
    const Json& choice = chunk["choices"][0];
    if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) {
      response_.stop_reason = choice["finish_reason"];
      finished_ = true;
    }
    const Json& delta = choice.value("delta", Json::object());
    if (delta.contains("content") && delta["content"].is_string()) Text(delta["content"]);
    for (const Json& part : delta.value("tool_calls", Json::array())) {
      int index = part.value("index", static_cast<int>(calls_.size()));
      ToolCall& call = calls_[index];
      if (part.contains("id") && part["id"].is_string()) call.id = part["id"];
      const Json& fn = part.value("function", Json::object());
      if (fn.contains("name") && fn["name"].is_string()) call.name += fn["name"].get<std::string>();
      if (fn.contains("arguments") && fn["arguments"].is_string()) {
        call.arguments += fn["arguments"].get<std::string>();
      }
    }
    return true;
  }

  bool done_ = false, finished_ = false;
};

class OpenAiProvider : public Provider {
 public:
  using Provider::Provider;
  Json Body(const ChatRequest& request) const override;
  std::unique_ptr<StreamDecoder> NewDecoder(TextFn on_text) const override {
    return std::make_unique<OpenAiDecoder>(std::move(on_text));
  }

 protected:
  std::string Url() const override;
  net::Headers Headers(const std::string& key) const override;
};

}  // namespace

std::string OpenAiProvider::Url() const { return settings().base_url + "/chat/completions"; }

net::Headers OpenAiProvider::Headers(const std::string& key) const {
  net::Headers h = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}};
  if (!key.empty()) h.push_back({"Authorization", "Bearer " + key});
  return h;
}

Json OpenAiProvider::Body(const ChatRequest& request) const {
  Json messages = ChatStyleMessages(
      request,
      [](const ChatMessage& m) {
        Json msg = {{"role", "assistant"}, {"content", m.text.empty() ? Json() : Json(m.text)}};
        for (const ToolCall& c : m.tool_calls) {
          msg["tool_calls"].push_back(
              {{"id", c.id},
               {"type", "function"},
               {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
        }
        return msg;
      },
      [](const ChatMessage& m) {
        return Json{
            {"role", "tool"}, {"tool_call_id", m.tool_call_id}, {"content", ToolResultForModel(m)}};
      });
  Json body = {{"model", settings().spec.model}, {"messages", messages}};
  if (!request.tools.empty()) {
    body["tools"] = FunctionTools(request.tools);
    if (request.tool_choice == ToolChoice::kNone) body["tool_choice"] = "none";
  }
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  return body;
}

std::unique_ptr<Provider> NewOpenAiProvider(ProviderSettings settings) {
  return std::make_unique<OpenAiProvider>(std::move(settings));
}

}  // namespace coral::llm

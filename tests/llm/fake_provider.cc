#include "fake_provider.h"

#include "base/check.h"

namespace coral::llm::testing {

namespace {

// Splits text into pieces of a few characters, as models stream tokens.
std::vector<std::string> Pieces(const std::string& text, size_t size = 7) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size(); i += size) out.push_back(text.substr(i, size));
  return out;
}

std::string SseData(const Json& data) { return "data: " + data.dump() + "\n\n"; }
std::string SseEvent(const std::string& type, const Json& data) {
  return "event: " + type + "\n" + SseData(data);
}

Json OpenAiChunk(Json delta, Json finish_reason = nullptr) {
  return {
      {"id", "chatcmpl-fake"},
      {"object", "chat.completion.chunk"},
      {"created", 1700000000},
      {"model", "fake"},
      {"choices", {{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", finish_reason}}}}};
}

Json OllamaLine(Json message, bool done) {
  Json line = {{"model", "fake"},
               {"created_at", "2026-11-22T00:00:00Z"},
               {"message", std::move(message)},
               {"done", done}};
  if (done) {
    line["done_reason"] = "stop";
    line["total_duration"] = 1000;
    line["prompt_eval_count"] = 42;
    line["eval_count"] = 7;
  }
  return line;
}

}  // namespace

FakeProvider::FakeProvider(Wire wire) : wire_(wire) {
  auto http = net::HttpServer::Start({.threads = 2},
                                     [this](const net::HttpRequest& r) { return Handle(r); });
  CORAL_CHECK(http.ok(), "fake provider: " + http.status().ToString());
  http_ = std::move(*http);
}

FakeProvider::~FakeProvider() { http_->Stop(); }

std::string FakeProvider::base_url() const {
  std::string root = "http://127.0.0.1:" + std::to_string(http_->port());
  return wire_ == Wire::kOpenAi ? root + "/v1" : root;
}

std::string WireName(Wire wire) {
  switch (wire) {
    case Wire::kOpenAi:
      return "OpenAi";
    case Wire::kAnthropic:
      return "Anthropic";
    case Wire::kOllama:
      return "Ollama";
  }
  return "";
}

std::string FakeProvider::provider() const {
  switch (wire_) {
    case Wire::kOpenAi:
      return "openai";
    case Wire::kAnthropic:
      return "anthropic";
    case Wire::kOllama:
      return "ollama";
  }
  return "";
}

std::string FakeProvider::path() const {
  switch (wire_) {
    case Wire::kOpenAi:
      return "/v1/chat/completions";
    case Wire::kAnthropic:
      return "/v1/messages";
    case Wire::kOllama:
      return "/api/chat";
  }
  return "";
}

std::vector<std::pair<std::string, std::string>> FakeProvider::env() const {
  switch (wire_) {
    case Wire::kOpenAi:
      return {{"OPENAI_BASE_URL", base_url()}, {"OPENAI_API_KEY", "sk-fake-openai-key"}};
    case Wire::kAnthropic:
      return {{"ANTHROPIC_BASE_URL", base_url()}, {"ANTHROPIC_API_KEY", "sk-ant-fake-key"}};
    case Wire::kOllama:
      return {{"OLLAMA_HOST", "127.0.0.1:" + std::to_string(http_->port())}};
  }
  return {};
}

void FakeProvider::Push(Reply reply) {
  std::lock_guard lock(mu_);
  replies_.push_back(std::move(reply));
}

std::vector<net::HttpRequest> FakeProvider::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::vector<Json> FakeProvider::bodies() const {
  std::vector<Json> out;
  for (const auto& r : requests()) out.push_back(Json::parse(r.body, nullptr, false));
  return out;
}

net::HttpResponse FakeProvider::Handle(const net::HttpRequest& request) {
  std::lock_guard lock(mu_);
  requests_.push_back(request);
  if (request.method != "POST" || request.path != path()) {
    return net::HttpResponse::Json(404, R"({"error":"fake provider: no such endpoint"})");
  }
  if (replies_.empty()) {
    return net::HttpResponse::Json(400, R"({"error":"fake provider: no scripted reply left"})");
  }
  Reply reply = std::move(replies_.front());
  replies_.pop_front();
  net::HttpResponse response{.status = reply.status, .headers = reply.headers};
  response.body = std::move(reply.body);
  return response;
}

Reply FakeProvider::Text(const std::string& text) const { return Answer({}, text); }

Reply FakeProvider::ToolCalls(const std::vector<ScriptedCall>& calls,
                              const std::string& text) const {
  return Answer(calls, text);
}

Reply FakeProvider::Answer(const std::vector<ScriptedCall>& calls, const std::string& text) const {
  Reply r;
  bool tools = !calls.empty();
  switch (wire_) {
    case Wire::kOpenAi:
      r.headers = {{"Content-Type", "text/event-stream"}};
      r.body =
          SseData(OpenAiChunk({{"role", "assistant"}, {"content", tools ? Json() : Json("")}}));
      for (const auto& p : Pieces(text)) r.body += SseData(OpenAiChunk({{"content", p}}));
      for (size_t i = 0; i < calls.size(); ++i) {
        r.body += SseData(
            OpenAiChunk({{"tool_calls",
                          {{{"index", i},
                            {"id", calls[i].id},
                            {"type", "function"},
                            {"function", {{"name", calls[i].name}, {"arguments", ""}}}}}}}));
        for (const auto& p : Pieces(calls[i].arguments, 5)) {
          r.body += SseData(
              OpenAiChunk({{"tool_calls", {{{"index", i}, {"function", {{"arguments", p}}}}}}}));
        }
      }
      r.body += SseData(OpenAiChunk(Json::object(), tools ? "tool_calls" : "stop"));
      r.body += SseData({{"id", "chatcmpl-fake"},
                         {"object", "chat.completion.chunk"},
                         {"choices", Json::array()},
                         {"usage", {{"prompt_tokens", 42}, {"completion_tokens", 7}}}});
      r.body += "data: [DONE]\n\n";
      break;
    case Wire::kAnthropic: {
      r.headers = {{"Content-Type", "text/event-stream"}};
      r.body =
          SseEvent("message_start", {{"type", "message_start"},
                                     {"message",
                                      {{"id", "msg_fake"},
                                       {"type", "message"},
                                       {"role", "assistant"},
                                       {"content", Json::array()},
                                       {"model", "fake"},
                                       {"stop_reason", nullptr},
                                       {"usage", {{"input_tokens", 42}, {"output_tokens", 1}}}}}});
      r.body += SseEvent("ping", {{"type", "ping"}});
      // One content block per piece of the answer, each streamed in deltas.
      auto block = [&](int index, const Json& start, const std::string& content,
                       const std::string& delta_type, const std::string& field, size_t size) {
        r.body +=
            SseEvent("content_block_start",
                     {{"type", "content_block_start"}, {"index", index}, {"content_block", start}});
        for (const auto& p : Pieces(content, size)) {
          r.body +=
              SseEvent("content_block_delta", {{"type", "content_block_delta"},
                                               {"index", index},
                                               {"delta", {{"type", delta_type}, {field, p}}}});
        }
        r.body +=
            SseEvent("content_block_stop", {{"type", "content_block_stop"}, {"index", index}});
      };
      int index = 0;
      if (!text.empty() || !tools) {
        block(index++, {{"type", "text"}, {"text", ""}}, text, "text_delta", "text", 7);
      }
      for (const auto& c : calls) {
        block(index++,
              {{"type", "tool_use"}, {"id", c.id}, {"name", c.name}, {"input", Json::object()}},
              c.arguments, "input_json_delta", "partial_json", 5);
      }
      r.body += SseEvent(
          "message_delta",
          {{"type", "message_delta"},
           {"delta",
            {{"stop_reason", tools ? "tool_use" : "end_turn"}, {"stop_sequence", nullptr}}},
           {"usage", {{"output_tokens", 20}}}});
      r.body += SseEvent("message_stop", {{"type", "message_stop"}});
      break;
    }
    case Wire::kOllama: {
      r.headers = {{"Content-Type", "application/x-ndjson"}};
      for (const auto& p : Pieces(text)) {
        r.body += OllamaLine({{"role", "assistant"}, {"content", p}}, false).dump() + "\n";
      }
      if (tools) {
        Json tool_calls = Json::array();
        for (const auto& c : calls) {
          // Ollama sends arguments as an object; a model's broken JSON arrives
          // as a string (what some Ollama versions pass through).
          Json args = Json::parse(c.arguments, nullptr, false);
          tool_calls.push_back(
              {{"function",
                {{"name", c.name}, {"arguments", args.is_object() ? args : Json(c.arguments)}}}});
        }
        r.body +=
            OllamaLine({{"role", "assistant"}, {"content", ""}, {"tool_calls", tool_calls}}, false)
                .dump() +
            "\n";
      }
      r.body += OllamaLine({{"role", "assistant"}, {"content", ""}}, true).dump() + "\n";
      break;
    }
  }
  return r;
}

Reply FakeProvider::Error(int status, const std::string& message, net::Headers headers) const {
  Reply r{.status = status, .headers = std::move(headers)};
  r.headers.push_back({"Content-Type", "application/json"});
  switch (wire_) {
    case Wire::kOpenAi:
      r.body = Json{{"error",
                     {{"message", message}, {"type", "invalid_request_error"}, {"code", nullptr}}}}
                   .dump();
      break;
    case Wire::kAnthropic:
      r.body =
          Json{{"type", "error"}, {"error", {{"type", "api_error"}, {"message", message}}}}.dump();
      break;
    case Wire::kOllama:
      r.body = Json{{"error", message}}.dump();
      break;
  }
  return r;
}

}  // namespace coral::llm::testing

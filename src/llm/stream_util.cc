#include "llm/stream_util.h"

namespace coral::llm {

bool LineSplitter::Feed(std::string_view bytes) {
  if (stopped_) return false;
  size_t start = 0;
  for (size_t nl = bytes.find('\n'); nl != std::string_view::npos; nl = bytes.find('\n', start)) {
    partial_.append(bytes.substr(start, nl - start));
    start = nl + 1;
    std::string line = std::move(partial_);
    partial_.clear();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!on_line_(line)) {
      stopped_ = true;
      return false;
    }
  }
  partial_.append(bytes.substr(start));
  return true;
}

bool LineSplitter::Finish() {
  if (stopped_ || partial_.empty()) return !stopped_;
  std::string line = std::move(partial_);
  partial_.clear();
  return on_line_(line);
}

JsonStreamDecoder::JsonStreamDecoder(Framing framing, TextFn on_text)
    : on_text_(std::move(on_text)) {
  if (framing == Framing::kSse) {
    sse_.emplace([this](const net::SseEvent& e) { return Record(e.data); });
  } else {
    lines_.emplace([this](std::string_view line) { return Record(line); });
  }
}

Status JsonStreamDecoder::Feed(std::string_view bytes) {
  if (sse_) {
    sse_->Feed(bytes);
  } else {
    lines_->Feed(bytes);
  }
  return error_;
}

Result<ChatResponse> JsonStreamDecoder::Finish() {
  if (lines_) lines_->Finish();
  CORAL_TRY(error_);
  if (std::string missing = Missing(); !missing.empty()) {
    return Corruption("the stream ended before " + missing);
  }
  for (auto& [index, call] : calls_) response_.tool_calls.push_back(std::move(call));
  calls_.clear();
  return response_;
}

void JsonStreamDecoder::Text(const std::string& text) {
  response_.text += text;
  if (on_text_ && !text.empty()) on_text_(text);
}

bool JsonStreamDecoder::Record(std::string_view data) {
  if (data.find_first_not_of(" \t") == std::string_view::npos || OnOther(data)) return true;
  Json object = Json::parse(data, nullptr, false);
  if (!object.is_object()) {
    error_ = Corruption("a stream record that is not a JSON object: " +
                        std::string(data.substr(0, 200)));
    return false;
  }
  if (object.contains("error")) {
    error_ = Unavailable("error in the stream: " + ProviderErrorText(data));
    return false;
  }
  if (!OnObject(object)) {
    error_ =
        Corruption("a stream record this decoder cannot use: " + std::string(data.substr(0, 200)));
    return false;
  }
  return true;
}

std::string ToolResultForModel(const ChatMessage& m) {
  return m.is_error ? "Error: " + m.text : m.text;
}

Json ArgumentsObject(const ToolCall& call) {
  ParsedArguments parsed = ParseArguments(call);
  return parsed.error.empty() ? parsed.value : Json::object();
}

Json ChatStyleMessages(const ChatRequest& request,
                       const std::function<Json(const ChatMessage&)>& assistant,
                       const std::function<Json(const ChatMessage&)>& tool_result) {
  Json messages = Json::array();
  if (!request.system.empty()) {
    messages.push_back({{"role", "system"}, {"content", request.system}});
  }
  for (const ChatMessage& m : request.messages) {
    switch (m.role) {
      case Role::kUser:
        messages.push_back({{"role", "user"}, {"content", m.text}});
        break;
      case Role::kAssistant:
        messages.push_back(assistant(m));
        break;
      case Role::kTool:
        messages.push_back(tool_result(m));
        break;
    }
  }
  return messages;
}

Json FunctionTools(const std::vector<ToolSpec>& tools) {
  Json out = Json::array();
  for (const ToolSpec& t : tools) {
    out.push_back(
        {{"type", "function"},
         {"function",
          {{"name", t.name}, {"description", t.description}, {"parameters", t.input_schema}}}});
  }
  return out;
}

}  // namespace coral::llm

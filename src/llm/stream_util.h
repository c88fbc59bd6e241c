// Pieces the providers share: the decoder frame for streams of JSON objects
// (SSE events or NDJSON lines), and how a tool result, a tool call's
// arguments and the tool list are written where wire formats agree.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llm/chat.h"
#include "llm/provider.h"
#include "net/sse_parser.h"

namespace coral::llm {

// Splits a byte stream into lines ("\n" or "\r\n"), whatever the pieces.
class LineSplitter {
 public:
  using LineFn = std::function<bool(std::string_view line)>;
  explicit LineSplitter(LineFn on_line) : on_line_(std::move(on_line)) {}
  // False once on_line returned false.
  bool Feed(std::string_view bytes);
  // The last line when the stream did not end with a newline.
  bool Finish();

 private:
  LineFn on_line_;
  std::string partial_;
  bool stopped_ = false;
};

enum class Framing { kSse, kNdjson };

// A stream of JSON objects, one per SSE event or NDJSON line. An object with
// an "error" member is the provider reporting a failure mid-stream.
class JsonStreamDecoder : public StreamDecoder {
 public:
  JsonStreamDecoder(Framing framing, TextFn on_text);
  Status Feed(std::string_view bytes) override;
  Result<ChatResponse> Finish() override;

 protected:
  // One object of the stream; false stops it (the answer is then corrupt).
  virtual bool OnObject(const Json& object) = 0;
  // A record that is not JSON but means something ("[DONE]"): true.
  virtual bool OnOther(std::string_view) { return false; }
  // "" when the stream ended where the format says it ends; else what is missing.
  virtual std::string Missing() const = 0;
  // Appends text to the answer and streams it.
  void Text(const std::string& text);

  ChatResponse response_;
  std::map<int, ToolCall> calls_;  // by their index in the stream; in order at Finish

 private:
  bool Record(std::string_view data);

  TextFn on_text_;
  std::optional<net::SseParser> sse_;
  std::optional<LineSplitter> lines_;
  Status error_;
};

// A tool result as text, marked when it is an error (for formats with no
// error flag: OpenAI, Ollama).
std::string ToolResultForModel(const ChatMessage& tool_message);

// A tool call's arguments as a JSON object for formats that carry objects
// (Anthropic, Ollama); {} when the model's text was not one (the tool error
// that answered it says so).
Json ArgumentsObject(const ToolCall& call);

// Messages as OpenAI and Ollama take them: the system prompt first, then
// {"role":"user","content":...}; assistant turns and tool results in each
// format's own shape.
Json ChatStyleMessages(const ChatRequest& request,
                       const std::function<Json(const ChatMessage&)>& assistant,
                       const std::function<Json(const ChatMessage&)>& tool_result);

// Tools as OpenAI and Ollama declare them: {"type":"function","function":
// {"name","description","parameters"}}.
Json FunctionTools(const std::vector<ToolSpec>& tools);

}  // namespace coral::llm

// The investigation loop behind `coral ask`: the model answers or asks for
// tools; Coral runs the calls (several at once when the model asks for
// several), feeds the results back and asks again, until the model answers
// in text or a bound is hit: the step limit (model calls that may use
// tools) or the context budget (a size estimate of what is sent). At a bound
// the model gets one last call without tools, asked for a summary answer.
//
// Tool results larger than max_tool_result_chars are cut, with a note the
// model reads; arguments that are not a JSON object, and unknown tools, are
// answered with a tool error so the model can correct itself.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "llm/chat.h"
#include "llm/provider.h"
#include "mcp/client.h"

namespace coral::llm {

struct ToolOutcome {
  std::string text;
  bool is_error = false;
};

// The tools the model may call. Call may run on several threads at once.
class ToolBox {
 public:
  virtual ~ToolBox() = default;
  virtual const std::vector<ToolSpec>& tools() const = 0;
  virtual ToolOutcome Call(const std::string& name, const Json& arguments) = 0;
};

// The colony's MCP tools through an initialized McpClient.
class McpToolBox : public ToolBox {
 public:
  static Result<std::unique_ptr<McpToolBox>> Load(mcp::McpClient& client);
  const std::vector<ToolSpec>& tools() const override { return tools_; }
  ToolOutcome Call(const std::string& name, const Json& arguments) override;

 private:
  explicit McpToolBox(mcp::McpClient& client) : client_(client) {}
  mcp::McpClient& client_;
  std::vector<ToolSpec> tools_;
};

struct LoopOptions {
  int max_steps = 8;                      // model calls that may use tools
  size_t context_budget_chars = 400'000;  // ~100k tokens at ~4 characters a token
  size_t max_tool_result_chars = 16'000;
  int max_parallel_tools = 4;
};

// What the terminal shows while the loop runs. Called one at a time (the
// loop serializes calls from tool threads).
struct LoopObserver {
  TextFn on_text;  // the model's text as it streams
  std::function<void(const ToolCall& call)> on_tool_start;
  std::function<void(const ToolCall& call, const ToolOutcome& outcome,
                     std::chrono::milliseconds took)>
      on_tool_end;
  std::function<void(const std::string& note)> on_note;  // a bound was hit, ...
};

struct ToolRecord {
  ToolCall call;
  bool is_error = false;
  size_t result_chars = 0;
  std::chrono::milliseconds took{0};
};

struct LoopResult {
  std::string answer;
  int model_calls = 0;
  std::vector<ToolRecord> tool_calls;
  std::string bound;  // "" when the model answered on its own; else which bound was hit
};

// Runs the loop over `messages` (the conversation so far, ending with the
// user's question) and appends what happens to it: assistant turns, tool
// results, the summary request.
Result<LoopResult> RunToolLoop(Provider& provider, ToolBox& tools, const std::string& system,
                               std::vector<ChatMessage>& messages, const LoopOptions& options,
                               const LoopObserver& observer);

// The size estimate the context budget is checked against.
size_t ContextChars(const std::string& system, const std::vector<ChatMessage>& messages,
                    const std::vector<ToolSpec>& tools);

// Cuts text to at most max characters (at a UTF-8 boundary) with a note for
// the model saying how much was left out.
std::string TruncateForModel(const std::string& text, size_t max);

}  // namespace coral::llm

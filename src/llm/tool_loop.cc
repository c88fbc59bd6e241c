#include "llm/tool_loop.h"

#include <mutex>
#include <thread>

namespace coral::llm {

namespace {

using Clock = std::chrono::steady_clock;

// Runs one tool call: arguments checked, the tool known, the result cut to size.
ToolOutcome RunOne(ToolBox& tools, const ToolCall& call, const LoopOptions& options) {
  ParsedArguments args = ParseArguments(call);
  if (!args.error.empty()) return {args.error, true};
  bool known = false;
  std::string names;
  for (const ToolSpec& t : tools.tools()) {
    known = known || t.name == call.name;
    names += (names.empty() ? "" : ", ") + t.name;
  }
  if (!known) return {"there is no tool named '" + call.name + "'; the tools are: " + names, true};
  ToolOutcome outcome = tools.Call(call.name, args.value);
  outcome.text = TruncateForModel(outcome.text, options.max_tool_result_chars);
  return outcome;
}

// Runs the calls of one model turn, up to max_parallel_tools at once, and
// appends their results to messages in the order the model asked.
void RunTools(ToolBox& tools, const std::vector<ToolCall>& calls, const LoopOptions& options,
              const LoopObserver& observer, std::mutex& observer_mu,
              std::vector<ChatMessage>& messages, LoopResult& result) {
  std::vector<ToolOutcome> outcomes(calls.size());
  std::vector<std::chrono::milliseconds> took(calls.size());
  size_t batch = static_cast<size_t>(std::max(1, options.max_parallel_tools));
  for (size_t first = 0; first < calls.size(); first += batch) {
    size_t last = std::min(calls.size(), first + batch);
    std::vector<std::thread> threads;
    for (size_t i = first; i < last; ++i) {
      {
        std::lock_guard lock(observer_mu);
        if (observer.on_tool_start) observer.on_tool_start(calls[i]);
      }
      threads.emplace_back([&, i] {
        auto start = Clock::now();
        outcomes[i] = RunOne(tools, calls[i], options);
        took[i] = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
        std::lock_guard lock(observer_mu);
        if (observer.on_tool_end) observer.on_tool_end(calls[i], outcomes[i], took[i]);
      });
    }
    for (auto& t : threads) t.join();
  }
  for (size_t i = 0; i < calls.size(); ++i) {
    ChatMessage m;
    m.role = Role::kTool;
    m.tool_call_id = calls[i].id;
    m.tool_name = calls[i].name;
    m.text = outcomes[i].text;
    m.is_error = outcomes[i].is_error;
    messages.push_back(std::move(m));
    result.tool_calls.push_back({calls[i], outcomes[i].is_error, outcomes[i].text.size(), took[i]});
  }
}

}  // namespace

Result<std::unique_ptr<McpToolBox>> McpToolBox::Load(mcp::McpClient& client) {
  std::unique_ptr<McpToolBox> box(new McpToolBox(client));
  for (const Json& t : CORAL_TRY(client.ListTools())) {
    if (!t.contains("name") || !t["name"].is_string()) continue;
    ToolSpec spec{t["name"], t.value("description", ""),
                  t.value("inputSchema", Json{{"type", "object"}})};
    box->tools_.push_back(std::move(spec));
  }
  return box;
}

ToolOutcome McpToolBox::Call(const std::string& name, const Json& arguments) {
  auto result = client_.CallTool(name, arguments);
  if (!result.ok()) return {"the tool call failed: " + result.status().message(), true};
  return {mcp::ToolResultText(*result), result->value("isError", false)};
}

size_t ContextChars(const std::string& system, const std::vector<ChatMessage>& messages,
                    const std::vector<ToolSpec>& tools) {
  size_t n = system.size();
  for (const ChatMessage& m : messages) {
    n += m.text.size() + 16;
    for (const ToolCall& c : m.tool_calls) n += c.name.size() + c.arguments.size() + 16;
  }
  for (const ToolSpec& t : tools)
    n += t.name.size() + t.description.size() + t.input_schema.dump().size();
  return n;
}

std::string TruncateForModel(const std::string& text, size_t max) {
  if (text.size() <= max) return text;
  size_t cut = max;
  // Back up to the start of a UTF-8 sequence.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "\n[coral ask cut this tool result: it had " +
         std::to_string(text.size()) + " characters, only the first " + std::to_string(cut) +
         " are shown. Narrow the call (filters, a shorter window, a smaller limit) to see the "
         "rest.]";
}

Result<LoopResult> RunToolLoop(Provider& provider, ToolBox& tools, const std::string& system,
                               std::vector<ChatMessage>& messages, const LoopOptions& options,
                               const LoopObserver& observer) {
  LoopResult result;
  std::mutex observer_mu;  // serializes observer calls from tool threads
  auto on_text = [&](std::string_view text) {
    std::lock_guard lock(observer_mu);
    if (observer.on_text) observer.on_text(text);
  };
  auto note = [&](const std::string& text) {
    std::lock_guard lock(observer_mu);
    if (observer.on_note) observer.on_note(text);
  };
  for (int step = 0;; ++step) {
    if (step >= options.max_steps) {
      result.bound =
          "the step limit (" + std::to_string(options.max_steps) + " model calls with tools)";
      break;
    }
    if (ContextChars(system, messages, tools.tools()) > options.context_budget_chars) {
      result.bound = "the context budget (about " +
                     std::to_string(options.context_budget_chars / 4) + " tokens)";
      break;
    }
    ChatRequest request{system, messages, tools.tools(), ToolChoice::kAuto};
    ChatResponse answer = CORAL_TRY(provider.Chat(request, on_text));
    ++result.model_calls;
    ChatMessage turn;
    turn.role = Role::kAssistant;
    turn.text = answer.text;
    turn.tool_calls = answer.tool_calls;
    for (size_t i = 0; i < turn.tool_calls.size(); ++i) {
      // Unique in the conversation, for providers that give no ids.
      if (turn.tool_calls[i].id.empty()) {
        turn.tool_calls[i].id =
            "call_" + std::to_string(messages.size()) + "_" + std::to_string(i + 1);
      }
    }
    messages.push_back(turn);
    if (turn.tool_calls.empty()) {
      result.answer = answer.text;
      return result;
    }
    RunTools(tools, turn.tool_calls, options, observer, observer_mu, messages, result);
  }
  note("reached " + result.bound + ": asking the model for a summary without tools");
  messages.push_back(ChatMessage::User(
      "[coral ask] " + result.bound +
      " is reached, so no more tools can be called. Answer the question now from what the tool "
      "results above show, and say what you could not check."));
  ChatRequest request{system, messages, tools.tools(), ToolChoice::kNone};
  ChatResponse answer = CORAL_TRY(provider.Chat(request, on_text));
  ++result.model_calls;
  ChatMessage turn;
  turn.role = Role::kAssistant;
  turn.text = answer.text;  // tool calls asked for here are not run
  messages.push_back(turn);
  result.answer = answer.text;
  return result;
}

}  // namespace coral::llm

// Each provider against a fake server speaking its exact wire format: the
// requests it sends (bodies, headers), streamed text and tool calls, the
// tool loop (parallel calls, malformed arguments, the step limit), and the
// error paths (401, 404, 429 then success, 5xx give-up, unreachable).
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

#include "fake_provider.h"
#include "llm/provider.h"
#include "llm/tool_loop.h"

namespace coral::llm {
namespace {

using testing::FakeProvider;
using testing::Wire;

ProviderKind KindOf(Wire wire) {
  return wire == Wire::kOpenAi      ? ProviderKind::kOpenAi
         : wire == Wire::kAnthropic ? ProviderKind::kAnthropic
                                    : ProviderKind::kOllama;
}

// Tools that answer from a table and record what they were asked.
class FakeTools : public ToolBox {
 public:
  FakeTools() {
    tools_ = {{"coral_list_services",
               "List services",
               {{"type", "object"}, {"properties", {{"limit", {{"type", "integer"}}}}}}},
              {"coral_service_summary", "Summary", {{"type", "object"}}}};
  }
  const std::vector<ToolSpec>& tools() const override { return tools_; }
  ToolOutcome Call(const std::string& name, const Json& arguments) override {
    std::lock_guard lock(mu_);
    calls_.push_back(name + " " + arguments.dump());
    if (name == "coral_service_summary") return {std::string(3000, 'x'), false};
    return {"backend, frontend", false};
  }
  std::vector<std::string> calls() {
    std::lock_guard lock(mu_);
    std::sort(calls_.begin(), calls_.end());
    return calls_;
  }

 private:
  std::vector<ToolSpec> tools_;
  std::mutex mu_;  // guards calls_
  std::vector<std::string> calls_;
};

class ProviderTest : public ::testing::TestWithParam<Wire> {
 protected:
  std::unique_ptr<Provider> Make(std::string base_url = "") {
    ProviderSettings s;
    s.spec = {KindOf(GetParam()), "test-model"};
    s.base_url = base_url.empty() ? fake_.base_url() : base_url;
    s.api_key = "sk-test-secret";
    s.key_source = "$TEST_KEY";
    s.timeout = std::chrono::seconds(20);
    s.first_backoff = std::chrono::milliseconds(10);
    s.max_retry_wait = std::chrono::seconds(5);
    return std::move(*MakeProvider(s));
  }
  // The request messages in this wire format (Anthropic has system apart).
  Json Messages(const Json& body) { return body["messages"]; }

  FakeProvider fake_{GetParam()};
};

TEST_P(ProviderTest, StreamsTextAndSendsTheWireFormatsRequest) {
  fake_.Push(fake_.Text("The backend is slow: p95 1.2 s."));
  auto provider = Make();
  std::string streamed;
  int pieces = 0;
  ChatRequest request{"You investigate.",
                      {ChatMessage::User("which service is slow?")},
                      {{"coral_status", "Status", {{"type", "object"}}}},
                      ToolChoice::kAuto};
  auto answer = provider->Chat(request, [&](std::string_view t) {
    streamed += t;
    ++pieces;
  });
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->text, "The backend is slow: p95 1.2 s.");
  EXPECT_EQ(streamed, answer->text);
  EXPECT_GT(pieces, 3);
  EXPECT_TRUE(answer->tool_calls.empty());

  auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 1u);
  Json body = Json::parse(requests[0].body);
  switch (GetParam()) {
    case Wire::kOpenAi:
      EXPECT_EQ(requests[0].header("Authorization"), "Bearer sk-test-secret");
      EXPECT_EQ(body, Json::parse(R"({"model":"test-model","messages":[
        {"role":"system","content":"You investigate."},
        {"role":"user","content":"which service is slow?"}],
        "tools":[{"type":"function","function":{"name":"coral_status","description":"Status",
                  "parameters":{"type":"object"}}}],
        "stream":true,"stream_options":{"include_usage":true}})"));
      break;
    case Wire::kAnthropic:
      EXPECT_EQ(requests[0].header("x-api-key"), "sk-test-secret");
      EXPECT_EQ(requests[0].header("anthropic-version"), "2023-06-01");
      EXPECT_EQ(body, Json::parse(R"({"model":"test-model","max_tokens":4096,
        "system":"You investigate.",
        "messages":[{"role":"user","content":[{"type":"text","text":"which service is slow?"}]}],
        "tools":[{"name":"coral_status","description":"Status","input_schema":{"type":"object"}}],
        "stream":true})"));
      break;
    case Wire::kOllama:
      EXPECT_EQ(body, Json::parse(R"({"model":"test-model","messages":[
        {"role":"system","content":"You investigate."},
        {"role":"user","content":"which service is slow?"}],
        "tools":[{"type":"function","function":{"name":"coral_status","description":"Status",
                  "parameters":{"type":"object"}}}],
        "stream":true})"));
      break;
  }
}

TEST_P(ProviderTest, TheLoopRunsParallelToolCallsAndFeedsResultsBack) {
  fake_.Push(fake_.ToolCalls({{"call_a", "coral_list_services", R"({"limit": 5})"},
                              {"call_b", "coral_service_summary", "{}"}},
                             "Let me look."));
  fake_.Push(fake_.Text("backend is slow"));
  auto provider = Make();
  FakeTools tools;
  std::vector<ChatMessage> messages = {ChatMessage::User("which service is slow?")};
  std::vector<std::string> started;
  LoopObserver observer;
  observer.on_tool_start = [&](const ToolCall& c) { started.push_back(c.name); };
  auto result =
      RunToolLoop(*provider, tools, "sys", messages, {.max_tool_result_chars = 1000}, observer);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->answer, "backend is slow");
  EXPECT_EQ(result->model_calls, 2);
  EXPECT_EQ(started, (std::vector<std::string>{"coral_list_services", "coral_service_summary"}));
  EXPECT_EQ(tools.calls(), (std::vector<std::string>{"coral_list_services {\"limit\":5}",
                                                     "coral_service_summary {}"}));
  ASSERT_EQ(messages.size(), 5u);  // user, assistant (2 calls), 2 results, answer
  EXPECT_NE(messages[3].text.find("coral ask cut this tool result: it had 3000 characters"),
            std::string::npos);

  auto bodies = fake_.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  const Json& m = bodies[1]["messages"];
  switch (GetParam()) {
    case Wire::kOpenAi:
      ASSERT_EQ(m.size(), 5u) << m.dump();
      EXPECT_EQ(m[2], Json::parse(R"({"role":"assistant","content":"Let me look.","tool_calls":[
        {"id":"call_a","type":"function","function":{"name":"coral_list_services","arguments":"{\"limit\": 5}"}},
        {"id":"call_b","type":"function","function":{"name":"coral_service_summary","arguments":"{}"}}]})"));
      EXPECT_EQ(
          m[3],
          Json::parse(R"({"role":"tool","tool_call_id":"call_a","content":"backend, frontend"})"));
      EXPECT_EQ(m[4]["tool_call_id"], "call_b");
      break;
    case Wire::kAnthropic:
      ASSERT_EQ(m.size(), 3u) << m.dump();
      EXPECT_EQ(m[1], Json::parse(R"({"role":"assistant","content":[
        {"type":"text","text":"Let me look."},
        {"type":"tool_use","id":"call_a","name":"coral_list_services","input":{"limit":5}},
        {"type":"tool_use","id":"call_b","name":"coral_service_summary","input":{}}]})"));
      EXPECT_EQ(m[2]["role"], "user");
      ASSERT_EQ(m[2]["content"].size(), 2u);
      EXPECT_EQ(
          m[2]["content"][0],
          Json::parse(
              R"({"type":"tool_result","tool_use_id":"call_a","content":"backend, frontend"})"));
      break;
    case Wire::kOllama:
      ASSERT_EQ(m.size(), 5u) << m.dump();
      EXPECT_EQ(m[2], Json::parse(R"({"role":"assistant","content":"Let me look.","tool_calls":[
        {"function":{"name":"coral_list_services","arguments":{"limit":5}}},
        {"function":{"name":"coral_service_summary","arguments":{}}}]})"));
      EXPECT_EQ(
          m[3],
          Json::parse(
              R"({"role":"tool","tool_name":"coral_list_services","content":"backend, frontend"})"));
      break;
  }
}

TEST_P(ProviderTest, MalformedArgumentsGoBackToTheModelAsAToolError) {
  fake_.Push(fake_.ToolCalls({{"call_x", "coral_list_services", R"({"limit": 5)"}}));
  fake_.Push(fake_.Text("sorry"));
  auto provider = Make();
  FakeTools tools;
  std::vector<ChatMessage> messages = {ChatMessage::User("q")};
  auto result = RunToolLoop(*provider, tools, "sys", messages, {}, {});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(tools.calls().empty());
  ASSERT_EQ(result->tool_calls.size(), 1u);
  EXPECT_TRUE(result->tool_calls[0].is_error);
  auto bodies = fake_.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  std::string sent = bodies[1]["messages"].dump();
  EXPECT_NE(sent.find("are not a JSON object"), std::string::npos) << sent;
  if (GetParam() == Wire::kAnthropic) {
    EXPECT_EQ(bodies[1]["messages"][2]["content"][0]["is_error"], true) << sent;
  } else {
    EXPECT_NE(sent.find("Error: the arguments for coral_list_services"), std::string::npos) << sent;
  }
}

TEST_P(ProviderTest, TheStepLimitEndsWithASummaryCallWithoutTools) {
  for (int i = 0; i < 2; ++i) {
    fake_.Push(fake_.ToolCalls({{"call_" + std::to_string(i), "coral_list_services", "{}"}}));
  }
  fake_.Push(fake_.Text("summary: backend"));
  auto provider = Make();
  FakeTools tools;
  std::vector<ChatMessage> messages = {ChatMessage::User("q")};
  std::string note;
  LoopObserver observer;
  observer.on_note = [&](const std::string& n) { note = n; };
  auto result = RunToolLoop(*provider, tools, "sys", messages, {.max_steps = 2}, observer);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->answer, "summary: backend");
  EXPECT_EQ(result->model_calls, 3);
  EXPECT_NE(result->bound.find("step limit (2"), std::string::npos);
  EXPECT_NE(note.find("step limit"), std::string::npos);
  auto bodies = fake_.bodies();
  ASSERT_EQ(bodies.size(), 3u);
  const Json& last = bodies[2];
  switch (GetParam()) {
    case Wire::kOpenAi:
      EXPECT_EQ(last["tool_choice"], "none");
      break;
    case Wire::kAnthropic:
      EXPECT_EQ(last["tool_choice"], Json::parse(R"({"type":"none"})"));
      break;
    case Wire::kOllama:
      EXPECT_FALSE(last.contains("tools"));
      break;
  }
  EXPECT_NE(last["messages"].back().dump().find("step limit (2 model calls with tools) is reached"),
            std::string::npos)
      << last["messages"].back().dump();
}

TEST_P(ProviderTest, TheContextBudgetEndsWithASummaryToo) {
  fake_.Push(fake_.ToolCalls({{"call_1", "coral_service_summary", "{}"}}));
  fake_.Push(fake_.Text("summary from what fits"));
  auto provider = Make();
  FakeTools tools;
  std::vector<ChatMessage> messages = {ChatMessage::User("q")};
  // Room for the question and the tools, not for the 3000-character result.
  size_t budget = ContextChars("sys", messages, tools.tools()) + 1000;
  auto result = RunToolLoop(*provider, tools, "sys", messages,
                            {.max_steps = 5, .context_budget_chars = budget}, {});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->answer, "summary from what fits");
  EXPECT_NE(result->bound.find("context budget"), std::string::npos) << result->bound;
  EXPECT_EQ(fake_.requests().size(), 2u);
}

TEST_P(ProviderTest, ABadKeyIsAClearErrorThatDoesNotShowTheKey) {
  fake_.Push(fake_.Error(401, "invalid x-api-key"));
  auto answer = Make()->Chat({"", {ChatMessage::User("q")}, {}, ToolChoice::kAuto}, {});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(answer.status().message().find("HTTP 401: invalid x-api-key"), std::string::npos)
      << answer.status().message();
  EXPECT_NE(answer.status().message().find("check the API key in $TEST_KEY"), std::string::npos);
  EXPECT_EQ(answer.status().message().find("sk-test-secret"), std::string::npos);
  EXPECT_EQ(fake_.requests().size(), 1u);
}

TEST_P(ProviderTest, AnUnknownModelNamesIt) {
  fake_.Push(fake_.Error(404, "model 'test-model' not found"));
  auto answer = Make()->Chat({"", {ChatMessage::User("q")}, {}, ToolChoice::kAuto}, {});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kNotFound);
  EXPECT_NE(answer.status().message().find("check the model name 'test-model'"), std::string::npos)
      << answer.status().message();
}

TEST_P(ProviderTest, RateLimitedThenSuccessHonoursRetryAfter) {
  fake_.Push(fake_.Error(429, "rate limited", {{"Retry-After", "1"}}));
  fake_.Push(fake_.Error(529, "overloaded"));
  fake_.Push(fake_.Text("fine"));
  auto answer = Make()->Chat({"", {ChatMessage::User("q")}, {}, ToolChoice::kAuto}, {});
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->text, "fine");
  auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].body, requests[2].body);
}

TEST_P(ProviderTest, RetriesAreBoundedAndALongRetryAfterFailsAtOnce) {
  for (int i = 0; i < 4; ++i) fake_.Push(fake_.Error(503, "down"));
  auto down = Make()->Chat({"", {ChatMessage::User("q")}, {}, ToolChoice::kAuto}, {});
  ASSERT_FALSE(down.ok());
  EXPECT_NE(down.status().message().find("gave up after 4 attempts"), std::string::npos)
      << down.status().message();
  EXPECT_EQ(fake_.requests().size(), 4u);

  fake_.Push(fake_.Error(429, "quota", {{"Retry-After", "3600"}}));
  auto later = Make()->Chat({"", {ChatMessage::User("q")}, {}, ToolChoice::kAuto}, {});
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(fake_.requests().size(), 5u);
}

TEST_P(ProviderTest, AnUnreachableEndpointSaysSo) {
  auto answer =
      Make("http://127.0.0.1:1")->Chat({"", {ChatMessage::User("q")}, {}, ToolChoice::kAuto}, {});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(answer.status().message().find("cannot reach"), std::string::npos)
      << answer.status().message();
}

TEST_P(ProviderTest, DescribeRedactsTheKey) {
  HttpCall call = Make()->Describe({"sys", {ChatMessage::User("q")}, {}, ToolChoice::kAuto});
  std::string all = call.url + call.body.dump();
  for (const auto& [k, v] : call.headers) all += k + v;
  EXPECT_EQ(all.find("sk-test-secret"), std::string::npos) << all;
  if (GetParam() != Wire::kOllama) {
    EXPECT_NE(all.find("<redacted: $TEST_KEY>"), std::string::npos) << all;
  }
  EXPECT_NE(call.url.find(fake_.path()), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Wires, ProviderTest,
                         ::testing::Values(Wire::kOpenAi, Wire::kAnthropic, Wire::kOllama),
                         [](const auto& info) { return testing::WireName(info.param); });

}  // namespace
}  // namespace coral::llm

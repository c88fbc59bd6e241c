// `coral ask` end to end, in each provider's wire format: the coral binary
// against an MCP endpoint serving Coral's tools over a colony store with
// demo data (a slow backend behind a frontend), and a fake provider whose
// scripted model calls coral_list_services, then coral_service_summary, then
// answers. Asserts the exact requests the provider received (tool schemas,
// messages, tool results), the terminal output, the saved conversation and
// that --continue picks it up.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "analysis/mcp_tools.h"
#include "analysis/summarizer.h"
#include "analysis/test_store.h"
#include "base/files.h"
#include "base/subprocess.h"
#include "base/temp_dir.h"
#include "fake_provider.h"
#include "mcp/client.h"
#include "mcp/http_transport.h"
#include "net/http_server.h"

namespace coral::analysis {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using llm::testing::FakeProvider;
using llm::testing::Wire;

constexpr int64_t kM0 = 1'699'999'980'000'000;
constexpr char kColony[] = "shop-ask-abc123";
constexpr char kQuestion[] = "which service is slow?";
constexpr char kAnswer[] = "The backend is slow: GET /slow takes about 900 ms at p95.";

struct AskRun {
  int code = -1;
  std::string out, err;
};

// One step of a conversation as the provider received it, whatever the wire
// format: "user: ...", "assistant: ...", "call NAME ARGS", "result NAME: TEXT".
std::vector<std::string> Steps(Wire wire, const Json& body) {
  std::vector<std::string> steps;
  std::map<std::string, std::string> names;  // tool call id -> name (Anthropic results)
  for (const Json& m : body["messages"]) {
    std::string role = m["role"];
    if (wire == Wire::kAnthropic) {
      for (const Json& block : m["content"]) {
        std::string type = block["type"];
        if (type == "text") steps.push_back(role + ": " + block["text"].get<std::string>());
        if (type == "tool_use") {
          names[block["id"]] = block["name"];
          steps.push_back("call " + block["name"].get<std::string>() + " " + block["input"].dump());
        }
        if (type == "tool_result") {
          steps.push_back("result " + names[block["tool_use_id"]] + ": " +
                          block["content"].get<std::string>());
        }
      }
      continue;
    }
    if (role == "system") continue;
    if (role == "tool") {
      std::string name =
          wire == Wire::kOllama ? m["tool_name"].get<std::string>() : names[m["tool_call_id"]];
      steps.push_back("result " + name + ": " + m["content"].get<std::string>());
      continue;
    }
    if (m["content"].is_string() && !m["content"].get<std::string>().empty()) {
      steps.push_back(role + ": " + m["content"].get<std::string>());
    }
    for (const Json& c : m.value("tool_calls", Json::array())) {
      const Json& fn = c["function"];
      if (wire == Wire::kOpenAi) names[c["id"]] = fn["name"];
      Json args = fn["arguments"].is_string() ? Json::parse(fn["arguments"].get<std::string>())
                                              : fn["arguments"];
      steps.push_back("call " + fn["name"].get<std::string>() + " " + args.dump());
    }
  }
  return steps;
}

// Whether text carries one of the fake providers' keys.
bool HasKey(const std::string& text) {
  return text.find("sk-fake-openai-key") != std::string::npos ||
         text.find("sk-ant-fake-key") != std::string::npos;
}

std::string SystemPrompt(Wire wire, const Json& body) {
  if (wire == Wire::kAnthropic) return body.value("system", "");
  return body["messages"][0]["role"] == "system" ? body["messages"][0]["content"] : "";
}

class AskE2eTest : public ::testing::TestWithParam<Wire> {
 protected:
  void SetUp() override {
    auto store = OpenTestColonyStore("duckdb", dir_.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    ASSERT_TRUE(AppendSlowBackendDemo(*store_, kM0).ok());
    Summarizer summarizer(*store_, {}, clock_);
    ASSERT_TRUE(summarizer.Recompute(kM0, kM0 + 2 * 60'000'000).ok());
    view_ = std::make_unique<FakeColonyView>(*store_, clock_);
    view_->status.set_colony_id(kColony);
    view_->status.set_agents_healthy(1);
    AddColonyTools(server_, *view_);
    transport_ = std::make_unique<mcp::McpHttpTransport>(server_, mcp::HttpTransportOptions{});
    auto http = net::HttpServer::Start({.threads = 4}, [this](const net::HttpRequest& req) {
      if (req.header("Authorization") != "Bearer right-token") {
        return net::HttpResponse::Json(401, R"({"error":"unknown API token"})");
      }
      return transport_->Handle(req);
    });
    ASSERT_TRUE(http.ok()) << http.status().ToString();
    http_ = std::move(*http);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(http_->port()) + "/mcp"; }

  // What the colony's tools answer, asked directly.
  Json Direct(const std::string& method, Json params) {
    mcp::McpClient client({.url = url(), .token = "right-token"});
    EXPECT_TRUE(client.Initialize().ok());
    auto r = client.Call(method, std::move(params));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    client.Close();
    return r.ok() ? *r : Json();
  }

  AskRun Ask(std::vector<std::string> args, const std::string& stdin_text = "") {
    std::vector<std::string> argv = {CORAL_BINARY,
                                     "--home",
                                     dir_.path().string(),
                                     "ask",
                                     "--url",
                                     url(),
                                     "--model",
                                     fake_.provider() + ":test-model"};
    argv.insert(argv.end(), args.begin(), args.end());
    SubprocessOptions o;
    std::string script = "exec \"$@\" < /dev/null";
    if (!stdin_text.empty()) script = "printf '%s' \"$IN\" | \"$@\"";
    o.argv = {"sh", "-c", script, "sh"};
    o.argv.insert(o.argv.end(), argv.begin(), argv.end());
    o.env = {{"CORAL_TOKEN", "right-token"},
             {"IN", stdin_text},
             {"OPENAI_API_KEY", ""},
             {"OPENAI_BASE_URL", ""},
             {"ANTHROPIC_API_KEY", ""},
             {"ANTHROPIC_BASE_URL", ""},
             {"OLLAMA_HOST", ""}};
    for (const auto& [k, v] : fake_.env()) o.env[k] = v;
    auto p = Subprocess::Start(o);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (!p.ok()) return {};
    auto exit = p->Wait(120s);
    EXPECT_TRUE(exit.ok());
    return {exit.ok() ? exit->exit_code : -1, p->stdout_data(), p->stderr_data()};
  }

  std::vector<std::filesystem::path> SavedConversations() {
    std::vector<std::filesystem::path> out;
    auto folder = dir_.path() / "conversations" / kColony;
    if (!std::filesystem::exists(folder)) return out;
    for (const auto& e : std::filesystem::directory_iterator(folder)) out.push_back(e.path());
    return out;
  }

  void ScriptTheInvestigation() {
    fake_.Push(fake_.ToolCalls({{"call_1", "coral_list_services", "{}"}}));
    fake_.Push(fake_.ToolCalls({{"call_2", "coral_service_summary", R"({"since":"1h"})"}},
                               "Let me look at the summary."));
    fake_.Push(fake_.Text(kAnswer));
  }

  TempDir dir_{"coral-ask-e2e"};
  FakeClock clock_{FromUnixMicros(kM0 + 5 * 60'000'000)};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<FakeColonyView> view_;
  mcp::McpServer server_{{}};
  std::unique_ptr<mcp::McpHttpTransport> transport_;
  std::unique_ptr<net::HttpServer> http_;
  FakeProvider fake_{GetParam()};
};

TEST_P(AskE2eTest, InvestigatesWithTheColonysToolsStreamsTheAnswerAndSavesIt) {
  ScriptTheInvestigation();
  AskRun run = Ask({kQuestion});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.out, std::string("Let me look at the summary.\n") + kAnswer + "\n");
  EXPECT_NE(run.err.find("  > coral_list_services {}\n"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("  < coral_list_services "), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("  > coral_service_summary {\"since\":\"1h\"}\n"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find(" ms, "), std::string::npos) << run.err;
  EXPECT_FALSE(HasKey(run.err)) << run.err;

  auto bodies = fake_.bodies();
  ASSERT_EQ(bodies.size(), 3u);
  Wire wire = GetParam();
  // Every request carries the colony's eleven tools with their schemas.
  Json tools = Direct("tools/list", Json::object())["tools"];
  ASSERT_EQ(tools.size(), 11u);
  for (const Json& body : bodies) {
    ASSERT_EQ(body["tools"].size(), tools.size());
    for (size_t i = 0; i < tools.size(); ++i) {
      Json expected = wire == Wire::kAnthropic ? Json{{"name", tools[i]["name"]},
                                                      {"description", tools[i]["description"]},
                                                      {"input_schema", tools[i]["inputSchema"]}}
                                               : Json{{"type", "function"},
                                                      {"function",
                                                       {{"name", tools[i]["name"]},
                                                        {"description", tools[i]["description"]},
                                                        {"parameters", tools[i]["inputSchema"]}}}};
      EXPECT_EQ(body["tools"][i], expected);
    }
    EXPECT_EQ(body["model"], "test-model");
    EXPECT_EQ(body["stream"], true);
    // The colony's status is in the system prompt up front.
    std::string system = SystemPrompt(wire, body);
    EXPECT_NE(system.find("Colony shop-ask-abc123: 1 healthy"), std::string::npos) << system;
    EXPECT_NE(system.find("backend"), std::string::npos) << system;
  }
  std::string services = mcp::ToolResultText(
      Direct("tools/call", {{"name", "coral_list_services"}, {"arguments", Json::object()}}));
  std::string summary = mcp::ToolResultText(
      Direct("tools/call", {{"name", "coral_service_summary"}, {"arguments", {{"since", "1h"}}}}));
  EXPECT_NE(summary.find("backend is slow"), std::string::npos) << summary;
  EXPECT_EQ(Steps(wire, bodies[0]), (std::vector<std::string>{std::string("user: ") + kQuestion}));
  EXPECT_EQ(Steps(wire, bodies[2]),
            (std::vector<std::string>{
                std::string("user: ") + kQuestion, "call coral_list_services {}",
                "result coral_list_services: " + services, "assistant: Let me look at the summary.",
                "call coral_service_summary {\"since\":\"1h\"}",
                "result coral_service_summary: " + summary}));
  auto requests = fake_.requests();
  if (wire == Wire::kOpenAi) {
    EXPECT_EQ(requests[0].header("Authorization"), "Bearer sk-fake-openai-key");
  } else if (wire == Wire::kAnthropic) {
    EXPECT_EQ(requests[0].header("x-api-key"), "sk-ant-fake-key");
  }

  auto saved = SavedConversations();
  ASSERT_EQ(saved.size(), 1u);
  std::string text = *ReadFile(saved[0]);
  EXPECT_FALSE(HasKey(text));
  Json conversation = Json::parse(text);
  EXPECT_EQ(conversation["colony"], kColony);
  EXPECT_EQ(conversation["model"], fake_.provider() + ":test-model");
  ASSERT_EQ(conversation["messages"].size(), 6u);
  EXPECT_EQ(conversation["messages"][5]["text"], kAnswer);

  // --continue: the next question goes out after the whole first exchange.
  fake_.Push(fake_.Text("Still the backend."));
  AskRun next = Ask({"--continue", "and", "now?"});
  ASSERT_EQ(next.code, 0) << next.err;
  EXPECT_EQ(next.out, "Still the backend.\n");
  bodies = fake_.bodies();
  ASSERT_EQ(bodies.size(), 4u);
  auto steps = Steps(wire, bodies[3]);
  ASSERT_EQ(steps.size(), 8u);
  EXPECT_EQ(steps[0], std::string("user: ") + kQuestion);
  EXPECT_EQ(steps[6], std::string("assistant: ") + kAnswer);
  EXPECT_EQ(steps[7], "user: and now?");
  EXPECT_EQ(SavedConversations().size(), 1u);
  EXPECT_EQ(Json::parse(*ReadFile(saved[0]))["messages"].size(), 8u);

  auto list = Subprocess::Start({.argv = {CORAL_BINARY, "--home", dir_.path().string(), "--colony",
                                          kColony, "ask", "list", "-o", "json"}});
  ASSERT_TRUE(list.ok());
  auto listed = list->Wait(60s);
  ASSERT_TRUE(listed.ok() && listed->ok()) << list->stderr_data();
  Json rows = Json::parse(list->stdout_data());
  ASSERT_EQ(rows.size(), 1u) << list->stdout_data();
  EXPECT_EQ(rows[0]["id"], conversation["id"]);
}

TEST_P(AskE2eTest, JsonOutputDryRunAndInteractiveMode) {
  ScriptTheInvestigation();
  AskRun run = Ask({"-o", "json", kQuestion});
  ASSERT_EQ(run.code, 0) << run.err;
  Json out = Json::parse(run.out);
  EXPECT_EQ(out["answer"], kAnswer);
  EXPECT_EQ(out["model_calls"], 3);
  ASSERT_EQ(out["tool_calls"].size(), 2u);
  EXPECT_EQ(out["tool_calls"][1]["name"], "coral_service_summary");
  EXPECT_EQ(out["colony"], kColony);

  AskRun dry = Ask({"--dry-run", "--continue", "what next?"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_NE(dry.out.find("POST " + fake_.base_url()), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("what next?"), std::string::npos);
  EXPECT_FALSE(HasKey(dry.out)) << dry.out;
  if (GetParam() != Wire::kOllama) {
    EXPECT_NE(dry.out.find("<redacted: $"), std::string::npos) << dry.out;
  }
  EXPECT_EQ(fake_.requests().size(), 3u);  // the dry run sent nothing

  fake_.Push(fake_.Text("one"));
  fake_.Push(fake_.Text("two"));
  AskRun interactive = Ask({}, "first?\n\nsecond?\nexit\nnot asked\n");
  ASSERT_EQ(interactive.code, 0) << interactive.err;
  EXPECT_EQ(interactive.out, "one\ntwo\n");
  auto bodies = fake_.bodies();
  ASSERT_EQ(bodies.size(), 5u);
  EXPECT_EQ(Steps(GetParam(), bodies[4]),
            (std::vector<std::string>{"user: first?", "assistant: one", "user: second?"}));
}

// On a terminal (a pseudo-terminal from script(1)) questions go through
// libedit: prompts on the terminal, the question kept in a private history.
TEST_P(AskE2eTest, OnATerminalQuestionsHaveLineEditingAndHistory) {
  if (std::system("command -v script > /dev/null") != 0) GTEST_SKIP() << "no script(1)";
  fake_.Push(fake_.Text("over a terminal"));
  std::string command = std::string(CORAL_BINARY) + " --home " + dir_.path().string() +
                        " ask --url " + url() + " --model " + fake_.provider() + ":test-model";
  SubprocessOptions o;
  // script gives coral a terminal; the question is typed into it, then Ctrl-D.
  o.argv = {"sh", "-c",
            "(sleep 3; printf 'typed question\\r'; sleep 4; printf '\\004') | "
            "script -qfec \"$CMD\" /dev/null"};
  o.env = {{"CORAL_TOKEN", "right-token"}, {"CMD", command}};
  for (const auto& [k, v] : fake_.env()) o.env[k] = v;
  auto p = Subprocess::Start(o);
  ASSERT_TRUE(p.ok());
  auto exit = p->Wait(60s);
  ASSERT_TRUE(exit.ok());
  EXPECT_NE(p->stdout_data().find("ask> "), std::string::npos) << p->stdout_data();
  EXPECT_NE(p->stdout_data().find("over a terminal"), std::string::npos) << p->stdout_data();
  auto bodies = fake_.bodies();
  ASSERT_EQ(bodies.size(), 1u) << p->stdout_data();
  EXPECT_EQ(Steps(GetParam(), bodies[0]), (std::vector<std::string>{"user: typed question"}));
  auto history = dir_.path() / "conversations" / ".ask_history";
  auto text = ReadFile(history);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_NE(text->find("typed"), std::string::npos) << *text;
  EXPECT_EQ(*FilePermissions(history), 0600u);
}

TEST_P(AskE2eTest, ABadKeyFailsClearlyAndSavesNothing) {
  fake_.Push(fake_.Error(401, "invalid api key"));
  AskRun run = Ask({kQuestion});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_NE(run.err.find("HTTP 401: invalid api key"), std::string::npos) << run.err;
  EXPECT_FALSE(HasKey(run.err)) << run.err;
  EXPECT_TRUE(SavedConversations().empty());
}

INSTANTIATE_TEST_SUITE_P(Wires, AskE2eTest,
                         ::testing::Values(Wire::kOpenAi, Wire::kAnthropic, Wire::kOllama),
                         [](const auto& info) { return llm::testing::WireName(info.param); });

}  // namespace
}  // namespace coral::analysis

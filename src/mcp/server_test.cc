#include "mcp/server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

namespace coral::mcp {
namespace {

using namespace std::chrono_literals;

// Records what a session sends on its own.
struct Recorder {
  std::mutex mu;
  std::vector<Json> sent;
  MessageSink sink() {
    return [this](const Message& m) {
      std::lock_guard lock(mu);
      sent.push_back(ToJson(m));
    };
  }
  std::vector<Json> Take() {
    std::lock_guard lock(mu);
    return std::exchange(sent, {});
  }
};

// Sends a request and returns the whole response as JSON (null when none).
Json Call(McpSession& session, int64_t id, const std::string& method,
          std::optional<Json> params = std::nullopt) {
  auto out = session.Handle(Request{.id = id, .method = method, .params = std::move(params)});
  return out ? ToJson(*out) : Json();
}

void Notify(McpSession& session, const std::string& method,
            std::optional<Json> params = std::nullopt) {
  EXPECT_FALSE(session.Handle(Notification{.method = method, .params = std::move(params)}));
}

Json InitParams(const std::string& version) {
  return {{"protocolVersion", version},
          {"capabilities", Json::object()},
          {"clientInfo", {{"name", "test"}, {"version", "1"}}}};
}

void Initialize(McpSession& session, const std::string& version = "2025-11-25") {
  Json r = Call(session, 0, "initialize", InitParams(version));
  ASSERT_TRUE(r.contains("result")) << r.dump();
  Notify(session, "notifications/initialized");
}

Tool AddTool() {
  return {
      .name = "add",
      .title = "Add",
      .description = "Adds two integers",
      .input_schema = {{"type", "object"},
                       {"properties",
                        {{"a", {{"type", "integer"}}},
                         {"b", {{"type", "integer"}}},
                         {"unit", {{"type", "string"}, {"enum", {"ms", "s"}}}}}},
                       {"required", {"a", "b"}}},
      .output_schema = Json{{"type", "object"}, {"properties", {{"sum", {{"type", "integer"}}}}}},
      .annotations = {.read_only_hint = true},
      .handler = [](const Json& args, RequestContext&) -> Result<ToolResult> {
        return ToolResult::Structured(
            {{"sum", args["a"].get<int64_t>() + args["b"].get<int64_t>()}});
      }};
}

class McpServerTest : public ::testing::Test {
 protected:
  McpServerTest() : server_({.name = "coral-test", .version = "9.9", .page_size = 2}) {
    server_.AddTool(AddTool());
    server_.AddTool({.name = "fail",
                     .description = "Always fails as a tool error",
                     .handler = [](const Json&, RequestContext&) -> Result<ToolResult> {
                       return NotFound("service 'checkout' is not known to this colony");
                     }});
    server_.AddTool(
        {.name = "soft_fail", .handler = [](const Json&, RequestContext&) -> Result<ToolResult> {
           return ToolResult::Error("query timed out after 5s");
         }});
    server_.AddTool(
        {.name = "throws", .handler = [](const Json& args, RequestContext&) -> Result<ToolResult> {
           return ToolResult::Text(args.at("missing").get<std::string>());
         }});
    server_.AddTool({.name = "no_structured",
                     .output_schema = Json{{"type", "object"}},
                     .handler = [](const Json&, RequestContext&) -> Result<ToolResult> {
                       return ToolResult::Text("oops");
                     }});
    server_.AddResource({.uri = "coral://readme",
                         .name = "readme",
                         .mime_type = "text/markdown",
                         .reader = [](const std::string&,
                                      RequestContext&) -> Result<std::vector<ResourceContents>> {
                           return std::vector<ResourceContents>{{.text = "# Coral"}};
                         }});
    server_.AddResource({.uri = "coral://logo.png",
                         .name = "logo",
                         .mime_type = "image/png",
                         .reader = [](const std::string&,
                                      RequestContext&) -> Result<std::vector<ResourceContents>> {
                           return std::vector<ResourceContents>{{.blob_base64 = "iVBORw0K"}};
                         }});
    server_.AddResource({.uri = "coral://gone",
                         .name = "gone",
                         .reader = [](const std::string& uri,
                                      RequestContext&) -> Result<std::vector<ResourceContents>> {
                           return NotFound("resource " + uri + " was deleted");
                         }});
    server_.AddPrompt({.name = "debug_service",
                       .description = "Investigate a service",
                       .arguments = {{.name = "service", .required = true}, {.name = "window"}},
                       .getter = [](const std::map<std::string, std::string>& args,
                                    RequestContext&) -> Result<PromptResult> {
                         if (args.at("service").empty()) return InvalidArgument("service is empty");
                         return PromptResult{.description = "debug",
                                             .messages = {PromptMessage::UserText(
                                                 "Why is " + args.at("service") + " slow?")}};
                       }});
    session_ = server_.NewSession(recorder_.sink());
  }

  Recorder recorder_;
  McpServer server_;
  std::unique_ptr<McpSession> session_;
};

TEST_F(McpServerTest, NegotiatesEachSupportedVersionAndFallsBackToLatest) {
  for (const char* version : {"2025-11-25", "2025-06-18", "2025-03-26"}) {
    auto s = server_.NewSession(nullptr);
    Json r = Call(*s, 1, "initialize", InitParams(version));
    EXPECT_EQ(r["result"]["protocolVersion"], version);
    EXPECT_EQ(s->protocol_version(), version);
  }
  auto s = server_.NewSession(nullptr);
  Json r = Call(*s, 1, "initialize", InitParams("2024-01-01"));
  EXPECT_EQ(r["result"]["protocolVersion"], "2025-11-25");
  EXPECT_EQ(r["result"]["serverInfo"], (Json{{"name", "coral-test"}, {"version", "9.9"}}));
  const Json& caps = r["result"]["capabilities"];
  for (const char* c : {"tools", "resources", "prompts", "logging"}) {
    EXPECT_TRUE(caps.contains(c)) << c;
  }
  // A second initialize on the same session is refused.
  EXPECT_EQ(Call(*s, 2, "initialize", InitParams("2025-11-25"))["error"]["code"], -32600);
  // A missing version is invalid params.
  auto t = server_.NewSession(nullptr);
  EXPECT_EQ(Call(*t, 1, "initialize", Json::object())["error"]["code"], -32602);
  EXPECT_FALSE(t->initialized());
}

TEST_F(McpServerTest, RequestsBeforeInitializeAreRefusedExceptPing) {
  EXPECT_EQ(Call(*session_, 1, "ping")["result"], Json::object());
  Json r = Call(*session_, 2, "tools/list");
  EXPECT_EQ(r["error"]["code"], -32600);
  EXPECT_EQ(r["id"], 2);
  EXPECT_NE(r["error"]["message"].get<std::string>().find("initialize"), std::string::npos);
  Initialize(*session_);
  EXPECT_TRUE(session_->client_ready());
  EXPECT_TRUE(Call(*session_, 3, "tools/list").contains("result"));
}

TEST_F(McpServerTest, UnknownMethodAndBadParams) {
  Initialize(*session_);
  EXPECT_EQ(Call(*session_, 1, "tools/frobnicate")["error"]["code"], -32601);
  EXPECT_EQ(Call(*session_, 2, "tools/list", Json::array({1}))["error"]["code"], -32602);
  // Unknown notifications and stray responses get no answer.
  Notify(*session_, "notifications/whatever");
  EXPECT_FALSE(session_->Handle(Response{.id = int64_t{5}, .result = Json::object()}));
  // Malformed text gets its error response.
  auto out = session_->HandleText("{nope");
  ASSERT_TRUE(out);
  EXPECT_EQ(ToJson(*out)["error"]["code"], -32700);
}

TEST_F(McpServerTest, ToolsListPaginatesWithOpaqueCursor) {
  Initialize(*session_);
  std::vector<std::string> names;
  Json params = Json::object();
  for (int page = 0; page < 10; ++page) {
    Json r = Call(*session_, 10 + page, "tools/list", params)["result"];
    EXPECT_LE(r["tools"].size(), 2u);
    for (const Json& t : r["tools"]) names.push_back(t["name"]);
    if (!r.contains("nextCursor")) break;
    params = {{"cursor", r["nextCursor"]}};
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"add", "fail", "soft_fail", "throws", "no_structured"}));
  Json first = Call(*session_, 30, "tools/list")["result"]["tools"][0];
  EXPECT_EQ(first["title"], "Add");
  EXPECT_EQ(first["inputSchema"]["required"], Json({"a", "b"}));
  EXPECT_EQ(first["annotations"], (Json{{"readOnlyHint", true}}));
  EXPECT_TRUE(first.contains("outputSchema"));
  EXPECT_EQ(Call(*session_, 31, "tools/list", Json{{"cursor", "garbage"}})["error"]["code"],
            -32602);
  EXPECT_EQ(Call(*session_, 32, "tools/list", Json{{"cursor", "o:99"}})["error"]["code"], -32602);
}

TEST_F(McpServerTest, CallToolWithGoodArgumentsReturnsStructuredContent) {
  Initialize(*session_);
  Json r = Call(*session_, 1, "tools/call",
                Json{{"name", "add"}, {"arguments", {{"a", 2}, {"b", 40}}}})["result"];
  EXPECT_EQ(r["structuredContent"], (Json{{"sum", 42}}));
  EXPECT_EQ(r["content"][0], (Json{{"type", "text"}, {"text", R"({"sum":42})"}}));
  EXPECT_FALSE(r.contains("isError"));
}

TEST_F(McpServerTest, WrongArgumentTypesAreInvalidParamsBefore20251125) {
  auto s = server_.NewSession(nullptr);
  Initialize(*s, "2025-06-18");
  Json r = Call(*s, 1, "tools/call", Json{{"name", "add"}, {"arguments", {{"a", "2"}, {"b", 1}}}});
  EXPECT_EQ(r["error"]["code"], -32602);
  EXPECT_EQ(r["error"]["message"], "tool add: argument 'a' must be integer, got string");
  r = Call(*s, 2, "tools/call", Json{{"name", "add"}, {"arguments", {{"a", 1}}}});
  EXPECT_EQ(r["error"]["message"], "tool add: missing required argument 'b'");
  r = Call(*s, 3, "tools/call",
           Json{{"name", "add"}, {"arguments", {{"a", 1}, {"b", 2}, {"unit", "h"}}}});
  EXPECT_EQ(r["error"]["message"], R"(tool add: argument 'unit' must be one of ["ms","s"])");
  r = Call(*s, 4, "tools/call", Json{{"name", "add"}, {"arguments", 5}});
  EXPECT_EQ(r["error"]["code"], -32602);
  // 3.0 is an integer in JSON Schema.
  r = Call(*s, 5, "tools/call", Json{{"name", "add"}, {"arguments", {{"a", 3.0}, {"b", 1}}}});
  EXPECT_EQ(r["result"]["structuredContent"]["sum"], 4);
}

TEST_F(McpServerTest, WrongArgumentTypesAreToolErrorsIn20251125) {
  Initialize(*session_, "2025-11-25");
  Json r = Call(*session_, 1, "tools/call",
                Json{{"name", "add"}, {"arguments", {{"a", true}, {"b", 1}}}})["result"];
  EXPECT_EQ(r["isError"], true);
  EXPECT_EQ(r["content"][0]["text"], "tool add: argument 'a' must be integer, got boolean");
}

TEST_F(McpServerTest, UnknownToolIsInvalidParams) {
  Initialize(*session_);
  Json r = Call(*session_, 1, "tools/call", Json{{"name", "nope"}});
  EXPECT_EQ(r["error"]["code"], -32602);
  EXPECT_NE(r["error"]["message"].get<std::string>().find("unknown tool: nope"), std::string::npos);
  EXPECT_EQ(Call(*session_, 2, "tools/call", Json::object())["error"]["code"], -32602);
}

TEST_F(McpServerTest, ToolFailuresAreIsErrorResultsAndBugsAreInternalErrors) {
  Initialize(*session_);
  Json r = Call(*session_, 1, "tools/call", Json{{"name", "fail"}})["result"];
  EXPECT_EQ(r["isError"], true);
  EXPECT_EQ(r["content"][0]["text"], "service 'checkout' is not known to this colony");
  r = Call(*session_, 2, "tools/call", Json{{"name", "soft_fail"}})["result"];
  EXPECT_EQ(r["isError"], true);
  r = Call(*session_, 3, "tools/call", Json{{"name", "throws"}});
  EXPECT_EQ(r["error"]["code"], -32603);
  r = Call(*session_, 4, "tools/call", Json{{"name", "no_structured"}});
  EXPECT_EQ(r["error"]["code"], -32603);
  // The session still works after a handler threw.
  EXPECT_EQ(Call(*session_, 5, "ping")["result"], Json::object());
}

TEST_F(McpServerTest, ResourcesListReadAndTemplates) {
  Initialize(*session_);
  Json page1 = Call(*session_, 1, "resources/list")["result"];
  ASSERT_EQ(page1["resources"].size(), 2u);
  EXPECT_EQ(page1["resources"][0],
            (Json{{"uri", "coral://readme"}, {"name", "readme"}, {"mimeType", "text/markdown"}}));
  Json page2 =
      Call(*session_, 2, "resources/list", Json{{"cursor", page1["nextCursor"]}})["result"];
  EXPECT_EQ(page2["resources"].size(), 1u);
  EXPECT_FALSE(page2.contains("nextCursor"));

  Json text = Call(*session_, 3, "resources/read", Json{{"uri", "coral://readme"}})["result"];
  EXPECT_EQ(text["contents"][0],
            (Json{{"uri", "coral://readme"}, {"mimeType", "text/markdown"}, {"text", "# Coral"}}));
  Json blob = Call(*session_, 4, "resources/read", Json{{"uri", "coral://logo.png"}})["result"];
  EXPECT_EQ(blob["contents"][0]["blob"], "iVBORw0K");
  EXPECT_FALSE(blob["contents"][0].contains("text"));

  Json missing = Call(*session_, 5, "resources/read", Json{{"uri", "coral://nope"}});
  EXPECT_EQ(missing["error"]["code"], -32002);
  EXPECT_EQ(missing["error"]["data"]["uri"], "coral://nope");
  EXPECT_EQ(Call(*session_, 6, "resources/read", Json{{"uri", "coral://gone"}})["error"]["code"],
            -32002);
  EXPECT_EQ(Call(*session_, 7, "resources/read", Json::object())["error"]["code"], -32602);
  EXPECT_EQ(Call(*session_, 8, "resources/templates/list")["result"],
            (Json{{"resourceTemplates", Json::array()}}));
}

TEST_F(McpServerTest, TemplatesReadWithTheirVariablesAndComplete) {
  server_.AddResourceTemplate(
      {.uri_template = "coral://services/{service}/summary",
       .name = "service-summary",
       .mime_type = "application/json",
       .reader = [](const std::string&, const std::map<std::string, std::string>& vars,
                    RequestContext&) -> Result<std::vector<ResourceContents>> {
         if (vars.at("service") == "ghost") return NotFound("no service ghost");
         return std::vector<ResourceContents>{
             {.text = "{\"service\":\"" + vars.at("service") + "\"}"}};
       },
       .completer =
           [](const std::string& arg, const std::string& value,
              const std::map<std::string, std::string>&) {
             std::vector<std::string> out;
             for (std::string s : {"checkout", "cart", "frontend"}) {
               if (arg == "service" && s.starts_with(value)) out.push_back(s);
             }
             return out;
           }});
  Initialize(*session_);
  Json list = Call(*session_, 1, "resources/templates/list")["result"];
  EXPECT_EQ(list["resourceTemplates"][0],
            (Json{{"uriTemplate", "coral://services/{service}/summary"},
                  {"name", "service-summary"},
                  {"mimeType", "application/json"}}));
  Json read = Call(*session_, 2, "resources/read",
                   Json{{"uri", "coral://services/cart/summary"}})["result"];
  EXPECT_EQ(read["contents"][0], (Json{{"uri", "coral://services/cart/summary"},
                                       {"mimeType", "application/json"},
                                       {"text", R"({"service":"cart"})"}}));
  EXPECT_EQ(Call(*session_, 3, "resources/read",
                 Json{{"uri", "coral://services/ghost/summary"}})["error"]["code"],
            -32002);
  // A variable never spans a '/', and the whole uri must match.
  EXPECT_EQ(Call(*session_, 4, "resources/read",
                 Json{{"uri", "coral://services/a/b/summary"}})["error"]["code"],
            -32002);
  Json complete =
      Call(*session_, 5, "completion/complete",
           Json{{"ref", {{"type", "ref/resource"}, {"uri", "coral://services/{service}/summary"}}},
                {"argument", {{"name", "service"}, {"value", "c"}}}})["result"];
  EXPECT_EQ(complete["completion"],
            (Json{{"values", {"checkout", "cart"}}, {"total", 2}, {"hasMore", false}}));
  EXPECT_EQ(Call(*session_, 6, "completion/complete",
                 Json{{"ref", {{"type", "ref/prompt"}, {"name", "nope"}}},
                      {"argument", {{"name", "x"}, {"value", ""}}}})["error"]["code"],
            -32602);
  // A prompt without a completer completes to nothing.
  Json none = Call(*session_, 7, "completion/complete",
                   Json{{"ref", {{"type", "ref/prompt"}, {"name", "debug_service"}}},
                        {"argument", {{"name", "service"}, {"value", "x"}}}})["result"];
  EXPECT_EQ(none["completion"]["values"], Json::array());
}

TEST_F(McpServerTest, SubscribedSessionsHearOfUpdatesUntilTheyUnsubscribe) {
  Initialize(*session_);
  EXPECT_EQ(Call(*session_, 1, "resources/subscribe", Json{{"uri", "coral://readme"}})["result"],
            Json::object());
  EXPECT_EQ(
      Call(*session_, 2, "resources/subscribe", Json{{"uri", "coral://nope"}})["error"]["code"],
      -32002);
  server_.NotifyResourceUpdated("coral://logo.png");  // not subscribed
  server_.NotifyResourceUpdated("coral://readme");
  auto sent = recorder_.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["method"], "notifications/resources/updated");
  EXPECT_EQ(sent[0]["params"]["uri"], "coral://readme");
  EXPECT_EQ(Call(*session_, 3, "resources/unsubscribe", Json{{"uri", "coral://readme"}})["result"],
            Json::object());
  server_.NotifyResourceUpdated("coral://readme");
  EXPECT_TRUE(recorder_.Take().empty());
}

TEST_F(McpServerTest, PromptsListAndGet) {
  Initialize(*session_);
  Json list = Call(*session_, 1, "prompts/list")["result"]["prompts"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["arguments"][0], (Json{{"name", "service"}, {"required", true}}));
  Json got = Call(*session_, 2, "prompts/get",
                  Json{{"name", "debug_service"}, {"arguments", {{"service", "cart"}}}})["result"];
  EXPECT_EQ(got["description"], "debug");
  EXPECT_EQ(
      got["messages"][0],
      (Json{{"role", "user"}, {"content", {{"type", "text"}, {"text", "Why is cart slow?"}}}}));
  EXPECT_EQ(Call(*session_, 3, "prompts/get", Json{{"name", "debug_service"}})["error"]["code"],
            -32602);
  EXPECT_EQ(Call(*session_, 4, "prompts/get", Json{{"name", "nope"}})["error"]["code"], -32602);
  EXPECT_EQ(Call(*session_, 5, "prompts/get",
                 Json{{"name", "debug_service"}, {"arguments", {{"service", 3}}}})["error"]["code"],
            -32602);
  EXPECT_EQ(
      Call(*session_, 6, "prompts/get",
           Json{{"name", "debug_service"}, {"arguments", {{"service", ""}}}})["error"]["code"],
      -32602);
}

TEST(McpSessionTest, LoggingSetLevelFiltersMessages) {
  McpServer server({});
  server.AddTool(
      {.name = "chatty", .handler = [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
         ctx.Log(LogLevel::kDebug, "coral", "debug detail");
         ctx.Log(LogLevel::kWarning, "coral", "slow store");
         return ToolResult::Text("done");
       }});
  Recorder rec;
  auto s = server.NewSession(rec.sink());
  Initialize(*s);
  EXPECT_EQ(Call(*s, 1, "logging/setLevel", Json{{"level", "warning"}})["result"], Json::object());
  EXPECT_EQ(s->log_level(), LogLevel::kWarning);
  Call(*s, 2, "tools/call", Json{{"name", "chatty"}});
  std::vector<Json> sent = rec.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["method"], "notifications/message");
  EXPECT_EQ(sent[0]["params"],
            (Json{{"level", "warning"}, {"logger", "coral"}, {"data", "slow store"}}));
  EXPECT_EQ(Call(*s, 3, "logging/setLevel", Json{{"level", "loud"}})["error"]["code"], -32602);
}

TEST(McpSessionTest, ProgressIsReportedOnlyWithATokenAndOnlyIncreasing) {
  McpServer server({});
  server.AddTool(
      {.name = "scan", .handler = [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
         ctx.ReportProgress(1, 3, "agent 1");
         ctx.ReportProgress(1, 3);  // not increasing: dropped
         ctx.ReportProgress(3, 3);
         return ToolResult::Text(ctx.has_progress_token() ? "token" : "none");
       }});
  Recorder rec;
  auto s = server.NewSession(rec.sink());
  Initialize(*s);
  Json r = Call(*s, 1, "tools/call", Json{{"name", "scan"}, {"_meta", {{"progressToken", "p1"}}}});
  EXPECT_EQ(r["result"]["content"][0]["text"], "token");
  std::vector<Json> sent = rec.Take();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(
      sent[0],
      (Json{
          {"jsonrpc", "2.0"},
          {"method", "notifications/progress"},
          {"params",
           {{"progressToken", "p1"}, {"progress", 1.0}, {"total", 3.0}, {"message", "agent 1"}}}}));
  EXPECT_EQ(sent[1]["params"]["progress"], 3.0);
  Call(*s, 2, "tools/call", Json{{"name", "scan"}});
  EXPECT_TRUE(rec.Take().empty());
}

TEST(McpSessionTest, CancelledRequestStopsAndGetsNoResponse) {
  McpServer server({});
  std::atomic<bool> started = false;
  std::atomic<bool> saw_cancel = false;
  server.AddTool(
      {.name = "slow", .handler = [&](const Json&, RequestContext& ctx) -> Result<ToolResult> {
         started = true;
         for (int i = 0; i < 1000 && !ctx.cancelled(); ++i) std::this_thread::sleep_for(5ms);
         saw_cancel = ctx.cancelled();
         return ToolResult::Text("late");
       }});
  auto s = server.NewSession(nullptr);
  Initialize(*s);
  std::optional<Message> answer = Message(Notification{});
  std::thread worker([&] {
    answer = s->Handle(Request{
        .id = std::string("job-1"), .method = "tools/call", .params = Json{{"name", "slow"}}});
  });
  while (!started) std::this_thread::sleep_for(1ms);
  // Cancelling another id does nothing.
  Notify(*s, "notifications/cancelled", Json{{"requestId", "job-2"}});
  Notify(*s, "notifications/cancelled", Json{{"requestId", "job-1"}, {"reason", "user hit stop"}});
  worker.join();
  EXPECT_TRUE(saw_cancel);
  EXPECT_FALSE(answer.has_value());
  // The id is free again afterwards, and the session still answers.
  EXPECT_EQ(Call(*s, 9, "ping")["result"], Json::object());
}

// A handler asks the client (sampling) and waits; the client's answer, a
// response message, wakes it. Capabilities come from initialize.
TEST(McpSessionTest, RequestsToTheClientWaitForItsAnswer) {
  McpServer server(McpServerOptions{});
  server.AddTool(
      {.name = "ask", .handler = [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
         if (!ctx.ClientSupports("sampling")) {
           return FailedPrecondition("the client does not support sampling");
         }
         Json r =
             CORAL_TRY(ctx.RequestClient("sampling/createMessage", Json{{"maxTokens", 10}}, 5s));
         return ToolResult::Text("got " + r["content"]["text"].get<std::string>());
       }});
  Recorder recorder;
  auto session = server.NewSession(recorder.sink());
  Json init = InitParams("2025-11-25");
  init["capabilities"] = {{"sampling", Json::object()}};
  ASSERT_TRUE(Call(*session, 0, "initialize", init).contains("result"));
  std::thread client([&] {
    for (int i = 0; i < 500; ++i) {
      auto sent = recorder.Take();
      if (sent.empty()) {
        std::this_thread::sleep_for(10ms);
        continue;
      }
      EXPECT_EQ(sent[0]["method"], "sampling/createMessage");
      EXPECT_EQ(sent[0]["params"]["maxTokens"], 10);
      // An answer to an id we never asked about changes nothing.
      EXPECT_FALSE(session->Handle(Response{.id = "coral-999", .result = Json::object()}));
      EXPECT_FALSE(session->Handle(Response{
          .id = sent[0]["id"].get<std::string>(),
          .result = {{"role", "assistant"}, {"content", {{"type", "text"}, {"text", "hi"}}}}}));
      return;
    }
    ADD_FAILURE() << "the session never asked the client";
  });
  Json r = Call(*session, 1, "tools/call", Json{{"name", "ask"}});
  client.join();
  EXPECT_EQ(r["result"]["content"][0]["text"], "got hi");

  // Without the capability the tool says so; an unanswered request times out.
  auto other = server.NewSession(recorder.sink());
  ASSERT_TRUE(Call(*other, 0, "initialize", InitParams("2025-11-25")).contains("result"));
  Json refused = Call(*other, 1, "tools/call", Json{{"name", "ask"}});
  EXPECT_EQ(refused["result"]["isError"], true);
  EXPECT_NE(refused["result"]["content"][0]["text"].get<std::string>().find("sampling"),
            std::string::npos);
}

TEST(McpSessionTest, DuplicateInFlightIdIsRefused) {
  McpServer server({});
  std::atomic<bool> started = false, release = false;
  server.AddTool(
      {.name = "wait", .handler = [&](const Json&, RequestContext&) -> Result<ToolResult> {
         started = true;
         while (!release) std::this_thread::sleep_for(1ms);
         return ToolResult::Text("ok");
       }});
  auto s = server.NewSession(nullptr);
  Initialize(*s);
  std::thread worker([&] { Call(*s, 7, "tools/call", Json{{"name", "wait"}}); });
  while (!started) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(Call(*s, 7, "ping")["error"]["code"], -32600);
  release = true;
  worker.join();
}

// --- 2026-07-28: stateless requests ------------------------------------------

// The _meta a 2026-07-28 request carries, merged into its params.
Json Stateless(Json params = Json::object(), Json capabilities = Json::object()) {
  params["_meta"][meta_key::kProtocolVersion] = "2026-07-28";
  params["_meta"][meta_key::kClientCapabilities] = std::move(capabilities);
  params["_meta"][meta_key::kClientInfo] = {{"name", "test"}, {"version", "1"}};
  return params;
}

TEST_F(McpServerTest, DiscoverNeedsNoInitializeAndTellsVersionsAndServer) {
  Json r = Call(*session_, 1, "server/discover", Stateless());
  ASSERT_TRUE(r.contains("result")) << r.dump();
  const Json& d = r["result"];
  EXPECT_EQ(d["supportedVersions"], (Json{"2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26"}));
  for (const char* c : {"tools", "resources", "prompts", "logging", "completions"}) {
    EXPECT_TRUE(d["capabilities"].contains(c)) << c;
  }
  EXPECT_EQ(d["resultType"], "complete");
  EXPECT_EQ(d["ttlMs"], 0);
  EXPECT_EQ(d["cacheScope"], "private");
  EXPECT_EQ(d["_meta"][meta_key::kServerInfo], (Json{{"name", "coral-test"}, {"version", "9.9"}}));
  // Stateless requests leave the session as they found it.
  EXPECT_FALSE(session_->initialized());
  EXPECT_EQ(session_->protocol_version(), "");
}

TEST_F(McpServerTest, StatelessToolsCallWithoutAnySession) {
  Json r = Call(*session_, 1, "tools/call",
                Stateless({{"name", "add"}, {"arguments", {{"a", 2}, {"b", 3}}}}));
  ASSERT_TRUE(r.contains("result")) << r.dump();
  EXPECT_EQ(r["result"]["structuredContent"], (Json{{"sum", 5}}));
  EXPECT_EQ(r["result"]["resultType"], "complete");
  EXPECT_FALSE(r["result"].contains("ttlMs"));  // a tool's result is not cacheable
  EXPECT_EQ(r["result"]["_meta"][meta_key::kServerInfo]["name"], "coral-test");
  // Lists are cacheable; argument errors are tool errors, as from 2025-11-25.
  Json list = Call(*session_, 2, "tools/list", Stateless());
  EXPECT_EQ(list["result"]["tools"].size(), 2u);
  EXPECT_EQ(list["result"]["cacheScope"], "private");
  Json bad =
      Call(*session_, 3, "tools/call", Stateless({{"name", "add"}, {"arguments", {{"a", 1}}}}));
  EXPECT_EQ(bad["result"]["isError"], true);
  // A handshake client on the same session still has to initialize.
  EXPECT_EQ(Call(*session_, 4, "tools/list")["error"]["code"], -32600);
}

TEST_F(McpServerTest, StatelessRequestsWithBadOrMissingMetaAreRefused) {
  // As HTTP hands them over: stateless by the version header, whatever the body.
  auto code = [&](const std::string& method, std::optional<Json> params) {
    auto out = session_->Handle(Request{.id = int64_t{1}, .method = method, .params = params},
                                {.era = Era::kStateless});
    return out ? ToJson(*out)["error"].value("code", 0) : 0;
  };
  EXPECT_EQ(code("server/discover", std::nullopt), -32602);
  EXPECT_EQ(code("server/discover", Json::object()), -32602);
  Json no_version = Stateless();
  no_version["_meta"].erase(meta_key::kProtocolVersion);
  EXPECT_EQ(code("tools/list", no_version), -32602);
  Json no_caps = Stateless();
  no_caps["_meta"].erase(meta_key::kClientCapabilities);
  EXPECT_EQ(code("tools/list", no_caps), -32602);
  Json caps_not_object = Stateless();
  caps_not_object["_meta"][meta_key::kClientCapabilities] = "all";
  EXPECT_EQ(code("tools/list", caps_not_object), -32602);
  Json bad_level = Stateless();
  bad_level["_meta"][meta_key::kLogLevel] = "loud";
  EXPECT_EQ(code("tools/list", bad_level), -32602);
  // clientInfo is a SHOULD: requests without it are served.
  Json no_info = Stateless();
  no_info["_meta"].erase(meta_key::kClientInfo);
  EXPECT_TRUE(Call(*session_, 2, "tools/list", no_info).contains("result"));

  // A version this server does not serve statelessly: the error lists them.
  for (const char* version : {"2099-01-01", "2025-11-25"}) {
    Json other = Stateless();
    other["_meta"][meta_key::kProtocolVersion] = version;
    Json r = Call(*session_, 3, "server/discover", other);
    EXPECT_EQ(r["error"]["code"], -32022) << version;
    EXPECT_EQ(r["error"]["data"]["requested"], version);
    EXPECT_EQ(r["error"]["data"]["supported"][0], "2026-07-28");
    EXPECT_EQ(r["id"], 3);
  }
}

TEST_F(McpServerTest, HandshakeOnlyAndUnknownMethodsAreNotFoundStatelessly) {
  for (const char* method : {"initialize", "ping", "logging/setLevel", "resources/subscribe",
                             "resources/unsubscribe", "tools/frobnicate"}) {
    Json r = Call(*session_, 1, method, Stateless({{"uri", "coral://readme"}}));
    EXPECT_EQ(r["error"]["code"], -32601) << method;
  }
  EXPECT_FALSE(session_->initialized());
  // initialize without _meta is the handshake, and cannot choose 2026-07-28.
  Json r = Call(*session_, 2, "initialize", InitParams("2026-07-28"));
  EXPECT_EQ(r["result"]["protocolVersion"], "2025-11-25");
}

TEST_F(McpServerTest, StatelessResourceNotFoundIsInvalidParamsWithTheUri) {
  Json r = Call(*session_, 1, "resources/read", Stateless({{"uri", "coral://nope"}}));
  EXPECT_EQ(r["error"]["code"], -32602);
  EXPECT_EQ(r["error"]["data"]["uri"], "coral://nope");
  Json read = Call(*session_, 2, "resources/read", Stateless({{"uri", "coral://readme"}}));
  EXPECT_EQ(read["result"]["contents"][0]["text"], "# Coral");
  EXPECT_EQ(read["result"]["ttlMs"], 0);
  // The handshake keeps its code.
  Initialize(*session_);
  EXPECT_EQ(Call(*session_, 3, "resources/read", Json{{"uri", "coral://nope"}})["error"]["code"],
            -32002);
}

TEST(McpSessionTest, StatelessLogsOnlyAtTheLevelTheRequestAsked) {
  McpServer server({});
  server.AddTool(
      {.name = "chatty", .handler = [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
         ctx.Log(LogLevel::kDebug, "coral", "debug detail");
         ctx.Log(LogLevel::kWarning, "coral", "slow store");
         return ToolResult::Text(ctx.ClientSupports("sampling") ? "sampling" : "no sampling");
       }});
  Recorder rec;
  auto s = server.NewSession(rec.sink());
  Initialize(*s);  // a handshake client's level (info) is not a stateless request's
  Json r = Call(*s, 1, "tools/call", Stateless({{"name", "chatty"}}));
  EXPECT_EQ(r["result"]["content"][0]["text"], "no sampling");
  EXPECT_TRUE(rec.Take().empty());
  Json asked = Stateless({{"name", "chatty"}}, {{"sampling", Json::object()}});
  asked["_meta"][meta_key::kLogLevel] = "warning";
  r = Call(*s, 2, "tools/call", asked);
  EXPECT_EQ(r["result"]["content"][0]["text"], "sampling");  // capabilities are per request
  std::vector<Json> sent = rec.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["params"]["data"], "slow store");
}

// A tool written for multi round-trip requests: it asks for a name, keeping
// state, and greets.
Tool GreetTool() {
  return {
      .name = "greet", .handler = [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
        const Json* answer = ctx.InputResponse("who");
        if (answer == nullptr || ctx.request_state() != "asked-once") {
          return ToolResult::NeedInput(
              {.requests = {{"who",
                             {.method = "elicitation/create",
                              .params = {{"message", "Who are you?"},
                                         {"requestedSchema", {{"type", "object"}}}}}}},
               .state = "asked-once"});
        }
        return ToolResult::Text(
            "hello " + answer->value("content", Json::object()).value("name", std::string("?")));
      }};
}

Json Elicited(const std::string& name) {
  return {{"action", "accept"}, {"content", {{"name", name}}}};
}

TEST(McpSessionTest, InputRequiredRoundTripsWithASignedState) {
  McpServer server({});
  server.AddTool(GreetTool());
  auto s = server.NewSession(nullptr);
  Json elicitation = {{"elicitation", Json::object()}};
  Json first = Call(*s, 1, "tools/call", Stateless({{"name", "greet"}}, elicitation));
  const Json& r = first["result"];
  ASSERT_EQ(r["resultType"], "input_required") << first.dump();
  EXPECT_EQ(r["inputRequests"]["who"]["method"], "elicitation/create");
  ASSERT_TRUE(r["requestState"].is_string());
  // The client can read the state but not change it.
  EXPECT_EQ(r["requestState"].get<std::string>().find("asked-once"), std::string::npos);

  Json again = Stateless({{"name", "greet"},
                          {"inputResponses", {{"who", Elicited("ada")}}},
                          {"requestState", r["requestState"]}},
                         elicitation);
  Json second = Call(*s, 2, "tools/call", again);
  EXPECT_EQ(second["result"]["resultType"], "complete");
  EXPECT_EQ(second["result"]["content"][0]["text"], "hello ada");

  Json tampered = again;
  tampered["requestState"] = r["requestState"].get<std::string>() + "x";
  EXPECT_EQ(Call(*s, 3, "tools/call", tampered)["error"]["code"], -32602);
  Json forged = again;
  forged["requestState"] = "YXNrZWQtb25jZQ.AAAA";  // "asked-once", a made-up signature
  EXPECT_EQ(Call(*s, 4, "tools/call", forged)["error"]["code"], -32602);
  // A state is good for the tool that issued it only.
  server.AddTool({.name = "other", .handler = GreetTool().handler});
  Json elsewhere = again;
  elsewhere["name"] = "other";
  EXPECT_EQ(Call(*s, 5, "tools/call", elsewhere)["error"]["code"], -32602);
  // Answers must be objects.
  Json not_object = again;
  not_object["inputResponses"] = {{"who", 12345}};
  EXPECT_EQ(Call(*s, 6, "tools/call", not_object)["error"]["code"], -32602);
  not_object["inputResponses"] = nullptr;
  EXPECT_EQ(Call(*s, 7, "tools/call", not_object)["error"]["code"], -32602);

  // Asking for what the client did not declare is refused, naming it.
  Json undeclared = Call(*s, 8, "tools/call", Stateless({{"name", "greet"}}));
  EXPECT_EQ(undeclared["error"]["code"], -32021);
  EXPECT_EQ(undeclared["error"]["data"]["requiredCapabilities"],
            (Json{{"elicitation", Json::object()}}));
}

// Servers behind a load balancer share the key, so any of them continues
// what another began; a server with another key refuses the state.
TEST(McpSessionTest, ASharedStateKeyLetsAnotherServerContinue) {
  McpServer a({.request_state_key = "shared secret"}), b({.request_state_key = "shared secret"}),
      c({.request_state_key = "another secret"});
  for (McpServer* server : {&a, &b, &c}) server->AddTool(GreetTool());
  auto sa = a.NewSession(nullptr), sb = b.NewSession(nullptr), sc = c.NewSession(nullptr);
  Json caps = {{"elicitation", Json::object()}};
  Json first = Call(*sa, 1, "tools/call", Stateless({{"name", "greet"}}, caps));
  Json again = Stateless({{"name", "greet"},
                          {"inputResponses", {{"who", Elicited("bo")}}},
                          {"requestState", first["result"]["requestState"]}},
                         caps);
  EXPECT_EQ(Call(*sb, 2, "tools/call", again)["result"]["content"][0]["text"], "hello bo");
  EXPECT_EQ(Call(*sc, 3, "tools/call", again)["error"]["code"], -32602);
}

// The same handler serves a handshake client: the server asks it directly,
// then runs the handler again with the answer.
TEST(McpSessionTest, InputRequiredAsksAHandshakeClientDirectly) {
  McpServer server({});
  server.AddTool(GreetTool());
  Recorder recorder;
  auto session = server.NewSession(recorder.sink());
  Json init = InitParams("2025-11-25");
  init["capabilities"] = {{"elicitation", Json::object()}};
  ASSERT_TRUE(Call(*session, 0, "initialize", init).contains("result"));
  std::thread client([&] {
    for (int i = 0; i < 500; ++i) {
      auto sent = recorder.Take();
      if (sent.empty()) {
        std::this_thread::sleep_for(10ms);
        continue;
      }
      EXPECT_EQ(sent[0]["method"], "elicitation/create");
      EXPECT_EQ(sent[0]["params"]["message"], "Who are you?");
      EXPECT_FALSE(session->Handle(
          Response{.id = sent[0]["id"].get<std::string>(), .result = Elicited("cy")}));
      return;
    }
    ADD_FAILURE() << "the session never asked the client";
  });
  Json r = Call(*session, 1, "tools/call", Json{{"name", "greet"}});
  client.join();
  EXPECT_EQ(r["result"]["content"][0]["text"], "hello cy");
  EXPECT_FALSE(r["result"].contains("resultType"));  // handshake results are as they were

  // Without the capability the tool's result says what is missing.
  auto other = server.NewSession(recorder.sink());
  Initialize(*other);
  Json refused = Call(*other, 1, "tools/call", Json{{"name", "greet"}});
  EXPECT_EQ(refused["result"]["isError"], true);
  EXPECT_NE(refused["result"]["content"][0]["text"].get<std::string>().find("elicitation"),
            std::string::npos);
}

TEST_F(McpServerTest, StatelessListenAcknowledgesThenDeliversUpdatesUntilCancelled) {
  std::optional<Message> answer = Message(Notification{});
  std::thread listener([&] {
    answer = session_->Handle(Request{
        .id = std::string("sub-1"),
        .method = "subscriptions/listen",
        .params = Stateless({{"notifications",
                              {{"resourceSubscriptions", {"coral://readme", "coral://nope"}},
                               {"toolsListChanged", true}}}})});
  });
  std::vector<Json> sent;
  for (int i = 0; i < 500 && sent.empty(); ++i) {
    std::this_thread::sleep_for(5ms);
    sent = recorder_.Take();
  }
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["method"], "notifications/subscriptions/acknowledged");
  // What it honors: the resource it has; its lists never change.
  EXPECT_EQ(sent[0]["params"]["notifications"],
            (Json{{"resourceSubscriptions", {"coral://readme"}}}));
  EXPECT_EQ(sent[0]["params"]["_meta"][meta_key::kSubscriptionId], "sub-1");
  // Updates of subscribed resources follow, tagged with the subscription.
  for (int i = 0; i < 500 && sent.size() < 2; ++i) {
    server_.NotifyResourceUpdated("coral://logo.png");  // not subscribed
    server_.NotifyResourceUpdated("coral://readme");
    std::this_thread::sleep_for(5ms);
    for (Json& m : recorder_.Take()) sent.push_back(std::move(m));
  }
  ASSERT_GE(sent.size(), 2u);
  EXPECT_EQ(sent[1]["method"], "notifications/resources/updated");
  EXPECT_EQ(sent[1]["params"]["uri"], "coral://readme");
  EXPECT_EQ(sent[1]["params"]["_meta"][meta_key::kSubscriptionId], "sub-1");
  Notify(*session_, "notifications/cancelled", Json{{"requestId", "sub-1"}});
  listener.join();
  EXPECT_FALSE(answer.has_value());  // cancelled: no answer
  recorder_.Take();
  server_.NotifyResourceUpdated("coral://readme");
  EXPECT_TRUE(recorder_.Take().empty());
}

TEST_F(McpServerTest, StatelessListenEndsWithAResultWhenTheServerGoesAway) {
  std::optional<Message> answer;
  std::thread listener([&] {
    answer = session_->Handle(Request{.id = int64_t{4},
                                      .method = "subscriptions/listen",
                                      .params = Stateless({{"notifications", Json::object()}})});
  });
  for (int i = 0; i < 500 && recorder_.Take().empty(); ++i) std::this_thread::sleep_for(5ms);
  session_->AbandonClientRequests();
  listener.join();
  ASSERT_TRUE(answer.has_value());
  Json r = ToJson(*answer);
  EXPECT_EQ(r["result"]["resultType"], "complete");
  EXPECT_EQ(r["result"]["_meta"][meta_key::kSubscriptionId], 4);
  // A listen without its filter is invalid.
  EXPECT_EQ(Call(*session_, 5, "subscriptions/listen", Stateless())["error"]["code"], -32602);
}

}  // namespace
}  // namespace coral::mcp

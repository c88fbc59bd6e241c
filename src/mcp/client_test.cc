#include "mcp/client.h"

#include <gtest/gtest.h>

#include <mutex>

#include "mcp/http_transport.h"
#include "mcp/server.h"
#include "net/http_server.h"

namespace coral::mcp {
namespace {

// A scripted Streamable HTTP server: answers by method, records requests.
class ScriptedServer {
 public:
  using Answer = std::function<net::HttpResponse(const Json& message)>;

  explicit ScriptedServer(Answer answer) : answer_(std::move(answer)) {
    auto http = net::HttpServer::Start({}, [this](const net::HttpRequest& r) {
      {
        std::lock_guard lock(mu_);
        requests_.push_back(r);
      }
      if (r.method == "DELETE") return net::HttpResponse::Text(200, "");
      return answer_(Json::parse(r.body));
    });
    EXPECT_TRUE(http.ok()) << http.status().ToString();
    http_ = std::move(*http);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(http_->port()) + "/mcp"; }
  std::vector<net::HttpRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  Answer answer_;
  std::mutex mu_;  // guards requests_
  std::vector<net::HttpRequest> requests_;
  std::unique_ptr<net::HttpServer> http_;
};

net::HttpResponse Sse(std::string body) {
  net::HttpResponse r{.status = 200, .headers = {{"Content-Type", "text/event-stream"}}};
  r.body = std::move(body);
  return r;
}

Json Result(const Json& request, Json result) {
  return {{"jsonrpc", "2.0"}, {"id", request["id"]}, {"result", std::move(result)}};
}

TEST(McpClientTest, JsonAndEventStreamAnswersWithHeadersPagesAndNotifications) {
  ScriptedServer server([](const Json& m) {
    std::string method = m.value("method", "");
    if (method == "initialize") {
      auto r = net::HttpResponse::Json(
          200,
          Result(m, {{"protocolVersion", "2025-06-18"}, {"capabilities", Json::object()}}).dump());
      r.headers.push_back({"Mcp-Session-Id", "session-1"});
      return r;
    }
    if (method == "notifications/initialized") return net::HttpResponse::Text(202, "");
    if (method == "tools/list") {
      if (!m["params"].contains("cursor")) {
        return net::HttpResponse::Json(
            200, Result(m, {{"tools", {{{"name", "a"}}}}, {"nextCursor", "p2"}}).dump());
      }
      // The second page as a stream with CRLF lines and a priming event.
      return Sse("id: 0\r\ndata:\r\n\r\nevent: message\r\ndata: " +
                 Result(m, {{"tools", {{{"name", "b"}}}}}).dump() + "\r\n\r\n");
    }
    // tools/call: a priming event, a progress notification, a log message
    // split over two data lines, then the response.
    Json progress = {{"jsonrpc", "2.0"},
                     {"method", "notifications/progress"},
                     {"params", {{"progressToken", 1}, {"progress", 0.5}}}};
    Json result = Result(m, {{"content", {{{"type", "text"}, {"text", "done"}}}}});
    return Sse("id: 1\ndata:\n\nid: 2\ndata: " + progress.dump() +
               "\n\ndata: {\"jsonrpc\":\"2.0\",\ndata: \"method\":\"notifications/message\"}\n\n"
               "id: 3\ndata: " +
               result.dump() + "\n\n");
  });

  McpClient client({.url = server.url(), .token = "tok"});
  auto init = client.Initialize();
  ASSERT_TRUE(init.ok()) << init.status().ToString();
  EXPECT_EQ(client.session_id(), "session-1");
  EXPECT_EQ(client.protocol_version(), "2025-06-18");

  auto tools = client.ListTools();
  ASSERT_TRUE(tools.ok()) << tools.status().ToString();
  ASSERT_EQ(tools->size(), 2u);
  EXPECT_EQ((*tools)[1]["name"], "b");

  std::vector<Json> others;
  auto called = client.CallTool("a", {{"x", 1}}, [&](const Json& m) { others.push_back(m); });
  ASSERT_TRUE(called.ok()) << called.status().ToString();
  EXPECT_EQ(ToolResultText(*called), "done");
  ASSERT_EQ(others.size(), 2u);
  EXPECT_EQ(others[0]["method"], "notifications/progress");
  EXPECT_EQ(others[1]["method"], "notifications/message");
  client.Close();

  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 6u);
  EXPECT_EQ(requests[0].header("Authorization"), "Bearer tok");
  EXPECT_EQ(requests[0].header("Accept"), "application/json, text/event-stream");
  EXPECT_EQ(requests[0].header("Mcp-Session-Id"), "");
  for (size_t i = 1; i < 5; ++i) {
    EXPECT_EQ(requests[i].header("Mcp-Session-Id"), "session-1") << i;
    EXPECT_EQ(requests[i].header("MCP-Protocol-Version"), "2025-06-18") << i;
  }
  EXPECT_EQ(Json::parse(requests[4].body)["params"],
            (Json{{"name", "a"}, {"arguments", {{"x", 1}}}}));
  EXPECT_EQ(requests[5].method, "DELETE");
  EXPECT_EQ(requests[5].header("Mcp-Session-Id"), "session-1");
}

TEST(McpClientTest, HttpErrorsAndBrokenStreamsSayWhat) {
  ScriptedServer server([](const Json& m) {
    std::string method = m.value("method", "");
    if (method == "initialize") return net::HttpResponse::Json(401, R"({"error":"bad token"})");
    if (method == "tools/list") return Sse("data: not json\n\n");
    return Sse(": only a comment\n\n");  // the stream ends without a response
  });
  McpClient client({.url = server.url(), .token = "wrong"});
  auto init = client.Initialize();
  ASSERT_FALSE(init.ok());
  EXPECT_EQ(init.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(init.status().message().find("HTTP 401: bad token"), std::string::npos);
  auto list = client.ListTools();
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.status().message().find("not JSON"), std::string::npos) << list.status().message();
  auto call = client.CallTool("x", Json::object());
  ASSERT_FALSE(call.ok());
  EXPECT_NE(call.status().message().find("gave no response to tools/call"), std::string::npos)
      << call.status().message();

  McpClient unreachable({.url = "http://127.0.0.1:1/mcp", .token = "t"});
  EXPECT_EQ(unreachable.Initialize().status().code(), StatusCode::kUnavailable);
}

TEST(McpClientTest, TalksToCoralsOwnServerAndRunsCallsInParallel) {
  McpServer server{McpServerOptions{}};
  server.AddTool({.name = "echo",
                  .handler = [](const Json& args, RequestContext&) -> coral::Result<ToolResult> {
                    return ToolResult::Text(args.value("text", ""));
                  }});
  McpHttpTransport transport(server, HttpTransportOptions{});
  auto http = net::HttpServer::Start(
      {.threads = 4}, [&](const net::HttpRequest& r) { return transport.Handle(r); });
  ASSERT_TRUE(http.ok());
  McpClient client({.url = "http://127.0.0.1:" + std::to_string((*http)->port()) + "/mcp"});
  ASSERT_TRUE(client.Initialize().ok());
  auto tools = client.ListTools();
  ASSERT_TRUE(tools.ok());
  ASSERT_EQ(tools->size(), 1u);
  std::vector<std::thread> threads;
  std::vector<std::string> texts(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto r = client.CallTool("echo", {{"text", "t" + std::to_string(i)}});
      texts[i] = r.ok() ? ToolResultText(*r) : r.status().ToString();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(texts, (std::vector<std::string>{"t0", "t1", "t2", "t3"}));
  client.Close();
  EXPECT_EQ(transport.session_count(), 0u);
}

TEST(McpClientTest, BodiesSplitIntoMessages) {
  auto sse =
      MessagesFromBody("text/event-stream; charset=utf-8", "data: {\"a\":1}\n\ndata: [2]\n\n");
  ASSERT_TRUE(sse.ok());
  EXPECT_EQ(sse->size(), 2u);
  auto json = MessagesFromBody("application/json", R"([{"a":1},{"b":2}])");
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->size(), 2u);
  EXPECT_FALSE(MessagesFromBody("application/json", "{").ok());
}

// Against Coral's own (dual-era) server, Connect stays stateless: no session,
// and every request carries what the server needs to answer it alone.
TEST(McpClientTest, ConnectSpeaks2026WithCoralsServerWithoutASession) {
  McpServer server{McpServerOptions{}};
  server.AddTool(
      {.name = "echo",
       .handler = [](const Json& args, RequestContext& ctx) -> coral::Result<ToolResult> {
         return ToolResult::Text(args.value("text", "") + " " + ctx.protocol_version());
       }});
  server.AddTool(
      {.name = "regional",
       .input_schema = {{"type", "object"},
                        {"properties",
                         {{"region", {{"type", "string"}, {"x-mcp-header", "Region"}}}}}},
       .handler = [](const Json& args, RequestContext&) -> coral::Result<ToolResult> {
         return ToolResult::Text("in " + args.value("region", ""));
       }});
  McpHttpTransport transport(server, HttpTransportOptions{});
  std::mutex mu;
  std::vector<net::HttpRequest> seen;
  auto http = net::HttpServer::Start({.threads = 2}, [&](const net::HttpRequest& r) {
    {
      std::lock_guard lock(mu);
      seen.push_back(r);
    }
    return transport.Handle(r);
  });
  ASSERT_TRUE(http.ok());
  McpClient client({.url = "http://127.0.0.1:" + std::to_string((*http)->port()) + "/mcp"});
  auto discovered = client.Connect();
  ASSERT_TRUE(discovered.ok()) << discovered.status().ToString();
  EXPECT_EQ((*discovered)["supportedVersions"][0], "2026-07-28");
  EXPECT_TRUE(client.stateless());
  EXPECT_EQ(client.protocol_version(), "2026-07-28");
  EXPECT_EQ(client.session_id(), "");

  auto tools = client.ListTools();
  ASSERT_TRUE(tools.ok()) << tools.status().ToString();
  EXPECT_EQ(tools->size(), 2u);
  auto echoed = client.CallTool("echo", {{"text", "hi"}});
  ASSERT_TRUE(echoed.ok()) << echoed.status().ToString();
  EXPECT_EQ(ToolResultText(*echoed), "hi 2026-07-28");
  // The server checks the Mcp-Param header the client sends for it.
  auto regional = client.CallTool("regional", {{"region", "zürich"}});
  ASSERT_TRUE(regional.ok()) << regional.status().ToString();
  EXPECT_EQ(ToolResultText(*regional), "in zürich");
  // A refused request is the server's JSON-RPC error, not an HTTP failure.
  auto unknown = client.CallTool("nope", Json::object());
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("error -32602"), std::string::npos)
      << unknown.status().message();
  client.Close();
  EXPECT_EQ(transport.session_count(), 0u);

  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), 5u);  // discover, list, three calls: no DELETE
  for (const net::HttpRequest& r : seen) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.header("Mcp-Session-Id"), "");
    EXPECT_EQ(r.header("MCP-Protocol-Version"), "2026-07-28");
    Json body = Json::parse(r.body);
    EXPECT_EQ(r.header("Mcp-Method"), body["method"]);
    EXPECT_EQ(body["params"]["_meta"][meta_key::kClientInfo]["name"], "coral");
  }
  EXPECT_EQ(seen[2].header("Mcp-Name"), "echo");
  EXPECT_EQ(seen[3].header("Mcp-Param-Region"), "=?base64?esO8cmljaA==?=");
}

// A server before 2026-07-28 refuses server/discover (here as Coral's own
// server did, for the version header); Connect falls back to initialize.
TEST(McpClientTest, ConnectFallsBackToInitializeForHandshakeServers) {
  ScriptedServer server([](const Json& m) {
    std::string method = m.value("method", "");
    if (method == "server/discover") {
      return net::HttpResponse::Json(
          400,
          R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"unsupported MCP-Protocol-Version: 2026-07-28"}})");
    }
    if (method == "initialize") {
      auto r = net::HttpResponse::Json(
          200,
          Result(m, {{"protocolVersion", "2025-06-18"}, {"capabilities", Json::object()}}).dump());
      r.headers.push_back({"Mcp-Session-Id", "session-1"});
      return r;
    }
    if (method == "notifications/initialized") return net::HttpResponse::Text(202, "");
    return net::HttpResponse::Json(200, Result(m, {{"tools", Json::array()}}).dump());
  });
  McpClient client({.url = server.url(), .token = "tok"});
  auto init = client.Connect();
  ASSERT_TRUE(init.ok()) << init.status().ToString();
  EXPECT_EQ((*init)["protocolVersion"], "2025-06-18");
  EXPECT_FALSE(client.stateless());
  EXPECT_EQ(client.session_id(), "session-1");
  ASSERT_TRUE(client.ListTools().ok());
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(Json::parse(requests[0].body)["method"], "server/discover");
  EXPECT_EQ(Json::parse(requests[1].body)["method"], "initialize");
  Json list = Json::parse(requests[3].body);
  EXPECT_FALSE(list["params"].contains("_meta"));  // the handshake's requests are as they were
  EXPECT_EQ(requests[3].header("Mcp-Session-Id"), "session-1");
  EXPECT_EQ(requests[3].header("MCP-Protocol-Version"), "2025-06-18");
  EXPECT_EQ(requests[3].header("Mcp-Method"), "");

  // A refused token is refused once, not tried again with initialize.
  ScriptedServer locked(
      [](const Json&) { return net::HttpResponse::Json(401, R"({"error":"bad token"})"); });
  McpClient denied({.url = locked.url(), .token = "wrong"});
  EXPECT_EQ(denied.Connect().status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(locked.requests().size(), 1u);
}

}  // namespace
}  // namespace coral::mcp

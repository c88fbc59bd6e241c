#include "mcp/http_transport.h"

#include <gtest/gtest.h>

#include "base/clock.h"
#include "net/http_client.h"
#include "net/http_server.h"

namespace coral::mcp {
namespace {

using net::FindHeader;

constexpr char kInit[] =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})";

class HttpTransportTest : public ::testing::Test {
 protected:
  void Start(HttpTransportOptions options = {}, size_t server_body_limit = 4u << 20) {
    server_.AddTool(
        {.name = "echo",
         .input_schema = {{"type", "object"}, {"properties", {{"text", {{"type", "string"}}}}}},
         .handler = [](const Json& args, RequestContext&) -> Result<ToolResult> {
           return ToolResult::Text(args.value("text", ""));
         }});
    transport_ = std::make_unique<McpHttpTransport>(server_, std::move(options));
    auto http =
        net::HttpServer::Start({.max_body_bytes = server_body_limit},
                               [this](const net::HttpRequest& r) { return transport_->Handle(r); });
    ASSERT_TRUE(http.ok()) << http.status().ToString();
    http_ = std::move(*http);
  }

  net::HttpClientResponse Send(const std::string& method, const std::string& body,
                               net::Headers headers = {}, const std::string& path = "/mcp") {
    if (method == "POST") headers.emplace_back("Content-Type", "application/json");
    if (FindHeader(headers, "Accept").empty()) {
      headers.emplace_back("Accept", "application/json, text/event-stream");
    }
    auto r = net::HttpFetch({.method = method,
                             .url = "http://127.0.0.1:" + std::to_string(http_->port()) + path,
                             .headers = std::move(headers),
                             .body = body});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : net::HttpClientResponse{};
  }

  // Initializes a session and returns its id.
  std::string NewSession() {
    auto r = Send("POST", kInit);
    EXPECT_EQ(r.status, 200) << r.body;
    std::string id(r.header("Mcp-Session-Id"));
    EXPECT_EQ(Send("POST", R"({"jsonrpc":"2.0","method":"notifications/initialized"})",
                   {{"Mcp-Session-Id", id}, {"MCP-Protocol-Version", "2025-06-18"}})
                  .status,
              202);
    return id;
  }

  McpServer server_{McpServerOptions{}};
  std::unique_ptr<McpHttpTransport> transport_;
  std::unique_ptr<net::HttpServer> http_;
};

TEST_F(HttpTransportTest, SessionLifecycle) {
  Start();
  auto init = Send("POST", kInit);
  ASSERT_EQ(init.status, 200) << init.body;
  EXPECT_EQ(init.header("Content-Type"), "application/json");
  EXPECT_EQ(Json::parse(init.body)["result"]["protocolVersion"], "2025-06-18");
  std::string id(init.header("Mcp-Session-Id"));
  ASSERT_EQ(id.size(), 32u);
  for (char c : id) EXPECT_TRUE(c >= 0x21 && c <= 0x7e);
  EXPECT_EQ(transport_->session_count(), 1u);

  net::Headers session = {{"Mcp-Session-Id", id}, {"MCP-Protocol-Version", "2025-06-18"}};
  EXPECT_EQ(
      Send("POST", R"({"jsonrpc":"2.0","method":"notifications/initialized"})", session).status,
      202);
  auto call = Send(
      "POST",
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}})",
      session);
  ASSERT_EQ(call.status, 200);
  EXPECT_EQ(Json::parse(call.body)["result"]["content"][0]["text"], "hi");
  // Without the version header the request still works (the spec's fallback).
  auto ping = Send("POST", R"({"jsonrpc":"2.0","id":3,"method":"ping"})", {{"Mcp-Session-Id", id}});
  EXPECT_EQ(ping.status, 200);
  // A response from the client is accepted.
  EXPECT_EQ(Send("POST", R"({"jsonrpc":"2.0","id":"s1","result":{}})", session).status, 202);

  EXPECT_EQ(Send("DELETE", "", session).status, 200);
  EXPECT_EQ(transport_->session_count(), 0u);
  EXPECT_EQ(Send("POST", R"({"jsonrpc":"2.0","id":4,"method":"ping"})", session).status, 404);
  EXPECT_EQ(Send("DELETE", "", session).status, 404);
}

TEST_F(HttpTransportTest, MissingUnknownSessionAndBadVersionHeader) {
  Start();
  std::string id = NewSession();
  auto missing = Send("POST", R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("Mcp-Session-Id header required"), std::string::npos);
  EXPECT_EQ(Send("POST", R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})",
                 {{"Mcp-Session-Id", "0123456789abcdef0123456789abcdef"}})
                .status,
            404);
  EXPECT_EQ(Send("POST", R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})",
                 {{"Mcp-Session-Id", id}, {"MCP-Protocol-Version", "1999-01-01"}})
                .status,
            400);
  EXPECT_EQ(Send("POST", R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})",
                 {{"Mcp-Session-Id", id}, {"MCP-Protocol-Version", "2025-11-25"}})
                .status,
            400);  // not the version this session negotiated
  EXPECT_EQ(Send("DELETE", "").status, 400);
}

TEST_F(HttpTransportTest, MalformedBodiesGetJsonRpcErrors) {
  Start();
  auto bad = Send("POST", "{not json");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Json::parse(bad.body)["error"]["code"], -32700);
  auto batch = Send("POST", std::string("[") + kInit + "]");
  EXPECT_EQ(batch.status, 400);
  EXPECT_EQ(Json::parse(batch.body)["error"]["code"], -32600);
  EXPECT_EQ(transport_->session_count(), 0u);
  // A failed initialize creates no session.
  auto no_version = Send("POST", R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
  EXPECT_EQ(Json::parse(no_version.body)["error"]["code"], -32602);
  EXPECT_TRUE(no_version.header("Mcp-Session-Id").empty());
  EXPECT_EQ(transport_->session_count(), 0u);
  net::HttpClientResponse text = Send("POST", kInit, {{"Content-Type", "text/plain"}});
  EXPECT_NE(text.status, 200);
}

TEST_F(HttpTransportTest, GetAndOtherMethodsAre405AndOtherPaths404) {
  Start();
  std::string id = NewSession();
  auto get = Send("GET", "", {{"Mcp-Session-Id", id}});
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.header("Allow"), "POST, DELETE");
  EXPECT_EQ(Send("PUT", kInit).status, 405);
  EXPECT_EQ(Send("POST", kInit, {}, "/other").status, 404);
}

TEST_F(HttpTransportTest, ForeignOriginIs403) {
  Start({.allowed_origins = {"https://console.example.com"}});
  auto evil = Send("POST", kInit, {{"Origin", "http://evil.example"}});
  EXPECT_EQ(evil.status, 403);
  EXPECT_EQ(transport_->session_count(), 0u);
  // Look-alikes of loopback are foreign too.
  EXPECT_EQ(Send("POST", kInit, {{"Origin", "http://localhost.evil.example"}}).status, 403);
  EXPECT_EQ(Send("POST", kInit, {{"Origin", "http://127.0.0.1:8080"}}).status, 200);
  EXPECT_EQ(Send("POST", kInit, {{"Origin", "http://localhost"}}).status, 200);
  EXPECT_EQ(Send("POST", kInit, {{"Origin", "https://console.example.com"}}).status, 200);
  EXPECT_EQ(Send("POST", kInit).status, 200);  // no Origin: not a browser
}

TEST_F(HttpTransportTest, NonLoopbackHostIs403) {
  Start();
  EXPECT_EQ(Send("POST", kInit, {{"Host", "evil.example.com"}}).status, 403);
  EXPECT_EQ(Send("POST", kInit, {{"Host", "evil.example.com:8080"}}).status, 403);
  EXPECT_EQ(Send("POST", kInit, {{"Host", "localhost:1234"}}).status, 200);
  EXPECT_EQ(Send("POST", kInit, {{"Host", "[::1]:1234"}}).status, 200);
  EXPECT_EQ(Send("POST", kInit).status, 200);  // 127.0.0.1:port, as curl sends it
}

TEST_F(HttpTransportTest, ListedHostsAreAccepted) {
  Start({.allowed_hosts = {"colony.example.com"}});
  EXPECT_EQ(Send("POST", kInit, {{"Host", "colony.example.com:8443"}}).status, 200);
  EXPECT_EQ(Send("POST", kInit).status, 403);
}

TEST_F(HttpTransportTest, OversizedMessageIs413) {
  Start({.max_message_bytes = 1024});
  std::string id = NewSession();
  std::string big =
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":")" +
      std::string(2000, 'x') + R"("}}})";
  EXPECT_EQ(Send("POST", big, {{"Mcp-Session-Id", id}}).status, 413);
  EXPECT_EQ(
      Send("POST", R"({"jsonrpc":"2.0","id":3,"method":"ping"})", {{"Mcp-Session-Id", id}}).status,
      200);
}

TEST_F(HttpTransportTest, TooManySessionsIs503UntilIdleOnesEnd) {
  FakeClock clock;
  Start({.max_sessions = 2, .session_idle_timeout = std::chrono::seconds(60), .clock = &clock});
  std::string first = NewSession();
  clock.Advance(std::chrono::seconds(40));
  std::string second = NewSession();
  EXPECT_EQ(Send("POST", kInit).status, 503);
  clock.Advance(std::chrono::seconds(30));  // first idle 70 s, second 30 s
  EXPECT_EQ(Send("POST", kInit).status, 200);
  EXPECT_EQ(Send("POST", R"({"jsonrpc":"2.0","id":2,"method":"ping"})", {{"Mcp-Session-Id", first}})
                .status,
            404);
  EXPECT_EQ(
      Send("POST", R"({"jsonrpc":"2.0","id":2,"method":"ping"})", {{"Mcp-Session-Id", second}})
          .status,
      200);
}

TEST_F(HttpTransportTest, AcceptWithoutJsonIs406) {
  Start();
  EXPECT_EQ(Send("POST", kInit, {{"Accept", "text/event-stream"}}).status, 406);
  EXPECT_EQ(Send("POST", kInit, {{"Accept", "*/*"}}).status, 200);
}

}  // namespace
}  // namespace coral::mcp

#include "mcp/http_transport.h"

#include <gtest/gtest.h>

#include <thread>

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
        {.name = "count", .handler = [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
           for (int i = 1; i <= 3; ++i) ctx.ReportProgress(i, 3);
           return ToolResult::Text("counted");
         }});
    server_.AddTool(
        {.name = "ask", .handler = [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
           Json r = CORAL_TRY(ctx.RequestClient("elicitation/create", Json{{"message", "name?"}}));
           return ToolResult::Text("hello " + r["content"]["name"].get<std::string>());
         }});
    server_.AddTool(
        {.name = "poll", .handler = [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
           EXPECT_TRUE(ctx.CloseStream());
           std::this_thread::sleep_for(std::chrono::milliseconds(50));
           return ToolResult::Text("after the break");
         }});
    server_.AddResource({.uri = "test://watched",
                         .name = "watched",
                         .reader = [](const std::string&,
                                      RequestContext&) -> Result<std::vector<ResourceContents>> {
                           return std::vector<ResourceContents>{{.text = "x"}};
                         }});
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

  // Sends a request and reads the answer as SSE events until `done` says
  // stop (or the stream ends); returns the events and the response.
  struct Event {
    std::string id, data, comment;
    std::optional<int> retry;
  };
  std::vector<Event> ReadEvents(const std::string& method, const std::string& body,
                                net::Headers headers,
                                std::function<bool(const std::vector<Event>&)> done,
                                net::HttpClientResponse* response) {
    if (method == "POST") headers.emplace_back("Content-Type", "application/json");
    std::string buffer;
    std::vector<Event> events;
    auto r = net::HttpFetch({.method = method,
                             .url = "http://127.0.0.1:" + std::to_string(http_->port()) + "/mcp",
                             .headers = std::move(headers),
                             .body = body,
                             .timeout = std::chrono::seconds(20),
                             .on_body = [&](std::string_view piece) {
                               buffer += piece;
                               for (size_t end; (end = buffer.find("\n\n")) != std::string::npos;) {
                                 Event e;
                                 std::string block = buffer.substr(0, end);
                                 buffer.erase(0, end + 2);
                                 for (size_t pos = 0; pos <= block.size();) {
                                   size_t nl = std::min(block.find('\n', pos), block.size());
                                   std::string line = block.substr(pos, nl - pos);
                                   if (line.starts_with("id: ")) e.id = line.substr(4);
                                   if (line.starts_with("data: ")) e.data = line.substr(6);
                                   if (line.starts_with(":")) e.comment = line;
                                   if (line.starts_with("retry: "))
                                     e.retry = std::stoi(line.substr(7));
                                   pos = nl + 1;
                                 }
                                 events.push_back(e);
                               }
                               return !done(events);
                             }});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) *response = *r;
    return events;
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
  // Another supported version than the session's is served: clients (the
  // conformance suite among them) send one fixed header value.
  EXPECT_EQ(Send("POST", R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})",
                 {{"Mcp-Session-Id", id}, {"MCP-Protocol-Version", "2025-03-26"}})
                .status,
            200);
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

TEST_F(HttpTransportTest, BadGetsAndOtherMethodsAndOtherPaths) {
  Start();
  std::string id = NewSession();
  EXPECT_EQ(Send("GET", "", {{"Mcp-Session-Id", id}, {"Accept", "application/json"}}).status, 406);
  EXPECT_EQ(Send("GET", "", {{"Accept", "text/event-stream"}}).status, 400);
  EXPECT_EQ(Send("GET", "", {{"Mcp-Session-Id", "00ff"}, {"Accept", "text/event-stream"}}).status,
            404);
  EXPECT_EQ(
      Send("GET", "",
           {{"Mcp-Session-Id", id}, {"Accept", "text/event-stream"}, {"Last-Event-ID", "99-1"}})
          .status,
      404);
  auto put = Send("PUT", kInit);
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(put.header("Allow"), "GET, POST, DELETE");
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

namespace coral::mcp {
namespace {

constexpr char kInitSampling[] =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"elicitation":{}},"clientInfo":{"name":"t","version":"1"}}})";

const net::Headers kSse = {{"Accept", "application/json, text/event-stream"}};

net::Headers With(net::Headers h, const std::string& id) {
  h.emplace_back("Mcp-Session-Id", id);
  return h;
}

TEST_F(HttpTransportTest, AnswerIsJsonWhenTheHandlerSendsNothingFirst) {
  Start();
  std::string id = NewSession();
  auto r = Send(
      "POST",
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}})",
      With(kSse, id));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(Json::parse(r.body)["result"]["content"][0]["text"], "hi");
}

TEST_F(HttpTransportTest, ProgressTurnsTheAnswerIntoAnEventStream) {
  Start();
  std::string id = NewSession();
  net::HttpClientResponse resp;
  auto events = ReadEvents(
      "POST",
      R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"count","_meta":{"progressToken":"p1"}}})",
      With(kSse, id), [](const std::vector<Event>&) { return false; }, &resp);
  EXPECT_EQ(resp.header("Content-Type"), "text/event-stream");
  ASSERT_EQ(events.size(), 5u);
  // The priming event: an id, a retry time, no data.
  EXPECT_FALSE(events[0].id.empty());
  EXPECT_EQ(events[0].retry, 1000);
  EXPECT_EQ(events[0].data, "");
  for (int i = 1; i <= 3; ++i) {
    Json n = Json::parse(events[i].data);
    EXPECT_EQ(n["method"], "notifications/progress");
    EXPECT_EQ(n["params"]["progress"], i);
    EXPECT_EQ(n["params"]["progressToken"], "p1");
  }
  Json answer = Json::parse(events[4].data);
  EXPECT_EQ(answer["id"], 7);
  EXPECT_EQ(answer["result"]["content"][0]["text"], "counted");
  // Ids are "STREAM-SEQ" and increase along the stream.
  std::string stream = events[0].id.substr(0, events[0].id.find('-'));
  for (size_t i = 0; i < events.size(); ++i)
    EXPECT_EQ(events[i].id, stream + "-" + std::to_string(i));
}

TEST_F(HttpTransportTest, ElicitationGoesOutOnTheStreamAndTheAnswerComesBackByPost) {
  Start();
  auto init = Send("POST", kInitSampling);
  std::string id(init.header("Mcp-Session-Id"));
  net::HttpClientResponse resp;
  bool answered = false;
  auto events = ReadEvents(
      "POST", R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"ask"}})",
      With(kSse, id),
      [&](const std::vector<Event>& events) {
        const Event& last = events.back();
        if (last.data.empty() || answered) return false;
        Json m = Json::parse(last.data);
        if (m.value("method", "") != "elicitation/create") return false;
        EXPECT_EQ(m["params"]["message"], "name?");
        Json reply = {{"jsonrpc", "2.0"},
                      {"id", m["id"]},
                      {"result", {{"action", "accept"}, {"content", {{"name", "ada"}}}}}};
        EXPECT_EQ(Send("POST", reply.dump(), {{"Mcp-Session-Id", id}}).status, 202);
        answered = true;
        return false;
      },
      &resp);
  ASSERT_TRUE(answered);
  ASSERT_FALSE(events.empty());
  Json answer = Json::parse(events.back().data);
  EXPECT_EQ(answer["id"], 3);
  EXPECT_EQ(answer["result"]["content"][0]["text"], "hello ada");
}

// SSE polling (SEP-1699): the server ends the stream mid-call; the client
// reconnects with Last-Event-ID and gets the answer it missed.
TEST_F(HttpTransportTest, ClosedStreamResumesWithLastEventId) {
  Start();
  std::string id = NewSession();
  net::HttpClientResponse resp;
  auto first = ReadEvents(
      "POST", R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"poll"}})",
      With(kSse, id), [](const std::vector<Event>&) { return false; }, &resp);
  ASSERT_EQ(first.size(), 1u);  // only the priming event, then the server hung up
  EXPECT_EQ(first[0].data, "");
  net::Headers get = {{"Accept", "text/event-stream"}, {"Last-Event-ID", first[0].id}};
  auto rest = ReadEvents(
      "GET", "", With(get, id), [](const std::vector<Event>&) { return false; }, &resp);
  ASSERT_EQ(rest.size(), 1u);
  Json answer = Json::parse(rest[0].data);
  EXPECT_EQ(answer["id"], 4);
  EXPECT_EQ(answer["result"]["content"][0]["text"], "after the break");
  // Replay is repeatable while the session keeps the stream.
  auto again = ReadEvents(
      "GET", "", With(get, id), [](const std::vector<Event>&) { return false; }, &resp);
  EXPECT_EQ(again.size(), 1u);
}

TEST_F(HttpTransportTest, GeneralStreamCarriesResourceUpdates) {
  Start();
  std::string id = NewSession();
  EXPECT_EQ(
      Send(
          "POST",
          R"({"jsonrpc":"2.0","id":5,"method":"resources/subscribe","params":{"uri":"test://watched"}})",
          With(kSse, id))
          .status,
      200);
  std::atomic<bool> stop{false};
  std::thread notifier([&] {
    for (int i = 0; i < 200 && !stop; ++i) {
      server_.NotifyResourceUpdated("test://watched");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  net::HttpClientResponse resp;
  auto events = ReadEvents(
      "GET", "", With({{"Accept", "text/event-stream"}}, id),
      [](const std::vector<Event>& e) { return e.size() >= 2; }, &resp);
  stop = true;
  notifier.join();
  ASSERT_GE(events.size(), 2u);
  Json update = Json::parse(events[1].data);
  EXPECT_EQ(update["method"], "notifications/resources/updated");
  EXPECT_EQ(update["params"]["uri"], "test://watched");
}

// An idle stream gets keepalive comments, which carry no event (no id, no
// data): clients skip them.
TEST_F(HttpTransportTest, IdleStreamsGetKeepaliveComments) {
  Start({.sse_keepalive = std::chrono::milliseconds(30)});
  std::string id = NewSession();
  net::HttpClientResponse resp;
  auto events = ReadEvents(
      "GET", "", With({{"Accept", "text/event-stream"}}, id),
      [](const std::vector<Event>& e) { return e.size() >= 4; }, &resp);
  EXPECT_EQ(resp.status, 200);
  ASSERT_GE(events.size(), 4u);
  std::string priming = events[0].id;
  EXPECT_FALSE(priming.empty());
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_EQ(events[i].comment, ": keepalive") << i;
    EXPECT_TRUE(events[i].id.empty() && events[i].data.empty()) << i;
  }
}

// --- 2026-07-28: stateless requests ------------------------------------------

// A 2026-07-28 request's body: its params with the per-request _meta.
std::string StatelessBody(int id, const std::string& method, Json params = Json::object(),
                          Json capabilities = Json::object()) {
  params["_meta"][meta_key::kProtocolVersion] = "2026-07-28";
  params["_meta"][meta_key::kClientCapabilities] = std::move(capabilities);
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}}
      .dump();
}

// The routing headers that go with it.
net::Headers Routing(const std::string& method, const std::string& name = "") {
  net::Headers h = {{"MCP-Protocol-Version", "2026-07-28"}, {"Mcp-Method", method}};
  if (!name.empty()) h.emplace_back("Mcp-Name", name);
  return h;
}

TEST_F(HttpTransportTest, StatelessRequestsNeedNoSessionAndGetNone) {
  Start();
  auto discover = Send("POST", StatelessBody(1, "server/discover"), Routing("server/discover"));
  ASSERT_EQ(discover.status, 200) << discover.body;
  Json d = Json::parse(discover.body)["result"];
  EXPECT_EQ(d["supportedVersions"][0], "2026-07-28");
  EXPECT_EQ(d["resultType"], "complete");
  auto call = Send(
      "POST", StatelessBody(2, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "hi"}}}}),
      Routing("tools/call", "echo"));
  ASSERT_EQ(call.status, 200) << call.body;
  EXPECT_EQ(call.header("Content-Type"), "application/json");
  EXPECT_EQ(Json::parse(call.body)["result"]["content"][0]["text"], "hi");
  EXPECT_EQ(call.header("Mcp-Session-Id"), "");
  EXPECT_EQ(discover.header("Mcp-Session-Id"), "");
  EXPECT_EQ(transport_->session_count(), 0u);
  // Notifications have no session to act on: accepted and dropped.
  EXPECT_EQ(Send("POST",
                 R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2}})",
                 Routing("notifications/cancelled"))
                .status,
            202);
  // There is no GET stream and no session to DELETE in 2026-07-28.
  EXPECT_EQ(
      Send("GET", "", {{"Accept", "text/event-stream"}, {"MCP-Protocol-Version", "2026-07-28"}})
          .status,
      405);
  EXPECT_EQ(Send("DELETE", "", Routing("x")).status, 405);
}

// Handshake clients keep working on the same endpoint, next to stateless
// ones, exactly as before.
TEST_F(HttpTransportTest, HandshakeClientsStillGetSessionsBesideStatelessOnes) {
  Start();
  std::string id = NewSession();
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(transport_->session_count(), 1u);
  auto stateless = Send("POST", StatelessBody(3, "tools/list"), Routing("tools/list"));
  EXPECT_EQ(stateless.status, 200);
  EXPECT_EQ(transport_->session_count(), 1u);
  auto legacy = Send("POST", R"({"jsonrpc":"2.0","id":4,"method":"tools/list"})",
                     {{"Mcp-Session-Id", id}, {"MCP-Protocol-Version", "2025-06-18"}});
  ASSERT_EQ(legacy.status, 200);
  EXPECT_FALSE(Json::parse(legacy.body)["result"].contains("resultType"));
  // Without a session and without _meta, a request is still a handshake one.
  auto missing = Send("POST", R"({"jsonrpc":"2.0","id":5,"method":"tools/list"})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("Mcp-Session-Id header required"), std::string::npos);
}

TEST_F(HttpTransportTest, StatelessErrorsGetTheStatusesTheSpecNames) {
  Start();
  auto status_and_code = [&](const std::string& body, const net::Headers& headers) {
    auto r = Send("POST", body, headers);
    Json j = Json::parse(r.body, nullptr, false);
    bool error = j.is_object() && j.contains("error");
    return std::make_pair(r.status, error ? j["error"].value("code", 0) : 0);
  };
  using P = std::pair<int, int>;
  // Unknown and handshake-only methods: 404.
  EXPECT_EQ(status_and_code(StatelessBody(1, "initialize"), Routing("initialize")), P(404, -32601));
  EXPECT_EQ(status_and_code(StatelessBody(1, "nope/nope"), Routing("nope/nope")), P(404, -32601));
  // Missing _meta: 400 invalid params, with the request's id.
  auto missing = Send("POST", R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{}})",
                      Routing("tools/list"));
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(Json::parse(missing.body)["error"]["code"], -32602);
  EXPECT_EQ(Json::parse(missing.body)["id"], 7);
  // A version no era knows: 400, listing what is served.
  net::Headers v999 = {{"MCP-Protocol-Version", "v999.0.0"}, {"Mcp-Method", "server/discover"}};
  auto unsupported = Send("POST", StatelessBody(8, "server/discover"), v999);
  EXPECT_EQ(unsupported.status, 400);
  Json u = Json::parse(unsupported.body);
  EXPECT_EQ(u["error"]["code"], -32022);
  EXPECT_EQ(u["error"]["data"]["requested"], "v999.0.0");
  EXPECT_EQ(u["error"]["data"]["supported"].size(), 4u);
  EXPECT_EQ(u["id"], 8);
  // Routing headers that disagree with the body: 400 HeaderMismatch.
  EXPECT_EQ(status_and_code(StatelessBody(1, "tools/list"), Routing("prompts/list")),
            P(400, -32020));
  EXPECT_EQ(
      status_and_code(StatelessBody(1, "tools/list"), {{"MCP-Protocol-Version", "2026-07-28"}}),
      P(400, -32020));
  EXPECT_EQ(status_and_code(StatelessBody(1, "tools/list"), {{"Mcp-Method", "tools/list"}}),
            P(400, -32020));  // _meta says 2026-07-28, the version header is missing
  std::string echo = StatelessBody(1, "tools/call", {{"name", "echo"}});
  EXPECT_EQ(status_and_code(echo, Routing("tools/call")), P(400, -32020));
  EXPECT_EQ(status_and_code(echo, Routing("tools/call", "count")), P(400, -32020));
  // Header names are case-insensitive, values trimmed, and base64 decoded.
  EXPECT_EQ(status_and_code(echo, {{"mcp-protocol-version", "2026-07-28"},
                                   {"MCP-METHOD", "tools/call"},
                                   {"mcp-name", "  echo "}}),
            P(200, 0));
  EXPECT_EQ(status_and_code(echo, Routing("tools/call", "=?base64?ZWNobw==?=")), P(200, 0));
  EXPECT_EQ(status_and_code(echo, Routing("tools/call", "=?base64?ZWNobw?=")), P(400, -32020));
  // Method values are case-sensitive.
  EXPECT_EQ(status_and_code(echo, Routing("TOOLS/CALL", "echo")), P(400, -32020));
}

TEST_F(HttpTransportTest, ParamHeadersMustMirrorTheArgumentsTheToolNames) {
  server_.AddTool({.name = "regional",
                   .input_schema = {{"type", "object"},
                                    {"properties",
                                     {{"region", {{"type", "string"}, {"x-mcp-header", "Region"}}},
                                      {"limit", {{"type", "integer"}, {"x-mcp-header", "Limit"}}},
                                      {"query", {{"type", "string"}}}}}},
                   .handler = [](const Json& args, RequestContext&) -> Result<ToolResult> {
                     return ToolResult::Text(args.value("region", ""));
                   }});
  Start();
  auto status = [&](Json args, net::Headers extra) {
    net::Headers h = Routing("tools/call", "regional");
    for (auto& e : extra) h.push_back(std::move(e));
    return Send("POST", StatelessBody(1, "tools/call", {{"name", "regional"}, {"arguments", args}}),
                h)
        .status;
  };
  EXPECT_EQ(status({{"region", "eu-west"}}, {{"Mcp-Param-Region", "eu-west"}}), 200);
  EXPECT_EQ(status({{"region", "eu-west"}, {"limit", 5}, {"query", "x"}},
                   {{"Mcp-Param-Region", "eu-west"}, {"Mcp-Param-Limit", "5"}}),
            200);
  EXPECT_EQ(status({{"region", "Hello"}}, {{"Mcp-Param-Region", "=?base64?SGVsbG8=?="}}), 200);
  EXPECT_EQ(status({{"region", "eu-west"}}, {}), 400);  // the header is missing
  EXPECT_EQ(status({{"region", "eu-west"}}, {{"Mcp-Param-Region", "us-east"}}), 400);
  EXPECT_EQ(status({{"region", "Hello"}}, {{"Mcp-Param-Region", "=?base64?SGVs!!!bG8=?="}}), 400);
  EXPECT_EQ(status({{"region", "eu"}, {"limit", 5}},
                   {{"Mcp-Param-Region", "eu"}, {"Mcp-Param-Limit", "6"}}),
            400);
  EXPECT_EQ(status(Json::object(), {{"Mcp-Param-Region", "eu"}}), 400);  // no such argument
}

TEST_F(HttpTransportTest, StatelessProgressStreamsWithoutIdsOrReplay) {
  Start();
  net::HttpClientResponse resp;
  net::Headers h = Routing("tools/call", "count");
  h.emplace_back("Accept", "application/json, text/event-stream");
  auto events = ReadEvents(
      "POST",
      StatelessBody(7, "tools/call", {{"name", "count"}, {"_meta", {{"progressToken", "p"}}}}), h,
      [](const std::vector<Event>&) { return false; }, &resp);
  EXPECT_EQ(resp.header("Content-Type"), "text/event-stream");
  ASSERT_EQ(events.size(), 4u);  // no priming event
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(events[i].id.empty());
    EXPECT_EQ(Json::parse(events[i].data)["params"]["progress"], i + 1);
  }
  Json answer = Json::parse(events[3].data);
  EXPECT_EQ(answer["id"], 7);
  EXPECT_EQ(answer["result"]["resultType"], "complete");
}

TEST_F(HttpTransportTest, ListenStreamsResourceUpdatesUntilTheClientLeaves) {
  Start({.sse_keepalive = std::chrono::milliseconds(20)});
  std::atomic<bool> stop{false};
  std::thread notifier([&] {
    for (int i = 0; i < 500 && !stop; ++i) {
      server_.NotifyResourceUpdated("test://watched");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  net::HttpClientResponse resp;
  net::Headers h = Routing("subscriptions/listen");
  h.emplace_back("Accept", "text/event-stream, application/json");
  auto events = ReadEvents(
      "POST",
      StatelessBody(9, "subscriptions/listen",
                    {{"notifications", {{"resourceSubscriptions", {"test://watched"}}}}}),
      h,
      [](const std::vector<Event>& e) {
        int data = 0;
        for (const Event& ev : e) data += !ev.data.empty();
        return data >= 2;
      },
      &resp);
  stop = true;
  notifier.join();
  std::vector<Json> messages;
  for (const Event& e : events) {
    if (!e.data.empty()) messages.push_back(Json::parse(e.data));
  }
  ASSERT_GE(messages.size(), 2u);
  EXPECT_EQ(messages[0]["method"], "notifications/subscriptions/acknowledged");
  EXPECT_EQ(messages[0]["params"]["_meta"][meta_key::kSubscriptionId], 9);
  EXPECT_EQ(messages[1]["method"], "notifications/resources/updated");
  EXPECT_EQ(messages[1]["params"]["_meta"][meta_key::kSubscriptionId], 9);
  // The client hung up: the next keepalive notices and the listen ends, so
  // the transport goes away without waiting on it (the test would hang).
  // A listen needs a stream.
  net::Headers json_only = Routing("subscriptions/listen");
  json_only.emplace_back("Accept", "application/json");
  EXPECT_EQ(
      Send("POST", StatelessBody(10, "subscriptions/listen", {{"notifications", Json::object()}}),
           json_only)
          .status,
      406);
}

// The load-balancer case: two servers (sharing the state key) behind one
// address, the balancer alternating between them. One client's requests,
// a multi round-trip tool call among them, land on both.
TEST(HttpTransportBalancerTest, TwoServersAnswerAlternateRequestsOfOneClient) {
  auto make = [] {
    auto server = std::make_unique<McpServer>(McpServerOptions{.request_state_key = "k3y"});
    server->AddTool(
        {.name = "greet", .handler = [](const Json&, RequestContext& ctx) -> Result<ToolResult> {
           const Json* who = ctx.InputResponse("who");
           if (who == nullptr || ctx.request_state() != "asked") {
             return ToolResult::NeedInput(
                 {.requests = {{"who",
                                {.method = "elicitation/create",
                                 .params = {{"message", "Who?"},
                                            {"requestedSchema", {{"type", "object"}}}}}}},
                  .state = "asked"});
           }
           return ToolResult::Text("hello " + (*who)["content"].value("name", ""));
         }});
    return server;
  };
  auto a = make(), b = make();
  McpHttpTransport ta(*a, {}), tb(*b, {});
  std::atomic<int> turn{0};
  std::atomic<int> served_by_a{0}, served_by_b{0};
  auto http = net::HttpServer::Start({}, [&](const net::HttpRequest& r) {
    bool to_a = turn++ % 2 == 0;
    (to_a ? served_by_a : served_by_b)++;
    return to_a ? ta.Handle(r) : tb.Handle(r);
  });
  ASSERT_TRUE(http.ok());
  std::string url = "http://127.0.0.1:" + std::to_string((*http)->port()) + "/mcp";
  auto post = [&](const std::string& body, net::Headers h) {
    h.emplace_back("Content-Type", "application/json");
    h.emplace_back("Accept", "application/json, text/event-stream");
    auto r = net::HttpFetch({.method = "POST", .url = url, .headers = std::move(h), .body = body});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->header("Mcp-Session-Id"), "");
    return Json::parse(r->body);
  };
  Json caps = {{"elicitation", Json::object()}};
  EXPECT_EQ(post(StatelessBody(1, "server/discover", {}, caps),
                 Routing("server/discover"))["result"]["supportedVersions"][0],
            "2026-07-28");
  EXPECT_EQ(post(StatelessBody(2, "tools/list", {}, caps), Routing("tools/list"))["result"]["tools"]
                .size(),
            1u);
  Json first = post(StatelessBody(3, "tools/call", {{"name", "greet"}}, caps),
                    Routing("tools/call", "greet"));  // on the first server
  ASSERT_EQ(first["result"]["resultType"], "input_required") << first.dump();
  Json second = post(
      StatelessBody(
          4, "tools/call",
          {{"name", "greet"},
           {"inputResponses", {{"who", {{"action", "accept"}, {"content", {{"name", "dee"}}}}}}},
           {"requestState", first["result"]["requestState"]}},
          caps),
      Routing("tools/call", "greet"));  // on the second
  EXPECT_EQ(second["result"]["content"][0]["text"], "hello dee");
  EXPECT_EQ(served_by_a, 2);
  EXPECT_EQ(served_by_b, 2);
  EXPECT_EQ(ta.session_count() + tb.session_count(), 0u);
  (*http)->Stop();
}

}  // namespace
}  // namespace coral::mcp

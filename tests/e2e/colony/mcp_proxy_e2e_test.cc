// `coral mcp proxy` as MCP clients run it: JSON-RPC lines on stdin, answers
// on stdout, against an MCP endpoint serving Coral's tools (here over plain
// HTTP on loopback, with a bearer check standing in for the colony's). Every
// stdout line must parse as JSON-RPC; failures reach the client as errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "analysis/mcp_tools.h"
#include "analysis/test_store.h"
#include "base/subprocess.h"
#include "base/temp_dir.h"
#include "mcp/http_transport.h"
#include "net/http_server.h"

namespace coral::analysis {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

class McpProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = OpenTestColonyStore("duckdb", dir_.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    view_ = std::make_unique<FakeColonyView>(*store_, SystemClock::Get());
    view_->status.set_colony_id("shop-proxy-1");
    AddColonyTools(server_, *view_);
    transport_ = std::make_unique<mcp::McpHttpTransport>(server_, mcp::HttpTransportOptions{});
    auto http = net::HttpServer::Start({}, [this](const net::HttpRequest& req) {
      if (req.header("Authorization") != "Bearer right-token") {
        return net::HttpResponse::Json(401, R"({"error":"unknown API token"})");
      }
      return transport_->Handle(req);
    });
    ASSERT_TRUE(http.ok()) << http.status().ToString();
    http_ = std::move(*http);
  }

  // Runs the proxy with these stdin lines; returns its stdout lines.
  std::vector<std::string> Proxy(const std::string& token, const std::vector<Json>& lines,
                                 std::string* err) {
    std::string input;
    for (const auto& l : lines) input += l.dump() + "\n";
    input += "this is not json\n";
    std::string script = "printf '%s' \"$IN\" | CORAL_TOKEN=" + token + " " + CORAL_BINARY +
                         " --home " + dir_.path().string() +
                         " mcp proxy --url http://127.0.0.1:" + std::to_string(http_->port()) +
                         "/mcp";
    SubprocessOptions o{.argv = {"sh", "-c", script}, .env = {{"IN", input}}};
    auto p = Subprocess::Start(o);
    EXPECT_TRUE(p.ok());
    if (!p.ok()) return {};
    auto exit = p->Wait(60s);
    EXPECT_TRUE(exit.ok() && exit->ok()) << p->stderr_data();
    *err = p->stderr_data();
    std::vector<std::string> out;
    std::istringstream in(p->stdout_data());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  static Json Request(int id, const std::string& method, Json params) {
    return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}};
  }

  TempDir dir_{"coral-mcp-proxy"};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<FakeColonyView> view_;
  mcp::McpServer server_{{}};
  std::unique_ptr<mcp::McpHttpTransport> transport_;
  std::unique_ptr<net::HttpServer> http_;
};

TEST_F(McpProxyTest, StdioClientsGetOnlyJsonRpcOnStdoutAndEveryAnswer) {
  std::vector<Json> lines = {
      Request(1, "initialize",
              {{"protocolVersion", "2025-11-25"},
               {"capabilities", Json::object()},
               {"clientInfo", {{"name", "desktop"}, {"version", "1"}}}}),
      {{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}},
      Request(2, "tools/list", Json::object()),
      Request(3, "tools/call", {{"name", "coral_status"}, {"arguments", Json::object()}}),
      Request(4, "tools/call",
              {{"name", "coral_query_sql"}, {"arguments", {{"sql", "DROP TABLE spans"}}}}),
  };
  std::string err;
  auto out = Proxy("right-token", lines, &err);
  std::map<int, Json> by_id;
  for (const auto& line : out) {
    Json j = Json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON on stdout: " << line;
    ASSERT_EQ(j["jsonrpc"], "2.0") << line;
    if (j.contains("id") && j["id"].is_number()) by_id[j["id"]] = j;
  }
  ASSERT_EQ(by_id.size(), 4u) << err;
  EXPECT_EQ(by_id[1]["result"]["protocolVersion"], "2025-11-25");
  EXPECT_EQ(by_id[2]["result"]["tools"].size(), 11u);  // ten read-only tools and the audit log
  EXPECT_NE(by_id[3]["result"]["content"][0]["text"].get<std::string>().find("shop-proxy-1"),
            std::string::npos);
  EXPECT_EQ(by_id[4]["result"]["isError"], true) << by_id[4].dump();
}

TEST_F(McpProxyTest, AWrongTokenBecomesAnErrorForEachRequest) {
  std::string err;
  auto out = Proxy("wrong-token",
                   {Request(7, "initialize",
                            {{"protocolVersion", "2025-11-25"},
                             {"capabilities", Json::object()},
                             {"clientInfo", {{"name", "x"}, {"version", "1"}}}})},
                   &err);
  ASSERT_EQ(out.size(), 1u) << err;
  Json j = Json::parse(out[0]);
  EXPECT_EQ(j["id"], 7);
  EXPECT_NE(j["error"]["message"].get<std::string>().find("HTTP 401: unknown API token"),
            std::string::npos)
      << j.dump();
  EXPECT_NE(err.find("HTTP 401"), std::string::npos) << err;
}

// A colony that answers in an event stream: what it sends before the answer
// (progress here) reaches the client first, each message on its own line.
TEST_F(McpProxyTest, StreamedNotificationsComeOutAsTheirOwnLinesBeforeTheAnswer) {
  auto sse = net::HttpServer::Start({}, [](const net::HttpRequest& req) {
    Json m = Json::parse(req.body);
    if (!m.contains("id")) return net::HttpResponse::Text(202, "");
    Json progress = {{"jsonrpc", "2.0"},
                     {"method", "notifications/progress"},
                     {"params", {{"progressToken", "p"}, {"progress", 1}}}};
    Json answer = {{"jsonrpc", "2.0"}, {"id", m["id"]}, {"result", Json::object()}};
    net::HttpResponse r{.status = 200, .headers = {{"Content-Type", "text/event-stream"}}};
    r.body = "id: 0\ndata:\n\ndata: " + progress.dump() + "\n\ndata: " + answer.dump() + "\n\n";
    return r;
  });
  ASSERT_TRUE(sse.ok());
  std::string script = "printf '%s\\n' \"$IN\" | CORAL_TOKEN=t " + std::string(CORAL_BINARY) +
                       " --home " + dir_.path().string() +
                       " mcp proxy --url http://127.0.0.1:" + std::to_string((*sse)->port()) +
                       "/mcp";
  auto p = Subprocess::Start(
      {.argv = {"sh", "-c", script}, .env = {{"IN", Request(5, "ping", Json::object()).dump()}}});
  ASSERT_TRUE(p.ok());
  auto exit = p->Wait(60s);
  ASSERT_TRUE(exit.ok() && exit->ok()) << p->stderr_data();
  std::istringstream out(p->stdout_data());
  std::vector<Json> lines;
  for (std::string line; std::getline(out, line);) lines.push_back(Json::parse(line));
  ASSERT_EQ(lines.size(), 2u) << p->stdout_data();
  EXPECT_EQ(lines[0]["method"], "notifications/progress");
  EXPECT_EQ(lines[1]["id"], 5);
}

}  // namespace
}  // namespace coral::analysis

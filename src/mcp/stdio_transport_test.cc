#include "mcp/stdio_transport.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <sstream>
#include <thread>

#include "base/unique_fd.h"

namespace coral::mcp {
namespace {

using namespace std::chrono_literals;

struct Pipe {
  UniqueFd read_end, write_end;
  Pipe() {
    int fds[2];
    CORAL_CHECK(::pipe(fds) == 0, "pipe");
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
  }
};

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    ASSERT_GT(n, 0);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Runs ServeStdio on pipes: feed() writes to its input; Finish() closes the
// input, waits for the server, and returns everything it wrote.
class StdioHarness {
 public:
  explicit StdioHarness(McpServer& server, StdioOptions options = {}) {
    thread_ = std::thread([this, &server, options] {
      status_ = ServeStdio(server, in_.read_end.get(), out_.write_end.get(), options);
      out_.write_end.reset();
    });
  }
  void Feed(std::string_view data) { WriteAll(in_.write_end.get(), data); }
  std::string Finish() {
    in_.write_end.reset();
    std::string out = ReadAll(out_.read_end.get());
    thread_.join();
    EXPECT_TRUE(status_.ok()) << status_.ToString();
    return out;
  }

 private:
  Pipe in_, out_;
  std::thread thread_;
  Status status_;
};

constexpr char kInit[] =
    R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})"
    "\n"
    R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
    "\n";

TEST(StdioTransportTest, EveryOutputLineIsJsonRpcAndEveryRequestIsAnswered) {
  McpServer server({});
  server.AddTool({.name = "echo",
                  .input_schema = {{"type", "object"},
                                   {"properties", {{"text", {{"type", "string"}}}}},
                                   {"required", {"text"}}},
                  .handler = [](const Json& args, RequestContext& ctx) -> Result<ToolResult> {
                    ctx.ReportProgress(1, 1);
                    return ToolResult::Text(args["text"].get<std::string>());
                  }});
  StdioHarness h(server, {.max_message_bytes = 4096});
  h.Feed(kInit);
  h.Feed(
      R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})"
      "\r\n\n"
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"line1\nline2"},"_meta":{"progressToken":7}}})"
      "\n"
      "this is not json\n"
      R"([{"jsonrpc":"2.0","id":3,"method":"ping"}])"
      "\n" +
      std::string(5000, 'x') + "\n" +
      R"({"jsonrpc":"2.0","id":4,"method":"nope"})"
      "\n"
      R"({"jsonrpc":"2.0","id":5,"method":"ping"})");  // no final newline
  std::vector<std::string> lines = Lines(h.Finish());

  std::map<Json, Json> by_id;
  std::vector<Json> null_id_errors, notifications;
  for (const std::string& line : lines) {
    ParseResult parsed = ParseMessage(line);
    ASSERT_TRUE(parsed.ok()) << "not JSON-RPC: " << line;
    Json j = ToJson(*parsed.message);
    if (j.contains("method")) {
      notifications.push_back(j);
    } else if (j["id"].is_null()) {
      null_id_errors.push_back(j);
    } else {
      by_id[j["id"]] = j;
    }
  }
  EXPECT_EQ(by_id.size(), 5u);  // 0, 1, 2, 4, 5: id 3 sat inside a batch
  EXPECT_EQ(by_id[0]["result"]["protocolVersion"], "2025-06-18");
  EXPECT_EQ(by_id[1]["result"]["tools"][0]["name"], "echo");
  EXPECT_EQ(by_id[2]["result"]["content"][0]["text"], "line1\nline2");
  EXPECT_EQ(by_id[4]["error"]["code"], -32601);
  EXPECT_EQ(by_id[5]["result"], Json::object());
  ASSERT_EQ(null_id_errors.size(), 3u);  // not JSON, a batch, too long
  std::multiset<int> codes;
  for (const Json& e : null_id_errors) codes.insert(e["error"]["code"].get<int>());
  EXPECT_EQ(codes, (std::multiset<int>{-32700, -32600, -32600}));
  ASSERT_EQ(notifications.size(), 1u);
  EXPECT_EQ(notifications[0]["method"], "notifications/progress");
  EXPECT_EQ(notifications[0]["params"]["progressToken"], 7);
}

TEST(StdioTransportTest, CancelReachesARunningTool) {
  McpServer server({});
  std::atomic<bool> started = false;
  server.AddTool(
      {.name = "slow", .handler = [&](const Json&, RequestContext& ctx) -> Result<ToolResult> {
         started = true;
         for (int i = 0; i < 2000 && !ctx.cancelled(); ++i) {
           std::this_thread::sleep_for(5ms);
         }
         return ToolResult::Text(ctx.cancelled() ? "cancelled" : "finished");
       }});
  StdioHarness h(server);
  h.Feed(kInit);
  h.Feed(R"({"jsonrpc":"2.0","id":"slow-1","method":"tools/call","params":{"name":"slow"}})"
         "\n");
  while (!started) std::this_thread::sleep_for(1ms);
  h.Feed(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"slow-1"}})"
         "\n"
         R"({"jsonrpc":"2.0","id":9,"method":"ping"})"
         "\n");
  std::vector<std::string> lines = Lines(h.Finish());
  ASSERT_EQ(lines.size(), 2u);  // initialize and ping; the cancelled call gets no answer
  EXPECT_EQ(Json::parse(lines[1])["id"], 9);
}

// A dual-era client on stdio probes with server/discover; a 2026-07-28 one
// then sends requests with their _meta and never initializes. A listen ends
// with the input (cancelling it is server_test's).
TEST(StdioTransportTest, StatelessClientsNeedNoInitialize) {
  McpServer server({.name = "coral-stdio"});
  server.AddTool(
      {.name = "echo", .handler = [](const Json& args, RequestContext&) -> Result<ToolResult> {
         return ToolResult::Text(args.value("text", ""));
       }});
  StdioHarness h(server);
  const std::string meta =
      R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}})";
  h.Feed(
      R"({"jsonrpc":"2.0","id":1,"method":"server/discover","params":{)" + meta + "}}\n" +
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"},)" +
      meta + "}}\n" +
      R"({"jsonrpc":"2.0","id":3,"method":"subscriptions/listen","params":{"notifications":{},)" +
      meta + "}}\n" + R"({"jsonrpc":"2.0","id":4,"method":"ping","params":{)" + meta + "}}\n");
  std::map<Json, Json> by_id;
  std::vector<Json> notifications;
  for (const std::string& line : Lines(h.Finish())) {
    Json j = Json::parse(line);
    if (j.contains("method")) {
      notifications.push_back(j);
    } else {
      by_id[j["id"]] = j;
    }
  }
  EXPECT_EQ(by_id[1]["result"]["supportedVersions"][0], "2026-07-28");
  EXPECT_EQ(by_id[1]["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
            "coral-stdio");
  EXPECT_EQ(by_id[2]["result"]["content"][0]["text"], "hi");
  EXPECT_EQ(by_id[2]["result"]["resultType"], "complete");
  // The listen was acknowledged, then ended by the server when input ended.
  ASSERT_EQ(notifications.size(), 1u);
  EXPECT_EQ(notifications[0]["method"], "notifications/subscriptions/acknowledged");
  EXPECT_EQ(by_id[3]["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"], 3);
  EXPECT_EQ(by_id[4]["error"]["code"], -32601);  // ping is gone in 2026-07-28
}

}  // namespace
}  // namespace coral::mcp

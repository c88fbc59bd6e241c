// The MCP TypeScript SDK client (@modelcontextprotocol/sdk) calls every Coral
// tool the colony serves, over stdio through `coral mcp proxy` and over
// Streamable HTTP, and the answers are checked against the data in the store
// behind the tools: a slow backend behind a frontend, a log record, a metric.
#include <gtest/gtest.h>

#include "analysis/mcp_tools.h"
#include "analysis/summarizer.h"
#include "analysis/test_store.h"
#include "base/temp_dir.h"
#include "mcp/http_transport.h"
#include "mcp_js.h"
#include "net/http_server.h"

namespace coral::analysis {
namespace {

using Json = nlohmann::json;
using mcp::NodeRun;

constexpr int64_t kM0 = 1'699'999'980'000'000;
constexpr char kToken[] = "coralapi1_sdk_secret";

std::string TraceId(int i) { return std::to_string(1000 + i) + std::string(28, 'a'); }

class SdkClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string missing = mcp::MissingMcpJs(); !missing.empty()) FAIL() << missing;
    auto store = OpenTestColonyStore("duckdb", dir_.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    Seed();
    view_ = std::make_unique<FakeColonyView>(*store_, clock_);
    view_->status.set_colony_id("shop-sdk-1");
    AddColonyTools(server_, *view_);
    transport_ = std::make_unique<mcp::McpHttpTransport>(server_, mcp::HttpTransportOptions{});
    auto http = net::HttpServer::Start({.threads = 4}, [this](const net::HttpRequest& req) {
      if (req.header("Authorization") != std::string("Bearer ") + kToken) {
        return net::HttpResponse::Json(401, R"({"error":"unknown API token"})");
      }
      return transport_->Handle(req);
    });
    ASSERT_TRUE(http.ok()) << http.status().ToString();
    http_ = std::move(*http);
  }

  // Per request i: a frontend server span, its client span calling the
  // backend, and the backend's server span; odd requests are slow (900 ms).
  void Seed() {
    storage::Batch spans{
        "spans",
        {"agent_id", "seq", "ts_us", "trace_id", "span_id", "parent_span_id", "service_name",
         "name", "kind", "start_time_us", "end_time_us", "duration_ns", "status_code"},
        {}};
    int64_t seq = 0;
    for (int i = 0; i < 40; ++i) {
      int64_t start = kM0 + i * 1'000'000;
      int64_t ms = i % 2 ? 900 : 5;
      auto span = [&](std::string id, storage::Value parent, std::string service, std::string name,
                      std::string kind, int64_t begin, int64_t length_ms) {
        spans.rows.push_back({std::string("a1"), ++seq, start, TraceId(i), std::move(id),
                              std::move(parent), std::move(service), std::move(name),
                              std::move(kind), begin, begin + length_ms * 1000,
                              length_ms * 1'000'000, std::string("ok")});
      };
      std::string n = std::to_string(i);
      span("f" + n, storage::Value{}, "frontend", "GET /", "server", start, ms + 2);
      span("k" + n, storage::Value{"f" + n}, "frontend", "GET backend", "client", start + 500,
           ms + 1);
      span("b" + n, storage::Value{"k" + n}, "backend", i % 2 ? "GET /slow" : "GET /fast", "server",
           start + 1000, ms);
    }
    ASSERT_TRUE(store_->Append(spans).ok());
    ASSERT_TRUE(store_
                    ->Append({"log_records",
                              {"agent_id", "seq", "ts_us", "time_us", "severity_number",
                               "severity_text", "body", "service_name"},
                              {{std::string("a1"), int64_t{1}, kM0, kM0 + 5'000'000, int64_t{17},
                                std::string("ERROR"), std::string("payment declined for order 42"),
                                std::string("backend")}}})
                    .ok());
    ASSERT_TRUE(
        store_
            ->Append({"metric_points",
                      {"agent_id", "seq", "ts_us", "service_name", "metric_name", "type", "time_us",
                       "value"},
                      {{std::string("a1"), int64_t{1}, kM0, std::string("backend"),
                        std::string("queue.depth"), std::string("gauge"), kM0 + 1'000'000, 12.5}}})
            .ok());
    int64_t now = ToUnixMicros(clock_.Now());
    ASSERT_TRUE(
        store_
            ->Append({"services",
                      {"agent_id", "seq", "ts_us", "name", "pid", "port", "protocol", "source"},
                      {{std::string("a1"), int64_t{1}, now - 60'000'000, std::string("backend"),
                        int64_t{4242}, int64_t{8081}, std::string("http"), std::string("otel")}}})
            .ok());
    Summarizer summarizer(*store_, {}, clock_);
    ASSERT_TRUE(summarizer.Recompute(kM0, kM0 + 2 * 60'000'000).ok());
  }

  // Runs the SDK client in `mode`; its printed result.
  Json RunSdkClient(const std::string& mode) {
    Json calls = {
        {"status", {{"name", "coral_status"}, {"arguments", Json::object()}}},
        {"services", {{"name", "coral_list_services"}, {"arguments", Json::object()}}},
        {"summary", {{"name", "coral_service_summary"}, {"arguments", {{"since", "1h"}}}}},
        {"traces",
         {{"name", "coral_query_traces"},
          {"arguments", {{"min_duration_ms", 500}, {"limit", 100}}}}},
        {"trace", {{"name", "coral_get_trace"}, {"arguments", {{"trace_id", TraceId(1)}}}}},
        {"metrics", {{"name", "coral_query_metrics"}, {"arguments", {{"name", "queue.*"}}}}},
        {"logs",
         {{"name", "coral_query_logs"},
          {"arguments", {{"grep", "DECLINED"}, {"severity", "error"}}}}},
        {"topology", {{"name", "coral_topology"}, {"arguments", Json::object()}}},
        {"hosts", {{"name", "coral_host_metrics"}, {"arguments", Json::object()}}},
        {"sql",
         {{"name", "coral_query_sql"},
          {"arguments", {{"sql", "SELECT count(*) AS n FROM spans WHERE kind = 'client'"}}}}},
        {"sql_write", {{"name", "coral_query_sql"}, {"arguments", {{"sql", "DELETE FROM spans"}}}}},
    };
    std::string url = "http://127.0.0.1:" + std::to_string(http_->port()) + "/mcp";
    std::vector<std::string> args = {CORAL_SDK_CLIENT_JS, mode, url};
    if (mode == "stdio") args.insert(args.end(), {CORAL_BINARY, dir_.path().string()});
    NodeRun run = mcp::RunNode22(args, std::chrono::seconds(120),
                                 {{"CORAL_TOKEN", kToken}, {"CORAL_TOOL_CALLS", calls.dump()}});
    EXPECT_TRUE(run.exit.ok()) << run.exit.ToString() << "\n" << run.out << run.err;
    Json out = Json::parse(run.out, nullptr, false);
    EXPECT_FALSE(out.is_discarded()) << run.out << run.err;
    return out.is_discarded() ? Json::object() : out;
  }

  // Non-const JSON throughout: a missing key reads as null and fails a check.
  void CheckAgainstTheStore(Json out) {
    ASSERT_TRUE(out.contains("results")) << out.dump();
    std::set<std::string> names;
    for (const Json& t : out["tools"]) {
      names.insert(t["name"].get<std::string>());
      EXPECT_TRUE(t["readOnly"].get<bool>()) << t.dump();
      EXPECT_EQ(t["inputType"], "object");
    }
    EXPECT_EQ(names,
              (std::set<std::string>{"coral_status", "coral_list_services", "coral_service_summary",
                                     "coral_query_traces", "coral_get_trace", "coral_query_metrics",
                                     "coral_query_logs", "coral_topology", "coral_host_metrics",
                                     "coral_query_sql", "coral_audit_log"}));
    Json r = out["results"];
    for (const auto& [key, result] : r.items()) {
      if (key != "sql_write") {
        EXPECT_FALSE(result["isError"].get<bool>()) << key << result.dump();
      }
    }
    EXPECT_NE(r["status"]["text"].get<std::string>().find("shop-sdk-1"), std::string::npos);
    // The backend listens where an agent saw it; the frontend only sends spans.
    Json services = r["services"]["structuredContent"]["rows"];
    ASSERT_EQ(services.size(), 2u) << r["services"].dump();
    EXPECT_EQ(services[0]["service"], "backend");
    EXPECT_EQ(services[0]["ports"], "8081");
    EXPECT_EQ(services[1]["service"], "frontend");
    EXPECT_EQ(services[1]["source"], "spans");
    std::string summary = r["summary"]["text"];
    EXPECT_NE(summary.find("backend is slow"), std::string::npos) << summary;
    EXPECT_EQ(r["summary"]["structuredContent"]["services"].size(), 2u);
    // The 20 slow requests, and nothing else.
    Json traces = r["traces"]["structuredContent"]["rows"];
    EXPECT_EQ(traces.size(), 20u) << r["traces"].dump();
    for (Json& t : traces) EXPECT_EQ(t["trace_id"].dump()[4] % 2, 1) << t;
    Json trace = r["trace"]["structuredContent"]["rows"];
    ASSERT_EQ(trace.size(), 3u) << r["trace"].dump();
    std::set<std::string> span_ids;
    for (Json& s : trace)
      span_ids.insert(s["span_id"].is_string() ? s["span_id"].get<std::string>() : "");
    EXPECT_EQ(span_ids, (std::set<std::string>{"f1", "k1", "b1"})) << r["trace"].dump();
    ASSERT_EQ(r["metrics"]["structuredContent"]["rows"].size(), 1u) << r["metrics"].dump();
    EXPECT_EQ(r["metrics"]["structuredContent"]["rows"][0]["value"], 12.5);
    ASSERT_EQ(r["logs"]["structuredContent"]["rows"].size(), 1u) << r["logs"].dump();
    EXPECT_EQ(r["logs"]["structuredContent"]["rows"][0]["body"], "payment declined for order 42");
    // One edge, frontend to backend, carrying all 40 calls.
    Json edges = r["topology"]["structuredContent"]["rows"];
    bool edge = false;
    for (const Json& e : edges) {
      edge |= e.value("source", "") == "frontend" && e.value("target", "") == "backend" &&
              e.value("calls", 0) == 40;
    }
    EXPECT_TRUE(edge) << r["topology"].dump();
    EXPECT_EQ(r["hosts"]["structuredContent"]["rows"].size(), 0u);  // no host metrics stored
    EXPECT_EQ(r["sql"]["structuredContent"]["rows"][0]["n"], 40);
    EXPECT_TRUE(r["sql_write"]["isError"].get<bool>()) << r["sql_write"].dump();
    EXPECT_TRUE(out["wrongArguments"]["isError"].get<bool>()) << out["wrongArguments"].dump();
    EXPECT_NE(out["wrongArguments"]["text"].get<std::string>().find("limit"), std::string::npos);
    EXPECT_NE(out["schemaText"].get<std::string>().find("spans"), std::string::npos);
    EXPECT_NE(out["promptText"].get<std::string>().find("slow checkout"), std::string::npos);
    // Nothing the SDK did wrote to the store.
    auto count = store_->Query("SELECT count(*) AS n FROM spans");
    ASSERT_TRUE(count.ok());
    EXPECT_EQ(std::get<int64_t>(count->rows[0][0]), 120);
  }

  TempDir dir_{"coral-mcp-sdk"};
  FakeClock clock_{FromUnixMicros(kM0 + 30 * 60'000'000)};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<FakeColonyView> view_;
  mcp::McpServer server_{{}};
  std::unique_ptr<mcp::McpHttpTransport> transport_;
  std::unique_ptr<net::HttpServer> http_;
};

TEST_F(SdkClientTest, EveryToolOverStreamableHttp) { CheckAgainstTheStore(RunSdkClient("http")); }

TEST_F(SdkClientTest, EveryToolOverStdioThroughCoralMcpProxy) {
  CheckAgainstTheStore(RunSdkClient("stdio"));
}

}  // namespace
}  // namespace coral::analysis

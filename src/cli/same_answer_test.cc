// One question, one answer: for every MCP tool, the same question asked
// through the tool (its structuredContent) and through the CLI (-o json, over
// the colony's gRPC API) on one store gives equal results. Both run in this
// process against a fake colony (colony/test_colony.h) with real stores.
#include <gtest/gtest.h>

#include <signal.h>

#include <cstdlib>
#include <sstream>

#include "analysis/summarizer.h"
#include "analysis/test_store.h"
#include "base/files.h"
#include "base/subprocess.h"
#include "cli/app.h"
#include "colony/colony_dir.h"
#include "colony/test_colony.h"

namespace coral::cli {
namespace {

using Json = nlohmann::json;

class SameAnswerTest : public analysis::DemoColonyTest {
 protected:
  void SetUp() override {
    analysis::DemoColonyTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    int64_t t = analysis::kDemoM0 + 20'000'000;
    ASSERT_TRUE(store_
                    ->Append({"log_records",
                              {"agent_id", "seq", "ts_us", "service_name", "time_us",
                               "severity_number", "severity_text", "body"},
                              {{std::string("a1"), int64_t{1}, t, std::string("backend"), t,
                                int64_t{17}, std::string("ERROR"), std::string("db timed out")}}})
                    .ok());
    ASSERT_TRUE(store_
                    ->Append({"metric_points",
                              {"agent_id", "seq", "ts_us", "service_name", "metric_name", "type",
                               "time_us", "value"},
                              {{std::string("a1"), int64_t{1}, t, std::string("backend"),
                                std::string("queue.depth"), std::string("gauge"), t, 12.5}}})
                    .ok());
    // One call through a client span, so the topology has an edge.
    storage::Batch call{
        "spans",
        {"agent_id", "seq", "ts_us", "trace_id", "span_id", "parent_span_id", "service_name",
         "name", "kind", "start_time_us", "end_time_us", "duration_ns", "status_code"}};
    std::string trace(32, 'e');
    for (auto [id, parent, service, kind] :
         std::vector<std::tuple<const char*, const char*, const char*, const char*>>{
             {"f9", "", "frontend", "server"},
             {"k9", "f9", "frontend", "client"},
             {"b9", "k9", "backend", "server"}}) {
      call.rows.push_back({std::string("a1"), int64_t{100} + static_cast<int64_t>(call.rows.size()),
                           t, trace, std::string(id),
                           *parent ? storage::Value{std::string(parent)} : storage::Value{},
                           std::string(service), std::string("GET /call"), std::string(kind), t,
                           t + 3000, int64_t{3'000'000}, std::string("ok")});
    }
    ASSERT_TRUE(store_->Append(call).ok());
    storage::Batch host{"host_metrics", {"agent_id", "seq", "ts_us", "name", "resource", "value"}};
    int64_t seq = 0;
    for (auto [name, value] : std::vector<std::pair<const char*, double>>{{"cpu.percent", 42.5},
                                                                          {"mem.used_bytes", 2e9},
                                                                          {"mem.total_bytes", 8e9},
                                                                          {"load.1m", 1.5}}) {
      host.rows.push_back({std::string("a1"), ++seq, t, std::string(name),
                           std::string(std::string(name) == "cpu.percent" ? "total" : ""), value});
    }
    ASSERT_TRUE(store_->Append(host).ok());
    analysis::Summarizer summarizer(*store_, {}, clock_);
    ASSERT_TRUE(summarizer.Recompute(analysis::kDemoM0, analysis::kDemoM0 + 2 * 60'000'000).ok());

    colony_ = std::make_unique<colony::FakeColony>(*store_, clock_);
    coral::v1::AgentInfo agent;
    agent.set_agent_id("a1");
    agent.set_hostname("web1");
    agent.set_state("healthy");
    agent.set_mesh_ip("100.97.0.2");
    agent.set_last_seen_unix_micros(ToUnixMicros(clock_.Now()));
    colony_->agents = {agent};
    colony_->status.set_agents_healthy(1);
    colony_->status.set_pid(4242);
    colony_->audit().Record({.at = clock_.Now() - std::chrono::minutes(5),
                             .who = "seed token",
                             .action = "tool:coral_query_sql",
                             .arguments = R"({"sql":"SELECT 1"})",
                             .allowed = true,
                             .result_bytes = 12});
    served_ = std::make_unique<colony::ServedColony>(*colony_);

    // A home with a colony the CLI finds running (a process named like one:
    // the CLI checks the pid file's process is coral's), whose API port is the
    // fake's, and an admin token to call it with.
    home_ = dir_.path() / "home";
    auto made = colony::CreateColony(config::Home(home_), {.app = "shop", .env = "test"});
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    auto stand_in = Subprocess::Start({.argv = {"bash", "-c", "exec -a coral-colony sleep 600"}});
    ASSERT_TRUE(stand_in.ok()) << stand_in.status().ToString();
    stand_in_ = std::make_unique<Subprocess>(std::move(*stand_in));
    ASSERT_TRUE(WriteFileAtomic(home_ / "colonies" / made->id / "colony.pid",
                                std::to_string(stand_in_->pid()) + "\n", FileMode::kPrivate)
                    .ok());
    ::setenv("CORAL_COLONY_API_GRPC_PORT", std::to_string(served_->grpc_port()).c_str(), 1);
    ::setenv("CORAL_TOKEN", colony_->ApiToken(auth::Role::kAdmin).c_str(), 1);

    mcp_ = std::make_unique<mcp::McpServer>(mcp::McpServerOptions{});
    analysis::AddColonyTools(*mcp_, *colony_);
    session_ = mcp_->NewSession([](const mcp::Message&) {});
    Json init = McpCall("initialize", {{"protocolVersion", "2025-11-25"},
                                       {"capabilities", Json::object()},
                                       {"clientInfo", {{"name", "test"}, {"version", "1"}}}});
    ASSERT_TRUE(init.contains("result")) << init.dump();
  }
  void TearDown() override {
    if (stand_in_) stand_in_->Kill(SIGKILL);
    ::unsetenv("CORAL_COLONY_API_GRPC_PORT");
    ::unsetenv("CORAL_TOKEN");
    served_.reset();
  }

  Json McpCall(const std::string& method, Json params) {
    Json request = {{"jsonrpc", "2.0"}, {"id", ++id_}, {"method", method}, {"params", params}};
    auto reply = session_->HandleText(request.dump());
    return reply ? Json::parse(mcp::Serialize(*reply)) : Json();
  }
  // The tool's structuredContent.
  Json Tool(const std::string& name, Json arguments) {
    Json r = McpCall("tools/call", {{"name", name}, {"arguments", arguments}})["result"];
    EXPECT_FALSE(r.value("isError", false)) << name << ": " << r.dump();
    return r["structuredContent"];
  }
  // What the CLI printed with -o json.
  Json Cli(std::vector<std::string> args) {
    args.insert(args.begin(), {"--home", home_.string(), "-o", "json"});
    std::ostringstream out, err;
    int code = cli::Run(args, out, err);
    EXPECT_EQ(code, 0) << err.str();
    return Json::parse(out.str(), nullptr, false);
  }

  std::unique_ptr<colony::FakeColony> colony_;
  std::unique_ptr<colony::ServedColony> served_;
  std::filesystem::path home_;
  std::unique_ptr<Subprocess> stand_in_;
  std::unique_ptr<mcp::McpServer> mcp_;
  std::unique_ptr<mcp::McpSession> session_;
  int id_ = 0;
};

TEST_P(SameAnswerTest, EveryToolAgreesWithTheCli) {
  std::string trace_id = Tool("coral_query_traces", {{"limit", 1}})["rows"][0]["trace_id"];
  struct Question {
    const char* tool;
    Json arguments;
    std::vector<std::string> cli;
    bool rows;  // the CLI prints the tool's rows; else the whole object
  };
  std::vector<Question> questions = {
      {"coral_status", Json::object(), {"status"}, false},
      {"coral_list_services", {{"since", "1h"}}, {"query", "services", "--since", "1h"}, true},
      {"coral_service_summary",
       {{"since", "1h"}, {"slow_ms", 300}},
       {"query", "summary", "--since", "1h", "--slow", "300ms"},
       false},
      {"coral_query_traces",
       {{"service", "backend"}, {"min_duration_ms", 500}, {"since", "1h"}, {"limit", 7}},
       {"query", "traces", "--service", "backend", "--min-duration", "500ms", "--since", "1h",
        "--limit", "7"},
       true},
      {"coral_get_trace",
       {{"trace_id", trace_id}},
       {"query", "traces", "--trace-id", trace_id},
       true},
      {"coral_query_metrics",
       {{"name", "queue.*"}, {"service", "backend"}, {"limit", 10}},
       {"query", "metrics", "--name", "queue.*", "--service", "backend", "--limit", "10"},
       true},
      {"coral_query_logs",
       {{"service", "backend"}, {"grep", "TIMED"}, {"severity", "warn"}, {"limit", 10}},
       {"query", "logs", "--service", "backend", "--grep", "TIMED", "--severity", "warn", "--limit",
        "10"},
       true},
      {"coral_topology", {{"since", "1h"}}, {"query", "topology", "--since", "1h"}, true},
      {"coral_host_metrics", {{"since", "1h"}}, {"query", "hosts", "--since", "1h"}, true},
      {"coral_query_sql",
       {{"sql",
         "SELECT service_name, count(*) AS n FROM spans GROUP BY service_name ORDER BY "
         "service_name"},
        {"limit", 100}},
       {"query", "sql",
        "SELECT service_name, count(*) AS n FROM spans GROUP BY service_name ORDER BY service_name",
        "--max-rows", "100"},
       true},
      {"coral_audit_log",
       {{"who", "seed"}, {"since", "1h"}, {"limit", 20}},
       {"colony", "audit", "--who", "seed", "--since", "1h", "--limit", "20"},
       true},
  };
  // Every tool is asked here.
  Json listed = McpCall("tools/list", Json::object())["result"]["tools"];
  ASSERT_EQ(listed.size(), questions.size());
  for (const Question& q : questions) {
    SCOPED_TRACE(q.tool);
    Json tool = Tool(q.tool, q.arguments);
    Json cli = Cli(q.cli);
    Json expected = q.rows ? tool["rows"] : tool;
    EXPECT_EQ(cli, expected) << "CLI: " << cli.dump(1) << "\nMCP: " << expected.dump(1);
    // Not an empty answer that agrees by accident.
    EXPECT_FALSE(expected.empty()) << expected.dump();
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, SameAnswerTest, ::testing::Values("duckdb", "clickhouse"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace coral::cli

#include "analysis/mcp_tools.h"

#include <gtest/gtest.h>

#include "analysis/test_store.h"

namespace coral::analysis {
namespace {

using mcp::Json;

// The tools over a store with a slow backend behind a frontend, called the
// way a client calls them: JSON-RPC through an MCP session.
class McpToolsTest : public DemoColonyTest {
 protected:
  void SetUp() override {
    DemoColonyTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    view_->status.set_colony_id("shop-test-1");
    view_->status.set_agents_healthy(1);
    AddColonyTools(server_, *view_);
    session_ = server_.NewSession([](const mcp::Message&) {});
    Json init = Call("initialize", {{"protocolVersion", "2025-11-25"},
                                    {"capabilities", Json::object()},
                                    {"clientInfo", {{"name", "test"}, {"version", "1"}}}});
    ASSERT_TRUE(init.contains("result")) << init.dump();
  }

  Json Call(const std::string& method, Json params) {
    Json request = {{"jsonrpc", "2.0"}, {"id", ++id_}, {"method", method}, {"params", params}};
    auto reply = session_->HandleText(request.dump());
    if (!reply) return Json();
    return Json::parse(mcp::Serialize(*reply));
  }
  Json Tool(const std::string& name, Json arguments) {
    return Call("tools/call", {{"name", name}, {"arguments", arguments}})["result"];
  }
  static std::string Text(const Json& result) {
    return result["content"][0]["text"].get<std::string>();
  }

  mcp::McpServer server_{{}};
  std::unique_ptr<mcp::McpSession> session_;
  int id_ = 0;
};

TEST_P(McpToolsTest, ListsEveryToolReadOnlyWithSchemas) {
  Json list = Call("tools/list", Json::object())["result"]["tools"];
  std::set<std::string> names;
  for (const auto& t : list) {
    names.insert(t["name"]);
    EXPECT_EQ(t["annotations"]["readOnlyHint"], true) << t.dump();
    EXPECT_EQ(t["inputSchema"]["type"], "object") << t.dump();
  }
  EXPECT_EQ(names,
            (std::set<std::string>{"coral_status", "coral_list_services", "coral_service_summary",
                                   "coral_query_traces", "coral_get_trace", "coral_query_metrics",
                                   "coral_query_logs", "coral_topology", "coral_host_metrics",
                                   "coral_query_sql", "coral_audit_log"}));
}

TEST_P(McpToolsTest, TheSummaryFindsTheSlowBackendWithEvidence) {
  Json r = Tool("coral_service_summary", {{"since", "1h"}});
  ASSERT_FALSE(r.value("isError", false)) << r.dump();
  std::string text = Text(r);
  EXPECT_NE(text.find("backend is slow"), std::string::npos) << text;
  EXPECT_NE(text.find("operation 'GET /slow'"), std::string::npos) << text;
  ASSERT_TRUE(r.contains("structuredContent"));
  EXPECT_EQ(r["structuredContent"]["services"].size(), 2u);
}

TEST_P(McpToolsTest, TracesAndOneTraceAndSqlWithLimitsAndTruncation) {
  Json traces = Tool("coral_query_traces", {{"min_duration_ms", 500}, {"limit", 5}});
  ASSERT_FALSE(traces.value("isError", false)) << traces.dump();
  EXPECT_EQ(traces["structuredContent"]["rows"].size(), 5u);
  EXPECT_EQ(traces["structuredContent"]["truncated"], true);
  EXPECT_NE(Text(traces).find("(truncated: showing 5 rows"), std::string::npos);
  std::string trace_id = traces["structuredContent"]["rows"][0]["trace_id"];
  Json one = Tool("coral_get_trace", {{"trace_id", trace_id}});
  EXPECT_EQ(one["structuredContent"]["rows"].size(), 2u) << one.dump();

  Json sql = Tool("coral_query_sql", {{"sql", "SELECT count(*) AS n FROM spans"}});
  EXPECT_EQ(sql["structuredContent"]["rows"][0]["n"], 80) << sql.dump();
  Json write = Tool("coral_query_sql", {{"sql", "DELETE FROM spans"}});
  EXPECT_EQ(write["isError"], true) << write.dump();
  EXPECT_EQ(Tool("coral_query_sql",
                 {{"sql", "SELECT count(*) AS n FROM spans"}})["structuredContent"]["rows"][0]["n"],
            80);
}

TEST_P(McpToolsTest, BadArgumentsAreToolErrorsThatSayWhy) {
  Json since = Tool("coral_service_summary", {{"since", "forever"}});
  EXPECT_EQ(since["isError"], true);
  EXPECT_NE(Text(since).find("since 'forever'"), std::string::npos) << since.dump();
  Json missing = Tool("coral_get_trace", {{"trace_id", std::string(32, 'f')}});
  EXPECT_EQ(missing["isError"], true);
  Json typed =
      Call("tools/call", {{"name", "coral_query_traces"}, {"arguments", {{"limit", "ten"}}}});
  EXPECT_TRUE(typed.contains("error") || typed["result"].value("isError", false)) << typed.dump();
  // Out of range is refused, not quietly clamped.
  for (int bad : {-5, 0, 501}) {
    Json r = Tool("coral_query_logs", {{"limit", bad}});
    EXPECT_EQ(r["isError"], true) << bad << r.dump();
    EXPECT_NE(Text(r).find("limit must be"), std::string::npos) << r.dump();
  }
}

TEST_P(McpToolsTest, ServicesThatOnlySendSpansAreListed) {
  Json r = Tool("coral_list_services", Json::object());
  ASSERT_FALSE(r.value("isError", false)) << r.dump();
  Json rows = r["structuredContent"]["rows"];
  ASSERT_EQ(rows.size(), 2u) << r.dump();
  EXPECT_EQ(rows[0]["service"], "backend");
  EXPECT_EQ(rows[0]["source"], "spans");
  EXPECT_GT(rows[0]["requests_per_s"].get<double>(), 0);
  EXPECT_EQ(rows[1]["service"], "frontend");
}

// An agent the colony cannot pull is a finding of coral_status: its data is
// missing from every other answer.
TEST_P(McpToolsTest, StatusFindsAnAgentTheColonyCannotPull) {
  coral::v1::AgentInfo& a = view_->agents.emplace_back();
  a.set_agent_id("vm-1");
  a.set_hostname("web-1");
  a.set_state("degraded");
  a.set_last_pull_unix_micros(kDemoM0);
  a.set_pull_failing_since_unix_micros(kDemoM0 + kMinuteUs);
  a.set_pull_error("pull spans from agent vm-1: Out of Memory");
  Json r = Tool("coral_status", Json::object());
  ASSERT_FALSE(r.value("isError", false)) << r.dump();
  Json pull_findings = Json::array();
  for (const Json& f : r["structuredContent"]["findings"]) {
    if (f["kind"] == "agent_pull_failing") pull_findings.push_back(f);
  }
  ASSERT_EQ(pull_findings.size(), 1u) << r.dump();
  EXPECT_EQ(pull_findings[0]["subject"], "vm-1");
  EXPECT_EQ(pull_findings[0]["severity"], "warning");
  EXPECT_NE(pull_findings[0]["evidence"].dump().find("Out of Memory"), std::string::npos);
  EXPECT_EQ(r["structuredContent"]["agents"][0]["pull_failing_since"],
            FormatRfc3339(FromUnixMicros(kDemoM0 + kMinuteUs)));
}

TEST_P(McpToolsTest, TheAuditLogToolFiltersByCallerAndAction) {
  audit_->Record({.at = clock_.Now(),
                  .who = "token api-1 (ci)",
                  .action = "tool:coral_query_sql",
                  .allowed = true});
  audit_->Record(
      {.at = clock_.Now(), .who = "local operator", .action = "rpc:RevokeAgent", .allowed = true});
  Json r = Tool("coral_audit_log", {{"who", "api-1"}});
  ASSERT_FALSE(r.value("isError", false)) << r.dump();
  ASSERT_EQ(r["structuredContent"]["rows"].size(), 1u) << r.dump();
  EXPECT_EQ(r["structuredContent"]["rows"][0]["action"], "tool:coral_query_sql");
  EXPECT_EQ(Tool("coral_audit_log", {{"action", "Revoke"}})["structuredContent"]["rows"].size(),
            1u);
}

TEST_P(McpToolsTest, SchemaResourceAndInvestigatePrompt) {
  Json schema = Call("resources/read", {{"uri", "coral://schema"}})["result"];
  std::string text = schema["contents"][0]["text"];
  EXPECT_NE(text.find("spans(agent_id, seq, ts_us, trace_id"), std::string::npos) << text;
  Json prompt = Call("prompts/get", {{"name", "investigate"},
                                     {"arguments", {{"symptom", "checkout is slow"}}}})["result"];
  EXPECT_NE(prompt["messages"][0]["content"]["text"].get<std::string>().find("checkout is slow"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, McpToolsTest, ::testing::Values("duckdb", "clickhouse"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace coral::analysis

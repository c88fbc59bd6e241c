// MCP messages as an assistant on the network sends them to a colony: one
// JSON-RPC text at a time into a session of an McpServer with every colony
// tool, resource and prompt (mcp_tools.h) over a DuckDB colony store. One
// session lives across inputs (so initialize and its state are fuzzed too)
// and is started again now and then.
//
// Invariants: a request gets exactly one JSON-RPC 2.0 response or error;
// nothing a message says writes to the telemetry store.
#include <nlohmann/json.hpp>

#include "analysis/mcp_tools.h"
#include "fuzz_colony.h"
#include "fuzz_target.h"
#include "mcp/server.h"

int CoralFuzzTarget(const uint8_t* data, size_t size) {
  using namespace coral;
  auto& w = analysis::TheWorld();
  static mcp::McpServer* server = [&] {
    auto* s = new mcp::McpServer({});
    analysis::AddColonyTools(*s, *w.view);
    return s;
  }();
  static std::unique_ptr<mcp::McpSession> session;
  static int inputs = 0;
  if (inputs++ % 512 == 0) session = server->NewSession([](const mcp::Message&) {});
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<mcp::Message> answer = session->HandleText(text);
  if (answer) {
    CORAL_CHECK(std::holds_alternative<mcp::Response>(*answer) ||
                    std::holds_alternative<mcp::ErrorResponse>(*answer),
                "an answer that is not a response");
    auto json = nlohmann::json::parse(mcp::Serialize(*answer), nullptr, false);
    CORAL_CHECK(json.is_object() && json.value("jsonrpc", "") == "2.0",
                "not JSON-RPC 2.0: " + mcp::Serialize(*answer).substr(0, 200));
  }
  // A request (an object with a method and an id) is always answered.
  auto in = nlohmann::json::parse(text, nullptr, false);
  if (in.is_object() && in.value("jsonrpc", "") == "2.0" && in.contains("method") &&
      in["method"].is_string() && in.contains("id") &&
      (in["id"].is_string() || in["id"].is_number_integer())) {
    CORAL_CHECK(answer.has_value(),
                "a request went unanswered: " + std::string(text.substr(0, 200)));
  }
  CORAL_CHECK(analysis::CountSpans(*w.telemetry) == w.spans, "a message changed the store");
  return 0;
}

std::vector<std::vector<uint8_t>> CoralFuzzSeeds() {
  using namespace coral;
  using Json = nlohmann::json;
  Json meta = {{mcp::meta_key::kProtocolVersion, "2026-07-28"},
               {mcp::meta_key::kClientCapabilities, Json::object()},
               {mcp::meta_key::kClientInfo, {{"name", "fuzz"}, {"version", "1"}}}};
  auto request = [&](int id, const std::string& method, Json params, bool stateless) {
    if (stateless) params["_meta"] = meta;
    std::string text =
        Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}.dump();
    return std::vector<uint8_t>(text.begin(), text.end());
  };
  std::vector<std::vector<uint8_t>> seeds;
  seeds.push_back(request(0, "initialize",
                          {{"protocolVersion", "2025-11-25"},
                           {"capabilities", Json::object()},
                           {"clientInfo", {{"name", "fuzz"}, {"version", "1"}}}},
                          false));
  std::string ready = R"({"jsonrpc":"2.0","method":"notifications/initialized"})";
  seeds.emplace_back(ready.begin(), ready.end());
  for (bool stateless : {false, true}) {
    seeds.push_back(request(1, "tools/list", Json::object(), stateless));
    seeds.push_back(request(2, "resources/read", {{"uri", "coral://schema"}}, stateless));
    seeds.push_back(request(3, "prompts/get", {{"name", "investigate"}}, stateless));
    for (const auto& [tool, args] : std::vector<std::pair<std::string, Json>>{
             {"coral_list_services", {{"limit", 5}}},
             {"coral_service_summary", {{"service", "frontend"}}},
             {"coral_query_traces", {{"service", "backend"}, {"limit", 3}}},
             {"coral_get_trace", {{"trace_id", std::string(32, 'a')}}},
             {"coral_query_sql", {{"sql", "SELECT name, count(*) FROM spans GROUP BY 1"}}},
             {"coral_audit_log", {{"limit", 2}}}}) {
      seeds.push_back(request(4, "tools/call", {{"name", tool}, {"arguments", args}}, stateless));
    }
  }
  seeds.push_back(request(5, "server/discover", Json::object(), true));
  return seeds;
}

// The read side's questions as one table: each tool is a small function
// beside its input schema, with a description of what it returns and when to
// use it. The same table is the colony's MCP tools (mcp_tools.h) and its REST
// API (rest_api.h, GET or POST /api/v1/<route>); the CLI asks the same
// functions (service_summary.h, raw_views.h, sql.h) through the colony's gRPC
// API and prints the same JSON (answers.h). Adding a question here serves it
// everywhere at once, each door checking `least_role` through auth/.
//
// Every tool is read-only, answers with concise text (for a model) and JSON
// data, caps rows (`limit`, at most kMaxToolRows) and text (kMaxToolText
// bytes), says when it cut, and refuses bad arguments with InvalidArgument
// naming the argument.
//
//   coral_status           the colony, its agents, service health (15 m) and findings
//   coral_list_services    every service: listening where agents see it, or sending spans
//   coral_service_summary  health, latency, errors and findings with evidence
//   coral_query_traces     traces by service, duration, window
//   coral_get_trace        every span of one trace
//   coral_query_metrics    metric points by name (prefix*), service, window
//   coral_query_logs       log records by service, text, severity, window
//   coral_topology         service-to-service edges (spans, TCP)
//   coral_host_metrics     CPU, memory, disk, network per host
//   coral_query_sql        one read-only SELECT over the colony's tables
//   coral_audit_log        who called what, allowed or denied (admins only)
//
// Thread-safety: the table is immutable; tools run on the caller's thread.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "analysis/colony_view.h"
#include "auth/policy.h"
#include "auth/role.h"
#include "base/status.h"

namespace coral::analysis {

using Json = nlohmann::json;

inline constexpr int kMaxToolRows = 500;
inline constexpr size_t kMaxToolText = 24 * 1024;

struct Answer {
  std::string text;  // for a model to read: concise, cut at kMaxToolText
  Json data;         // the answer itself (answers.h)
};

struct Tool {
  std::string name;
  std::string title;
  std::string description;
  std::string route;  // REST: /api/v1/<route>
  auth::Role least_role = auth::Role::kViewer;
  Json input_schema;  // JSON Schema of the arguments (an object)
  Result<Answer> (*run)(ColonyView& colony, const Json& args) = nullptr;
};

const std::vector<Tool>& Tools();
const Tool* FindTool(std::string_view name);
const Tool* FindToolByRoute(std::string_view route);

// The policy's rules for every tool, by its least role: "tool:<name>" (MCP)
// and "api:<route>" (REST).
void AllowTools(auth::Policy& policy);

// The tables and columns SQL can read, as text (MCP's coral://schema).
std::string SchemaText();

}  // namespace coral::analysis

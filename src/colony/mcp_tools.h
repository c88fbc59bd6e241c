// Coral's MCP tools, resource and prompt, as the colony serves them to AI
// assistants (its /mcp endpoint, `coral mcp proxy`, `coral ask`). Every tool
// is read-only, answers with concise text plus structuredContent, caps what
// it returns (rows: `limit`, at most kMaxToolRows; text: kMaxToolText bytes)
// and says so when it cut, and takes filters to narrow what it returns.
//
//   coral_status           the colony, its agents and service health (15 m)
//   coral_list_services    services the agents see, with health
//   coral_service_summary  health, latency, errors and findings with evidence
//   coral_query_traces     traces by service, duration, window
//   coral_get_trace        every span of one trace
//   coral_query_metrics    metric points by name (prefix*), service, window
//   coral_query_logs       log records by service, text, severity, window
//   coral_topology         service-to-service edges (spans, TCP)
//   coral_host_metrics     CPU, memory, disk, network per host
//   coral_query_sql        one read-only SELECT over the colony's tables
//   coral_audit_log        who called what, allowed or denied (admins only;
//                          served when the colony gives an audit source)
//   resource coral://schema  the tables and columns SQL can use
//   prompt investigate       how to look into a problem with these tools
//
// Who may call what is checked by the endpoint (colony/access.h) before a
// call reaches these handlers.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "base/clock.h"
#include "colony/access.h"
#include "coral/v1/colony.pb.h"
#include "mcp/server.h"
#include "storage/store.h"

namespace coral::colony {

inline constexpr int kMaxToolRows = 500;
inline constexpr size_t kMaxToolText = 24 * 1024;

struct ColonyToolsContext {
  storage::Store* telemetry = nullptr;
  const Clock* clock = nullptr;
  std::function<coral::v1::GetStatusResponse()> status;
  std::function<std::vector<coral::v1::AgentInfo>()> agents;
  std::function<std::map<std::string, std::string>()> host_names;  // agent id -> hostname
  // The audit log, newest first (AccessControl::AuditLog); no coral_audit_log
  // tool without it.
  std::function<Result<std::vector<AuditEntry>>(int limit, std::optional<WallTime> since)> audit;
};

void AddColonyTools(mcp::McpServer& server, ColonyToolsContext context);

}  // namespace coral::colony

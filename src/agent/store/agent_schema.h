// The agent's tables. Every table starts with `seq BIGINT` (per-table,
// strictly increasing, never reused) and `ts TIMESTAMP` (UTC), so a reader
// resumes from a cursor and retention prunes by time.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "storage/store.h"

namespace coral::agent {

inline constexpr char kProcessesTable[] = "processes";
inline constexpr char kServicesTable[] = "services";
inline constexpr char kConnectionsTable[] = "connections";
inline constexpr char kHostMetricsTable[] = "host_metrics";
inline constexpr char kHealthEventsTable[] = "health_events";
// OTLP telemetry from local services (migration 2; columns in agent_schema.cc).
inline constexpr char kSpansTable[] = "spans";
inline constexpr char kMetricPointsTable[] = "metric_points";
inline constexpr char kLogRecordsTable[] = "log_records";

// Tables readers may pull, in a stable order.
const std::vector<std::string>& AgentTables();
std::span<const storage::Migration> AgentMigrations();

}  // namespace coral::agent

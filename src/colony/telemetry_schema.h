// The colony's telemetry tables: what the poller copies from every agent,
// one colony table per agent table, the same on DuckDB and ClickHouse so the
// same query gives the same rows on both. Conventions:
//   - every table starts with agent_id, seq (the agent's sequence id, unique
//     per agent and table) and ts_us;
//   - every time is BIGINT microseconds since the Unix epoch, its column named
//     <agent column>_us (ClickHouse 18.16 has no sub-second DateTime);
//   - booleans are BIGINT 0/1 (ClickHouse has no BOOLEAN);
//   - on ClickHouse, MergeTree partitioned by day and ordered by time first,
//     so time-range queries read only their parts.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "storage/store.h"

namespace coral::colony {

struct TelemetryTable {
  std::string name;                  // same as the agent's table
  std::vector<std::string> columns;  // in order, agent_id first
};

// Every table the poller fills, in a stable order.
const std::vector<TelemetryTable>& TelemetryTables();
const TelemetryTable* FindTelemetryTable(const std::string& name);
std::span<const storage::Migration> TelemetryMigrations();

}  // namespace coral::colony

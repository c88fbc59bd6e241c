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

namespace coral::analysis {

struct TelemetryTable {
  std::string name;                  // same as the agent's table
  std::vector<std::string> columns;  // in order, agent_id first
  // Each column's type, as the colony stores it: times and booleans as
  // kInt64, then kDouble or kString.
  std::vector<storage::ColumnType> types;
};

// Every table the poller fills, in a stable order.
const std::vector<TelemetryTable>& TelemetryTables();
const TelemetryTable* FindTelemetryTable(const std::string& name);
std::span<const storage::Migration> TelemetryMigrations();

// The store URL the colony opens for a configured one. A DuckDB file gets,
// unless the URL says otherwise:
//   enable_external_access=false  users' SQL runs on this store: no access
//                                 outside itself;
//   checkpoint_threshold=128MB    checkpoints (which compress what the WAL
//                                 holds) 8x rarer than DuckDB's 16 MB: fleet
//                                 ingest ~1.5x faster (bench/colony_scale),
//                                 at the cost of a longer WAL replay after
//                                 a crash;
//   memory_limit=<a quarter of RAM, 256 MB to 2 GB>  DuckDB's own default is
//                                 80% of RAM, which a viewer's query could
//                                 take; past the limit DuckDB spills to disk
//                                 or the query fails, and the colony stays.
std::string TelemetryStoreUrl(std::string url);
// The memory_limit TelemetryStoreUrl gives, as DuckDB reads it ("1024MB").
std::string DefaultStoreMemoryLimit();

}  // namespace coral::analysis

// Read-only SQL over a colony's tables, for people (coral query sql) and
// assistants (coral_query_sql): one SELECT (WITH ... SELECT included), with a
// row limit and a time limit. Anything else is refused before it runs
// (storage::Statements::kSelectOnly), and the store it runs on has no access
// outside itself (see telemetry_schema.h, TelemetryStoreUrl).
#pragma once

#include <chrono>
#include <string>

#include "base/status.h"
#include "storage/store.h"

namespace coral::analysis {

inline constexpr int kMaxSqlRows = 100'000;
inline constexpr std::chrono::milliseconds kMaxSqlTimeout = std::chrono::minutes(5);

struct SqlQuery {
  std::string sql;
  int max_rows = 1000;                        // 1..kMaxSqlRows
  std::chrono::milliseconds timeout{30'000};  // up to kMaxSqlTimeout
};

// InvalidArgument for bad limits or an empty query; PermissionDenied for
// anything but one SELECT; RowSet::truncated when more rows matched.
Result<storage::RowSet> ReadOnlySql(storage::Store& store, const SqlQuery& query);

}  // namespace coral::analysis

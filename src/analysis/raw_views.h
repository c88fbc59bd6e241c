// Raw-data views over the colony's telemetry tables (telemetry_schema.h):
// traces, logs and metric points with typed filters, as QueryTraces,
// QueryLogs and QueryMetrics answer them and `coral query traces|logs|metrics`
// prints them.
//
// Every view gives the same columns, in the same order, on DuckDB and on
// ClickHouse 18.16, and its ORDER BY fully determines the row order, so both
// backends return identical rows. The SQL sticks to what both understand: no
// window functions, no JOINs, no LIKE (its escaping differs), only functions
// both have (argMin, lower, replace, coalesce, CASE). User text is always a
// bound `?` parameter.
//
// Times are BIGINT microseconds since the epoch in columns named *_us;
// durations are DOUBLE milliseconds in columns named duration_ms.
//
// Views:
//   Traces, list (no trace_id): one row per trace that has a span starting in
//     the window, newest first:
//       trace_id, root_service, root_name, start_us, duration_ms, span_count,
//       error_count
//     A trace is described by its spans that started in the window. The root
//     is its span without a parent (the earliest one when it has several), or
//     its earliest span when the root has not reached the colony yet.
//     duration_ms runs from the first span's start to the last span's end.
//     `service` keeps traces with at least one span of that service;
//     `min_duration` keeps traces at least that long.
//   Traces, one trace (trace_id set): every span of it, whatever its age,
//     by start time:
//       span_id, parent_span_id, service_name, name, kind, start_time_us,
//       duration_ms, status_code, status_message
//   Logs, newest first:
//       time_us, service_name, severity_number, severity_text, body,
//       trace_id, span_id, attributes
//     time_us is the record's time, or its observed time when the client sent
//     none. `grep` matches a substring of the body, ignoring the case of ASCII
//     letters (DuckDB folds other letters too, ClickHouse does not);
//     `severity` keeps records at or above a level (OTLP severity numbers:
//     trace 1, debug 5, info 9, warn 13, error 17, fatal 21; 0, unspecified,
//     is below them all).
//   Metrics, newest first:
//       time_us, service_name, metric_name, type, value, count, sum, unit,
//       attributes
//     `name` is exact, or a prefix when it ends in '*' (OTel metric names
//     never hold '*').
//
// Limits: limit is 1..kMaxLimit (0: kDefaultLimit); since is up to kMaxSince
// (0: kDefaultSince). Bad filters are InvalidArgument, saying which.
//
// Thread-safety: plain functions; the Store is thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"
#include "storage/store.h"

namespace coral::analysis {

inline constexpr int kDefaultLimit = 100;
inline constexpr int kMaxLimit = 10'000;
inline constexpr std::chrono::milliseconds kDefaultSince = std::chrono::hours(1);
inline constexpr std::chrono::milliseconds kMaxSince = std::chrono::hours(24 * 30);

struct TraceFilter {
  std::string service;
  std::chrono::milliseconds min_duration{0};
  std::string trace_id;  // 32 hex digits; when set, service and min_duration must be empty
  std::chrono::milliseconds since{0};
  int limit = 0;
};

struct LogFilter {
  std::string service;
  std::string grep;
  std::string severity;  // trace | debug | info | warn | error | fatal, or empty for all
  std::chrono::milliseconds since{0};
  int limit = 0;
};

struct MetricFilter {
  std::string name;  // exact, or a prefix ending in '*'
  std::string service;
  std::chrono::milliseconds since{0};
  int limit = 0;
};

// The lowest OTLP severity_number of a level name (case-insensitive; "warning"
// reads as warn), 0 for an empty name; InvalidArgument naming the levels
// otherwise.
Result<int> SeverityFloor(std::string_view name);

// The views; `now` is where the `since` window ends. RowSet::truncated says
// that more rows matched than the limit.
Result<storage::RowSet> QueryTraces(storage::Store& store, const TraceFilter& filter, WallTime now);
Result<storage::RowSet> QueryLogs(storage::Store& store, const LogFilter& filter, WallTime now);
Result<storage::RowSet> QueryMetrics(storage::Store& store, const MetricFilter& filter,
                                     WallTime now);

}  // namespace coral::analysis

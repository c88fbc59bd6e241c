#include "analysis/raw_views.h"

#include <array>
#include <utility>

namespace coral::analysis {

namespace {

using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kQueryTimeout = 30s;

// A span's rank when picking a trace's root with argMin: spans without a
// parent first, then by start. 1e17 µs is ~3000 years, far above any start.
constexpr std::string_view kRootRank =
    "(CASE WHEN parent_span_id IS NULL OR parent_span_id = '' THEN 0 ELSE 1 END)"
    " * 100000000000000000 + start_time_us";

// A log record's time: its own, else when it was observed, else when the
// agent stored it. Qualified so that ClickHouse does not read the output
// alias `time_us` back into the expression.
constexpr std::string_view kLogTime =
    "coalesce(log_records.time_us, log_records.observed_time_us, log_records.ts_us)";

// WHERE or HAVING terms with their bound parameters, in order.
struct Conditions {
  std::string sql;
  storage::Params params;

  void Add(std::string_view term, storage::Params term_params = {}) {
    sql += sql.empty() ? "" : " AND ";
    sql += term;
    for (auto& p : term_params) params.push_back(std::move(p));
  }
};

Status CheckWindow(std::chrono::milliseconds since, int limit) {
  if (limit < 0 || limit > kMaxLimit) {
    return InvalidArgument("limit " + std::to_string(limit) + " is out of range; use 1.." +
                           std::to_string(kMaxLimit) + " (0 for the default, " +
                           std::to_string(kDefaultLimit) + ")");
  }
  if (since < 0ms || since > kMaxSince) {
    return InvalidArgument("since must be at most 30 days back (0 for the default, 1h)");
  }
  return Status::Ok();
}

int64_t WindowStart(std::chrono::milliseconds since, WallTime now) {
  auto window = since == 0ms ? kDefaultSince : since;
  return ToUnixMicros(now) - std::chrono::duration_cast<std::chrono::microseconds>(window).count();
}

// Runs `sql` + " LIMIT n+1" so that truncated says whether more rows matched.
Result<storage::RowSet> Run(storage::Store& store, std::string sql, const storage::Params& params,
                            int limit) {
  sql += " LIMIT " + std::to_string(limit + 1);
  return store.Query(sql, params,
                     {.max_rows = static_cast<size_t>(limit), .timeout = kQueryTimeout});
}

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

bool IsHex(std::string_view s) {
  for (char c : s) {
    c = AsciiLower(c);
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// The smallest string above every string that starts with `prefix`, or empty
// when there is none (the prefix is all 0xff bytes). Both backends compare
// strings byte by byte, so [prefix, successor) is exactly the prefix match.
std::string PrefixSuccessor(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

Result<storage::RowSet> OneTrace(storage::Store& store, const TraceFilter& f) {
  if (f.trace_id.size() != 32 || !IsHex(f.trace_id)) {
    return InvalidArgument("trace id '" + f.trace_id + "' is not 32 hex digits");
  }
  if (!f.service.empty() || f.min_duration != 0ms) {
    return InvalidArgument(
        "a trace id selects one whole trace; leave out the service and minimum duration");
  }
  return Run(store,
             "SELECT span_id, parent_span_id, service_name, name, kind, start_time_us, "
             "duration_ns / 1000000.0 AS duration_ms, status_code, status_message "
             "FROM spans WHERE trace_id = ? "
             "ORDER BY start_time_us, span_id, agent_id, seq",
             {AsciiLower(f.trace_id)}, f.limit == 0 ? kMaxLimit : f.limit);
}

}  // namespace

Result<int> SeverityFloor(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, int>, 7> kLevels = {{
      {"trace", 1},
      {"debug", 5},
      {"info", 9},
      {"warn", 13},
      {"warning", 13},
      {"error", 17},
      {"fatal", 21},
  }};
  if (name.empty()) return 0;
  std::string lower = AsciiLower(name);
  for (const auto& [level, number] : kLevels) {
    if (lower == level) return number;
  }
  return InvalidArgument("severity '" + std::string(name) +
                         "' is not a level; use trace, debug, info, warn, error or fatal");
}

Result<storage::RowSet> QueryTraces(storage::Store& store, const TraceFilter& f, WallTime now) {
  CORAL_TRY(CheckWindow(f.since, f.limit));
  if (f.min_duration < 0ms || f.min_duration > kMaxSince) {
    return InvalidArgument("the minimum duration must be 0..30 days");
  }
  if (!f.trace_id.empty()) return OneTrace(store, f);

  Conditions where;
  where.Add("start_time_us >= ?", {WindowStart(f.since, now)});
  Conditions having;
  having.Add("max(end_time_us) - min(start_time_us) >= ?",
             {static_cast<int64_t>(
                 std::chrono::duration_cast<std::chrono::microseconds>(f.min_duration).count())});
  if (!f.service.empty()) {
    having.Add("sum(CASE WHEN service_name = ? THEN 1 ELSE 0 END) > 0", {f.service});
  }
  std::string sql = "SELECT trace_id, argMin(service_name, " + std::string(kRootRank) +
                    ") AS root_service, argMin(name, " + std::string(kRootRank) +
                    ") AS root_name, min(start_time_us) AS start_us, "
                    "(max(end_time_us) - min(start_time_us)) / 1000.0 AS duration_ms, "
                    "CAST(count(*) AS BIGINT) AS span_count, "
                    "CAST(sum(CASE WHEN status_code = 'error' THEN 1 ELSE 0 END) AS BIGINT) "
                    "AS error_count FROM spans WHERE " +
                    where.sql + " GROUP BY trace_id HAVING " + having.sql +
                    " ORDER BY start_us DESC, trace_id";
  storage::Params params = std::move(where.params);
  for (auto& p : having.params) params.push_back(std::move(p));
  return Run(store, std::move(sql), params, f.limit == 0 ? kDefaultLimit : f.limit);
}

Result<storage::RowSet> QueryLogs(storage::Store& store, const LogFilter& f, WallTime now) {
  CORAL_TRY(CheckWindow(f.since, f.limit));
  int severity = CORAL_TRY(SeverityFloor(f.severity));
  Conditions where;
  where.Add(std::string(kLogTime) + " >= ?", {WindowStart(f.since, now)});
  if (!f.service.empty()) where.Add("service_name = ?", {f.service});
  if (severity > 0) where.Add("severity_number >= ?", {int64_t{severity}});
  // Whether removing the text changes the body: a substring test that needs
  // no LIKE pattern, so % and _ in the text are plain characters.
  if (!f.grep.empty()) where.Add("replace(lower(body), lower(?), '') <> lower(body)", {f.grep});
  return Run(store,
             "SELECT " + std::string(kLogTime) +
                 " AS time_us, service_name, severity_number, severity_text, body, trace_id, "
                 "span_id, attributes FROM log_records WHERE " +
                 where.sql + " ORDER BY " + std::string(kLogTime) + " DESC, agent_id, seq DESC",
             where.params, f.limit == 0 ? kDefaultLimit : f.limit);
}

Result<storage::RowSet> QueryMetrics(storage::Store& store, const MetricFilter& f, WallTime now) {
  CORAL_TRY(CheckWindow(f.since, f.limit));
  Conditions where;
  where.Add("time_us >= ?", {WindowStart(f.since, now)});
  if (!f.service.empty()) where.Add("service_name = ?", {f.service});
  if (f.name.ends_with('*')) {
    std::string prefix = f.name.substr(0, f.name.size() - 1);
    if (prefix.find('*') != std::string::npos) {
      return InvalidArgument("metric name '" + f.name + "' may hold '*' only at its end");
    }
    if (!prefix.empty()) {
      std::string successor = PrefixSuccessor(prefix);
      where.Add("metric_name >= ?", {prefix});
      if (!successor.empty()) where.Add("metric_name < ?", {successor});
    }
  } else if (!f.name.empty()) {
    if (f.name.find('*') != std::string::npos) {
      return InvalidArgument("metric name '" + f.name + "' may hold '*' only at its end");
    }
    where.Add("metric_name = ?", {f.name});
  }
  return Run(store,
             "SELECT time_us, service_name, metric_name, type, value, count, sum, unit, "
             "attributes FROM metric_points WHERE " +
                 where.sql + " ORDER BY time_us DESC, agent_id, seq DESC",
             where.params, f.limit == 0 ? kDefaultLimit : f.limit);
}

}  // namespace coral::analysis

// coral query sql "SELECT ..." | traces | logs | metrics; summary, topology
// and hosts are in summary_command.cc. Every view prints rows the same way
// (query_output.h).
#include <cstdio>
#include <map>
#include <set>

#include "analysis/answers.h"
#include "analysis/raw_views.h"
#include "analysis/sql.h"
#include "base/clock.h"
#include "base/duration.h"
#include "cli/colony_client.h"
#include "cli/context.h"
#include "cli/query_output.h"
#include "cli/summary_command.h"

namespace coral::cli {

namespace {

struct SqlFlags {
  std::string sql;
  int max_rows = 1000;
  std::string timeout = "30s";
};

struct TraceFlags {
  std::string service;
  std::string min_duration = "0s";
  std::string trace_id;
  std::string since = "1h";
  int limit = 0;
};

struct LogFlags {
  std::string service;
  std::string grep;
  std::string severity;
  std::string since = "1h";
  int limit = 0;
};

struct MetricFlags {
  std::string name;
  std::string service;
  std::string since = "1h";
  int limit = 0;
};

// A double as a table shows it: at most three decimals, no trailing zeros.
std::string TableDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.3f", v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

// One cell as a table shows it: *_us integers (the colony's times) read as
// RFC 3339 and doubles are rounded.
Json TableCell(const coral::v1::Value& v, bool time_column) {
  switch (v.kind_case()) {
    case coral::v1::Value::kBoolValue:
      return v.bool_value();
    case coral::v1::Value::kIntValue:
      if (time_column) return FormatRfc3339(FromUnixMicros(v.int_value()));
      return v.int_value();
    case coral::v1::Value::kDoubleValue:
      return TableDouble(v.double_value());
    case coral::v1::Value::kStringValue:
      return v.string_value();
    case coral::v1::Value::kTimestampMicros:
      return FormatRfc3339(FromUnixMicros(v.timestamp_micros()));
    default:
      return nullptr;
  }
}

// A duration flag in milliseconds, at most 30 days.
Result<int64_t> DurationFlag(std::string_view flag, const std::string& text) {
  auto d = ParseDuration(text);
  if (!d.ok()) {
    return InvalidArgument(std::string(flag) + " '" + text +
                           "' is not a duration; write it like 250ms, 90s, 15m, 1h or 7d");
  }
  if (*d > analysis::kMaxSince) return InvalidArgument(std::string(flag) + " must be at most 30d");
  return d->count();
}

Status CheckLimit(int limit) {
  if (limit < 0 || limit > analysis::kMaxLimit) {
    return InvalidArgument("--limit must be 1.." + std::to_string(analysis::kMaxLimit));
  }
  return Status::Ok();
}

void NoteTruncated(Context& ctx, bool truncated, std::string_view what) {
  if (truncated)
    ctx.err << "note: more " << what << " matched; raise --limit or narrow the filters\n";
}

Status RunSql(Context& ctx, const SqlFlags& f) {
  auto timeout = ParseDuration(f.timeout);
  if (!timeout.ok()) return InvalidArgument("--timeout '" + f.timeout + "' is not a duration");
  if (f.max_rows < 1 || f.max_rows > analysis::kMaxSqlRows) {
    return InvalidArgument("--max-rows must be 1.." + std::to_string(analysis::kMaxSqlRows));
  }
  auto client = CORAL_TRY(ColonyClient::OpenRunning(ctx.home, ctx.flags.colony));
  coral::v1::QuerySqlRequest req;
  req.set_sql(f.sql);
  req.set_max_rows(f.max_rows);
  req.set_timeout_ms(std::chrono::duration_cast<std::chrono::milliseconds>(*timeout).count());
  auto resp = CORAL_TRY(client.QuerySql(req));
  PrintQueryRows(ctx, resp.columns(), resp.rows(), "(no rows)", {}, resp.truncated());
  if (resp.truncated()) {
    ctx.err << "note: stopped at " << f.max_rows << " rows; raise --max-rows or narrow the query\n";
  }
  return Status::Ok();
}

// "0.42ms", "12.5ms", "1.25s".
std::string Millis(double ms) {
  char buf[32];
  if (ms >= 1000) {
    std::snprintf(buf, sizeof buf, "%.2fs", ms / 1000);
  } else if (ms >= 10) {
    std::snprintf(buf, sizeof buf, "%.1fms", ms);
  } else {
    std::snprintf(buf, sizeof buf, "%.2fms", ms);
  }
  return buf;
}

// One trace as a tree in a table: each span under its parent, children by
// start time; spans whose parent is missing start their own tree.
void PrintTraceTree(Context& ctx, const coral::v1::QueryTracesResponse& resp) {
  std::map<std::string, int> index;
  for (int i = 0; i < resp.columns_size(); ++i) index[resp.columns(i).name()] = i;
  auto text = [&](const coral::v1::Row& r, const char* column) {
    auto it = index.find(column);
    return it == index.end() || it->second >= r.values_size() ? std::string()
                                                              : r.values(it->second).string_value();
  };
  auto number = [&](const coral::v1::Row& r, const char* column) {
    auto it = index.find(column);
    if (it == index.end() || it->second >= r.values_size()) return 0.0;
    const auto& v = r.values(it->second);
    return v.has_double_value() ? v.double_value() : static_cast<double>(v.int_value());
  };

  // Rows come by start time, so children lists are in start order too.
  const auto& rows = resp.rows();
  std::set<std::string> ids;
  for (const auto& r : rows) ids.insert(text(r, "span_id"));
  std::map<std::string, std::vector<int>> children;
  std::vector<int> roots;
  double trace_start = rows.empty() ? 0 : number(rows[0], "start_time_us");
  for (int i = 0; i < rows.size(); ++i) {
    std::string parent = text(rows[i], "parent_span_id");
    if (parent.empty() || !ids.contains(parent)) {
      roots.push_back(i);
    } else {
      children[parent].push_back(i);
    }
  }

  Json records = Json::array();
  std::vector<bool> shown(rows.size(), false);
  auto visit = [&](auto& self, int i, int depth) -> void {
    if (shown[i]) return;  // ids that repeat or loop: each span once
    shown[i] = true;
    const auto& r = rows[i];
    std::string status = text(r, "status_code");
    if (std::string message = text(r, "status_message"); !message.empty()) {
      status += ": " + message;
    }
    records.push_back(Json{
        {"service", std::string(2 * depth, ' ') + text(r, "service_name")},
        {"name", text(r, "name")},
        {"duration", Millis(number(r, "duration_ms"))},
        {"offset", "+" + Millis((number(r, "start_time_us") - trace_start) / 1000)},
        {"status", status},
    });
    for (int child : children[text(r, "span_id")]) self(self, child, depth + 1);
  };
  for (int i : roots) visit(visit, i, 0);
  // A parent loop leaves spans that no root reaches: show them at the top.
  for (int i = 0; i < rows.size(); ++i) visit(visit, i, 0);
  ctx.out.List({"service", "name", "duration", "offset", "status"}, records,
               "(no spans with that trace id in the colony)");
}

Status RunTraces(Context& ctx, const TraceFlags& f) {
  coral::v1::QueryTracesRequest req;
  req.set_service(f.service);
  req.set_min_duration_ms(CORAL_TRY(DurationFlag("--min-duration", f.min_duration)));
  req.set_trace_id(f.trace_id);
  req.set_since_ms(CORAL_TRY(DurationFlag("--since", f.since)));
  CORAL_TRY(CheckLimit(f.limit));
  req.set_limit(f.limit);
  if (!f.trace_id.empty() && (!f.service.empty() || req.min_duration_ms() != 0)) {
    return InvalidArgument(
        "--trace-id shows one whole trace; leave out --service and "
        "--min-duration");
  }
  auto client = CORAL_TRY(ColonyClient::OpenRunning(ctx.home, ctx.flags.colony));
  auto resp = CORAL_TRY(client.QueryTraces(req));
  if (f.trace_id.empty()) {
    PrintQueryRows(ctx, resp.columns(), resp.rows(), "(no traces in that window)");
    NoteTruncated(ctx, resp.truncated(), "traces");
  } else {
    if (ctx.out.format() == Format::kTable) {
      PrintTraceTree(ctx, resp);
    } else {
      PrintQueryRows(ctx, resp.columns(), resp.rows(),
                     "(no spans with that trace id in the colony)");
    }
    if (resp.truncated()) {
      ctx.err << "note: the trace has more than " << resp.rows_size()
              << " spans; raise --limit to see them all\n";
    }
  }
  return Status::Ok();
}

Status RunLogs(Context& ctx, const LogFlags& f) {
  coral::v1::QueryLogsRequest req;
  req.set_service(f.service);
  req.set_grep(f.grep);
  if (auto level = analysis::SeverityFloor(f.severity); !level.ok()) {
    return InvalidArgument("--" + std::string(level.status().message()));
  }
  req.set_severity(f.severity);
  req.set_since_ms(CORAL_TRY(DurationFlag("--since", f.since)));
  CORAL_TRY(CheckLimit(f.limit));
  req.set_limit(f.limit);
  auto client = CORAL_TRY(ColonyClient::OpenRunning(ctx.home, ctx.flags.colony));
  auto resp = CORAL_TRY(client.QueryLogs(req));
  PrintQueryRows(ctx, resp.columns(), resp.rows(), "(no log records in that window)",
                 {"time_us", "service_name", "severity_text", "body", "trace_id"});
  NoteTruncated(ctx, resp.truncated(), "log records");
  return Status::Ok();
}

Status RunMetrics(Context& ctx, const MetricFlags& f) {
  coral::v1::QueryMetricsRequest req;
  req.set_name(f.name);
  req.set_service(f.service);
  req.set_since_ms(CORAL_TRY(DurationFlag("--since", f.since)));
  CORAL_TRY(CheckLimit(f.limit));
  req.set_limit(f.limit);
  auto client = CORAL_TRY(ColonyClient::OpenRunning(ctx.home, ctx.flags.colony));
  auto resp = CORAL_TRY(client.QueryMetrics(req));
  PrintQueryRows(ctx, resp.columns(), resp.rows(), "(no metric points in that window)");
  NoteTruncated(ctx, resp.truncated(), "metric points");
  return Status::Ok();
}

constexpr const char* kLimitHelp = "At most this many rows, 1..10000 (default 100)";
constexpr const char* kSinceHelp = "How far back to look, at most 30d";

void AddTraces(CLI::App& query, Commands& commands) {
  auto flags = std::make_shared<TraceFlags>();
  CLI::App* cmd = query.add_subcommand(
      "traces", "Traces by service, duration or id, with a tree for one trace");
  cmd->add_option("--service", flags->service, "Only traces with a span of this service");
  cmd->add_option("--min-duration", flags->min_duration,
                  "Only traces at least this long (250ms, 2s)");
  cmd->add_option("--trace-id", flags->trace_id,
                  "Every span of one trace (32 hex digits), whatever its age");
  cmd->add_option("--since", flags->since, kSinceHelp)->capture_default_str();
  cmd->add_option("--limit", flags->limit,
                  "At most this many rows, 1..10000 (default 100; with --trace-id, 10000)");
  cmd->footer(
      "Without --trace-id: one row per trace with a span that started in the window, newest\n"
      "first: its root span's service and name (the earliest span while the root has not\n"
      "arrived), start, duration from first start to last end, spans and errors.\n"
      "With --trace-id: the trace's spans; a table shows them as a tree (children under their\n"
      "parent by start time, with duration, offset from the trace's start and status);\n"
      "-o json|yaml|csv give the rows.\n"
      "Examples:\n"
      "  coral query traces --service frontend --min-duration 200ms --since 15m\n"
      "  coral query traces --trace-id 4bf92f3577b34da6a3ce929d0e0e4736");
  commands.Bind(cmd, [flags](Context& ctx) { return RunTraces(ctx, *flags); });
}

void AddLogs(CLI::App& query, Commands& commands) {
  auto flags = std::make_shared<LogFlags>();
  CLI::App* cmd = query.add_subcommand("logs", "Log records by service, text or severity");
  cmd->add_option("--service", flags->service, "Only records of this service");
  cmd->add_option("--grep", flags->grep,
                  "Only records whose body holds this text (plain text, ASCII case ignored)");
  cmd->add_option("--severity", flags->severity,
                  "Only records at or above: trace, debug, info, warn, error or fatal");
  cmd->add_option("--since", flags->since, kSinceHelp)->capture_default_str();
  cmd->add_option("--limit", flags->limit, kLimitHelp);
  cmd->footer(
      "Newest first. A table shows time, service, severity, body and trace id; -o json|yaml|csv\n"
      "add severity_number, span_id and attributes. Records without a time of their own sort\n"
      "by when they were observed.\n"
      "Example: coral query logs --service backend --severity warn --grep \"timed out\" --since "
      "30m");
  commands.Bind(cmd, [flags](Context& ctx) { return RunLogs(ctx, *flags); });
}

void AddMetrics(CLI::App& query, Commands& commands) {
  auto flags = std::make_shared<MetricFlags>();
  CLI::App* cmd = query.add_subcommand("metrics", "Metric points by name and service");
  cmd->add_option("--name", flags->name,
                  "Metric name, exact, or a prefix ending in '*' (quote it: 'http.server.*')");
  cmd->add_option("--service", flags->service, "Only points of this service");
  cmd->add_option("--since", flags->since, kSinceHelp)->capture_default_str();
  cmd->add_option("--limit", flags->limit, kLimitHelp);
  cmd->footer(
      "Newest first: time, service, metric, type, then value (gauges and sums) or count and\n"
      "sum (histograms and summaries), unit and the point's attributes as JSON.\n"
      "Example: coral query metrics --name 'http.server.*' --service frontend --since 10m");
  commands.Bind(cmd, [flags](Context& ctx) { return RunMetrics(ctx, *flags); });
}

}  // namespace

void PrintQueryRows(Context& ctx, const ProtoColumns& proto_columns, const ProtoRows& proto_rows,
                    std::string_view empty_note, const std::vector<std::string>& table_columns,
                    bool truncated) {
  // json, yaml and csv print the rows as every other door gives them.
  Json answer = analysis::RowsJson(analysis::RowSetFromProto(proto_columns, proto_rows, truncated));
  std::vector<std::string> columns = answer["columns"].get<std::vector<std::string>>();
  if (ctx.out.format() != Format::kTable) {
    ctx.out.List(columns, answer["rows"], empty_note);
    return;
  }
  // Tables read times (*_us) as RFC 3339 and round doubles.
  Json rows = Json::array();
  for (const auto& r : proto_rows) {
    Json row = Json::object();
    for (int i = 0; i < r.values_size() && i < static_cast<int>(columns.size()); ++i) {
      const std::string& name = proto_columns[i].name();
      row[columns[i]] = TableCell(r.values(i), name.size() > 3 && name.ends_with("_us"));
    }
    rows.push_back(std::move(row));
  }
  ctx.out.List(table_columns.empty() ? columns : table_columns, rows, empty_note);
}

void AddQueryCommands(CLI::App& app, Commands& commands) {
  CLI::App* query = app.add_subcommand("query", "Query what the colony gathered from its agents");
  query->require_subcommand(1);
  auto flags = std::make_shared<SqlFlags>();
  CLI::App* sql = query->add_subcommand("sql", "Run one read-only SELECT over the colony's tables");
  sql->add_option("sql", flags->sql, "The SELECT, quoted")->required();
  sql->add_option("--max-rows", flags->max_rows, "Stop after this many rows (1..100000)")
      ->capture_default_str();
  sql->add_option("--timeout", flags->timeout, "Stop a query running longer (at most 5m)")
      ->capture_default_str();
  sql->footer(
      "Tables (one per agent table, every row tagged with agent_id): processes, services,\n"
      "connections, host_metrics, health_events, spans, metric_points, log_records. Times are\n"
      "microseconds since the epoch in columns named *_us (shown as RFC 3339 in tables).\n"
      "Anything but a single SELECT is refused, and the query cannot read files.\n"
      "Example: coral query sql \"SELECT service_name, count(*) FROM spans GROUP BY 1\"");
  commands.Bind(sql, [flags](Context& ctx) { return RunSql(ctx, *flags); });
  AddTraces(*query, commands);
  AddLogs(*query, commands);
  AddMetrics(*query, commands);
  AddSummaryQueryCommands(*query, commands);
}

}  // namespace coral::cli

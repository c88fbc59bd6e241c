#include "analysis/tools.h"

#include <algorithm>
#include <sstream>

#include "analysis/answers.h"
#include "analysis/raw_views.h"
#include "analysis/service_summary.h"
#include "analysis/sql.h"
#include "analysis/telemetry_schema.h"
#include "base/duration.h"

namespace coral::analysis {

namespace {

using auth::Role;

// --- Arguments: read as the schema says, refused when they are not. ---------

Result<std::string> Str(const Json& args, const char* key) {
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) return std::string();
  if (!it->is_string()) return InvalidArgument(std::string(key) + " must be a string");
  return it->get<std::string>();
}

Result<int> Limit(const Json& args, int fallback) {
  auto it = args.find("limit");
  if (it == args.end() || it->is_null()) return fallback;
  if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > kMaxToolRows) {
    return InvalidArgument("limit must be a whole number from 1 to " +
                           std::to_string(kMaxToolRows));
  }
  return it->get<int>();
}

Result<std::chrono::milliseconds> Since(const Json& args) {
  std::string text = CORAL_TRY(Str(args, "since"));
  if (text.empty()) return std::chrono::milliseconds(std::chrono::hours(1));
  auto d = ParseDuration(text);
  if (!d.ok() || d->count() <= 0 || *d > kMaxSince) {
    return InvalidArgument("since '" + text.substr(0, 40) +
                           "' must be a duration up to 30d, like 15m, 1h or 7d");
  }
  return *d;
}

Result<double> NonNegative(const Json& args, const char* key, double fallback) {
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) return fallback;
  if (!it->is_number() || it->get<double>() < 0) {
    return InvalidArgument(std::string(key) + " must be a number, 0 or more");
  }
  return it->get<double>();
}

// --- Schemas -----------------------------------------------------------------

Json StringProp(const char* description) {
  return {{"type", "string"}, {"description", description}};
}
Json SinceProp() { return StringProp("The window: the last 15m, 1h (default), 7d, ... up to 30d"); }
Json LimitProp(int fallback) {
  return {{"type", "integer"},
          {"minimum", 1},
          {"maximum", kMaxToolRows},
          {"description", "At most this many rows (default " + std::to_string(fallback) + ")"}};
}
Json Schema(Json properties, std::vector<std::string> required = {}) {
  Json s = {
      {"type", "object"}, {"properties", std::move(properties)}, {"additionalProperties", false}};
  if (!required.empty()) s["required"] = required;
  return s;
}

// --- Text for a model ----------------------------------------------------------

// A compact tab-separated table, cut at kMaxToolText, saying so when cut.
std::string RowsText(const std::string& title, const storage::RowSet& rows, size_t limit,
                     const std::string& empty) {
  size_t n = std::min(rows.rows.size(), limit);
  std::string text = title + "\n";
  for (size_t i = 0; i < rows.columns.size(); ++i) text += (i ? "\t" : "") + rows.columns[i].name;
  text += "\n";
  size_t shown = 0;
  for (size_t r = 0; r < n; ++r) {
    std::string line;
    for (size_t i = 0; i < rows.columns.size() && i < rows.rows[r].size(); ++i) {
      line += (i ? "\t" : "") + storage::ValueToText(rows.rows[r][i]);
    }
    if (text.size() + line.size() >= kMaxToolText) break;
    text += line + "\n";
    ++shown;
  }
  if (n == 0) text += empty + "\n";
  if (rows.truncated || rows.rows.size() > limit || shown < n) {
    text += "(truncated: showing " + std::to_string(shown) + " rows; narrow the filters or " +
            "raise limit, at most " + std::to_string(kMaxToolRows) + ")\n";
  }
  return text;
}

Answer RowsAnswer(const std::string& title, const storage::RowSet& rows, size_t limit,
                  const std::string& empty) {
  return {.text = RowsText(title, rows, limit, empty), .data = RowsJson(rows, limit)};
}

std::string SummaryText(const coral::v1::GetSummaryResponse& s) {
  std::ostringstream out;
  out << "Window " << FormatRfc3339(FromUnixMicros(s.from_unix_micros())) << " to "
      << FormatRfc3339(FromUnixMicros(s.to_unix_micros())) << "\n";
  for (const auto& svc : s.services()) {
    out << "- " << svc.service() << ": " << svc.status() << ", " << svc.requests() << " requests, "
        << svc.errors() << " errors";
    if (svc.has_p95_ms()) out << ", p50 " << svc.p50_ms() << " ms, p95 " << svc.p95_ms() << " ms";
    if (!svc.health().empty()) out << ", health check " << svc.health();
    out << "\n";
  }
  if (s.services_size() == 0) out << "No services with requests or health checks.\n";
  out << (s.findings_size() == 0 ? "No findings.\n" : "Findings:\n");
  for (const auto& f : s.findings()) {
    out << "[" << f.severity() << "] " << f.title() << "\n";
    for (const auto& e : f.evidence()) out << "    " << e << "\n";
  }
  std::string text = out.str();
  if (text.size() > kMaxToolText) text = text.substr(0, kMaxToolText) + "\n(truncated)\n";
  return text;
}

// --- The tools, one function each ------------------------------------------------

Result<Answer> StatusTool(ColonyView& c, const Json&) {
  auto status = c.Status();
  auto agents = c.Agents();
  auto summary = CORAL_TRY(
      Summarize(c.telemetry(), {.since = std::chrono::minutes(15), .host_names = c.HostNames()},
                c.clock().Now()));
  std::string text = "Colony " + status.colony_id() + ": " +
                     std::to_string(status.agents_healthy()) + " healthy, " +
                     std::to_string(status.agents_degraded()) + " degraded, " +
                     std::to_string(status.agents_unhealthy()) + " unhealthy agents\n";
  if (!status.app().empty()) {
    text += "Application " + status.app() + ", environment " + status.env() + "\n";
  }
  for (const auto& a : agents) {
    text += "- agent " + a.agent_id() + " (" + a.hostname() + "): " + a.state() + "\n";
  }
  text += "Services over the last 15 minutes:\n" + SummaryText(summary);
  return Answer{.text = std::move(text), .data = StatusJson(status, agents, summary)};
}

Result<Answer> ListServicesTool(ColonyView& c, const Json& args) {
  SummaryRequest req{.service = CORAL_TRY(Str(args, "service")), .host_names = c.HostNames()};
  req.since = CORAL_TRY(Since(args));
  int limit = CORAL_TRY(Limit(args, 100));
  auto rows = CORAL_TRY(Services(c.telemetry(), req, c.clock().Now()));
  return RowsAnswer("Services:", rows, limit,
                    "No services in this window; are agents enrolled and healthy, and do services "
                    "send spans?");
}

Result<Answer> ServiceSummaryTool(ColonyView& c, const Json& args) {
  SummaryRequest req{.service = CORAL_TRY(Str(args, "service")), .host_names = c.HostNames()};
  req.since = CORAL_TRY(Since(args));
  req.slow_ms = CORAL_TRY(NonNegative(args, "slow_ms", 500));
  if (req.slow_ms == 0) req.slow_ms = 500;
  auto summary = CORAL_TRY(Summarize(c.telemetry(), req, c.clock().Now()));
  return Answer{.text = SummaryText(summary), .data = SummaryJson(summary)};
}

Result<Answer> QueryTracesTool(ColonyView& c, const Json& args) {
  int limit = CORAL_TRY(Limit(args, 20));
  TraceFilter f{.service = CORAL_TRY(Str(args, "service")), .limit = limit};
  f.since = CORAL_TRY(Since(args));
  f.min_duration = std::chrono::milliseconds(
      static_cast<int64_t>(CORAL_TRY(NonNegative(args, "min_duration_ms", 0))));
  auto rows = CORAL_TRY(QueryTraces(c.telemetry(), f, c.clock().Now()));
  return RowsAnswer("Traces:", rows, limit, "No traces match.");
}

Result<Answer> GetTraceTool(ColonyView& c, const Json& args) {
  TraceFilter f{.trace_id = CORAL_TRY(Str(args, "trace_id")), .limit = kMaxToolRows};
  if (f.trace_id.empty()) return InvalidArgument("trace_id is required: 32 hex digits");
  auto rows = CORAL_TRY(QueryTraces(c.telemetry(), f, c.clock().Now()));
  if (rows.rows.empty()) return NotFound("no spans of trace " + f.trace_id + " in the colony");
  return RowsAnswer("Spans of trace " + f.trace_id + ":", rows, kMaxToolRows, "");
}

Result<Answer> QueryMetricsTool(ColonyView& c, const Json& args) {
  int limit = CORAL_TRY(Limit(args, 50));
  MetricFilter f{.name = CORAL_TRY(Str(args, "name")),
                 .service = CORAL_TRY(Str(args, "service")),
                 .limit = limit};
  f.since = CORAL_TRY(Since(args));
  auto rows = CORAL_TRY(QueryMetrics(c.telemetry(), f, c.clock().Now()));
  return RowsAnswer("Metric points:", rows, limit, "No metric points match.");
}

Result<Answer> QueryLogsTool(ColonyView& c, const Json& args) {
  int limit = CORAL_TRY(Limit(args, 50));
  LogFilter f{.service = CORAL_TRY(Str(args, "service")),
              .grep = CORAL_TRY(Str(args, "grep")),
              .severity = CORAL_TRY(Str(args, "severity")),
              .limit = limit};
  f.since = CORAL_TRY(Since(args));
  auto rows = CORAL_TRY(QueryLogs(c.telemetry(), f, c.clock().Now()));
  return RowsAnswer("Log records:", rows, limit, "No log records match.");
}

Result<Answer> TopologyTool(ColonyView& c, const Json& args) {
  auto rows = CORAL_TRY(Topology(c.telemetry(), CORAL_TRY(Since(args)), c.clock().Now()));
  return RowsAnswer("Edges:", rows, kMaxToolRows, "No edges seen in this window.");
}

Result<Answer> HostMetricsTool(ColonyView& c, const Json& args) {
  auto rows =
      CORAL_TRY(Hosts(c.telemetry(), CORAL_TRY(Since(args)), c.clock().Now(), c.HostNames()));
  return RowsAnswer("Hosts:", rows, kMaxToolRows, "No host metrics in this window.");
}

Result<Answer> QuerySqlTool(ColonyView& c, const Json& args) {
  int limit = CORAL_TRY(Limit(args, 100));
  auto rows = CORAL_TRY(
      ReadOnlySql(c.telemetry(), {.sql = CORAL_TRY(Str(args, "sql")), .max_rows = limit}));
  return RowsAnswer("Result (" + std::string(c.telemetry().backend()) + "):", rows,
                    static_cast<size_t>(limit), "(no rows)");
}

Result<Answer> AuditLogTool(ColonyView& c, const Json& args) {
  int limit = CORAL_TRY(Limit(args, 50));
  auth::AuditQuery q{.limit = limit,
                     .since = c.clock().Now() - CORAL_TRY(Since(args)),
                     .who = CORAL_TRY(Str(args, "who")),
                     .action = CORAL_TRY(Str(args, "action"))};
  auto entries = CORAL_TRY(c.Audit(q));
  return RowsAnswer("Audit log, newest first:", AuditRows(entries), static_cast<size_t>(limit),
                    "No audit entries match.");
}

std::vector<Tool> MakeTools() {
  Json none = Schema(Json::object());
  return {
      {.name = "coral_status",
       .title = "Colony status",
       .description =
           "The colony (id, app, env, mesh), each agent (state, host, last heard from, whether "
           "its data is being pulled) and the health of every service over the last 15 minutes "
           "with the findings. Use it first to see what is there and what is unwell.",
       .route = "status",
       .input_schema = none,
       .run = StatusTool},
      {.name = "coral_list_services",
       .title = "List services",
       .description =
           "Every service of the colony, one row each: its status, request rate, error % and p95 "
           "from the summaries, its health check, and the hosts and ports where agents saw it "
           "listen. A service that only sends spans (a worker, a job, a host without an agent) "
           "is listed too, with source 'spans'. Use it to learn service names for other tools.",
       .route = "services",
       .input_schema = Schema({{"service", StringProp("Only this service")},
                               {"since", SinceProp()},
                               {"limit", LimitProp(100)}}),
       .run = ListServicesTool},
      {.name = "coral_service_summary",
       .title = "Service summary and findings",
       .description =
           "Per service over a window: requests, errors, p50/p95/p99 latency, health check, and "
           "findings with their evidence (error spikes, latency regressions against the window "
           "before, slow services and the callee they wait on, failing health checks, saturated "
           "hosts). Start here to find what is wrong.",
       .route = "summary",
       .input_schema = Schema({{"service", StringProp("Only this service")},
                               {"since", SinceProp()},
                               {"slow_ms",
                                {{"type", "number"},
                                 {"minimum", 0},
                                 {"description", "A p95 at or above this is slow (500)"}}}}),
       .run = ServiceSummaryTool},
      {.name = "coral_query_traces",
       .title = "Find traces",
       .description = "Traces with a span in the window, newest first: root service and "
                      "operation, start, duration, span and error counts. Use it to find slow or "
                      "failed requests; coral_get_trace shows one.",
       .route = "traces",
       .input_schema = Schema({{"service", StringProp("Traces with a span of this service")},
                               {"min_duration_ms",
                                {{"type", "integer"},
                                 {"minimum", 0},
                                 {"description", "Only traces at least this long"}}},
                               {"since", SinceProp()},
                               {"limit", LimitProp(20)}}),
       .run = QueryTracesTool},
      {.name = "coral_get_trace",
       .title = "Get one trace",
       .description = "Every span of one trace by start time: service, operation, kind, parent, "
                      "duration and status. Use it to see where one request spent its time.",
       .route = "trace",
       .input_schema = Schema({{"trace_id", StringProp("32 hex digits")}}, {"trace_id"}),
       .run = GetTraceTool},
      {.name = "coral_query_metrics",
       .title = "Metric points",
       .description = "OpenTelemetry metric points, newest first: time, service, metric, type, "
                      "value (or count and sum), unit, attributes; by name (exact, or a prefix "
                      "ending in *) and service.",
       .route = "metrics",
       .input_schema = Schema({{"name", StringProp("Metric name, or prefix ending in *")},
                               {"service", StringProp("Only this service")},
                               {"since", SinceProp()},
                               {"limit", LimitProp(50)}}),
       .run = QueryMetricsTool},
      {.name = "coral_query_logs",
       .title = "Log records",
       .description = "OpenTelemetry log records, newest first: time, service, severity, body, "
                      "trace and span ids, attributes; by service, text in the body and minimum "
                      "severity. Use it to read what a failing service said.",
       .route = "logs",
       .input_schema = Schema({{"service", StringProp("Only this service")},
                               {"grep", StringProp("Text the body contains (ASCII case ignored)")},
                               {"severity",
                                {{"type", "string"},
                                 {"enum", {"trace", "debug", "info", "warn", "error", "fatal"}},
                                 {"description", "Minimum severity"}}},
                               {"since", SinceProp()},
                               {"limit", LimitProp(50)}}),
       .run = QueryLogsTool},
      {.name = "coral_topology",
       .title = "Service topology",
       .description = "Edges between services over a window: source, target, via span (client "
                      "spans to another service's server spans: calls, errors, latency) or via "
                      "tcp (connections). Use it to see who calls whom.",
       .route = "topology",
       .input_schema = Schema({{"since", SinceProp()}}),
       .run = TopologyTool},
      {.name = "coral_host_metrics",
       .title = "Host metrics",
       .description = "Per host over a window: CPU (average and peak), memory, the fullest disk, "
                      "load, disk and network throughput. Use it to rule a saturated host in or "
                      "out.",
       .route = "hosts",
       .input_schema = Schema({{"since", SinceProp()}}),
       .run = HostMetricsTool},
      {.name = "coral_query_sql",
       .title = "Read-only SQL",
       .description = "One SELECT over the colony's tables (resource coral://schema lists them); "
                      "anything else is refused. Times are microseconds in *_us columns. Use it "
                      "when no other tool answers the question.",
       .route = "sql",
       .input_schema =
           Schema({{"sql", StringProp("A single SELECT")}, {"limit", LimitProp(100)}}, {"sql"}),
       .run = QuerySqlTool},
      {.name = "coral_audit_log",
       .title = "Audit log",
       .description = "Who called which tool or API of this colony, when, with what arguments, "
                      "whether it was allowed, how big the answer was and how long it took. "
                      "Newest first. Admins only.",
       .route = "audit",
       .least_role = Role::kAdmin,
       .input_schema = Schema({{"since", SinceProp()},
                               {"who", StringProp("Only callers whose name contains this")},
                               {"action", StringProp("Only actions containing this, e.g. "
                                                     "tool:coral_query_sql")},
                               {"limit", LimitProp(50)}}),
       .run = AuditLogTool},
  };
}

}  // namespace

const std::vector<Tool>& Tools() {
  static const std::vector<Tool> kTools = MakeTools();
  return kTools;
}

const Tool* FindTool(std::string_view name) {
  for (const Tool& t : Tools()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const Tool* FindToolByRoute(std::string_view route) {
  for (const Tool& t : Tools()) {
    if (t.route == route) return &t;
  }
  return nullptr;
}

void AllowTools(auth::Policy& policy) {
  for (const Tool& t : Tools()) {
    policy.Allow("tool:" + t.name, t.least_role);
    policy.Allow("api:" + t.route, t.least_role);
  }
}

std::string SchemaText() {
  std::string text =
      "Colony tables (one per agent table; every row has agent_id, seq, ts_us). Times are "
      "BIGINT microseconds since the epoch in *_us columns; booleans are 0/1.\n";
  for (const auto& t : TelemetryTables()) {
    text += t.name + "(";
    for (size_t i = 0; i < t.columns.size(); ++i) text += (i ? ", " : "") + t.columns[i];
    text += ")\n";
  }
  text +=
      "Summaries per minute (on ClickHouse add FINAL after the table name):\n"
      "service_minutes(minute_us, service_name, requests, errors, sum_ms, max_ms, p50_ms, "
      "p95_ms, p99_ms, gen)\nservice_latency_minutes(minute_us, service_name, bucket, requests, "
      "gen)\noperation_minutes(minute_us, service_name, operation, requests, errors, sum_ms, "
      "max_ms, gen)\nerror_minutes(minute_us, service_name, message, errors, gen)\n"
      "host_minutes(minute_us, agent_id, samples, cpu_percent, cpu_max_percent, "
      "mem_used_percent, mem_used_bytes, load_1m, disk_used_percent, disk_read_bytes_per_s, "
      "disk_write_bytes_per_s, net_rx_bytes_per_s, net_tx_bytes_per_s, gen)\n"
      "topology_minutes(minute_us, source, target, via, calls, errors, sum_ms, max_ms, gen)\n"
      "service_latency_histograms(minute_us, minutes, service_name, buckets, gen): the "
      "latency buckets of a minute (minutes = 1) or of the 10-minute block starting at "
      "minute_us (minutes = 10), as text 'bucket:requests ...'\n";
  return text;
}

}  // namespace coral::analysis

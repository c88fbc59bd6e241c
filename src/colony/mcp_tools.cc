#include "colony/mcp_tools.h"

#include <google/protobuf/util/json_util.h>

#include <sstream>

#include "base/duration.h"
#include "colony/raw_views.h"
#include "colony/service_summary.h"
#include "colony/telemetry_schema.h"

namespace coral::colony {

namespace {

using mcp::Json;
using mcp::ToolResult;
using storage::Value;

Json ValueJson(const Value& v) {
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* t = std::get_if<storage::Timestamp>(&v)) return t->micros;
  return nullptr;
}

// Rows as structuredContent ({columns, rows, truncated}) and as a compact
// tab-separated table for the model, cut at `limit` rows and kMaxToolText.
ToolResult RowsResult(const std::string& title, const storage::RowSet& rows, size_t limit,
                      const std::string& empty) {
  bool truncated = rows.truncated || rows.rows.size() > limit;
  size_t n = std::min(rows.rows.size(), limit);
  Json columns = Json::array(), out_rows = Json::array();
  std::string text = title + "\n";
  for (size_t i = 0; i < rows.columns.size(); ++i) {
    columns.push_back(rows.columns[i].name);
    text += (i ? "\t" : "") + rows.columns[i].name;
  }
  text += "\n";
  size_t shown = 0;
  for (size_t r = 0; r < n; ++r) {
    Json row = Json::object();
    std::string line;
    for (size_t i = 0; i < rows.columns.size() && i < rows.rows[r].size(); ++i) {
      row[rows.columns[i].name] = ValueJson(rows.rows[r][i]);
      line += (i ? "\t" : "") + storage::ValueToText(rows.rows[r][i]);
    }
    out_rows.push_back(std::move(row));
    if (text.size() + line.size() < kMaxToolText) {
      text += line + "\n";
      ++shown;
    }
  }
  if (n == 0) text += empty + "\n";
  if (truncated || shown < n) {
    text += "(truncated: showing " + std::to_string(shown) + " rows; narrow the filters or " +
            "raise limit, at most " + std::to_string(kMaxToolRows) + ")\n";
  }
  ToolResult result;
  result.content = Json::array({{{"type", "text"}, {"text", text}}});
  result.structured_content =
      Json{{"columns", columns}, {"rows", out_rows}, {"truncated", truncated || shown < n}};
  return result;
}

std::string Str(const Json& args, const char* key) {
  auto it = args.find(key);
  return it != args.end() && it->is_string() ? it->get<std::string>() : "";
}
int Limit(const Json& args, int fallback) {
  auto it = args.find("limit");
  int v = it != args.end() && it->is_number_integer() ? it->get<int>() : fallback;
  return std::clamp(v, 1, kMaxToolRows);
}
Result<std::chrono::milliseconds> Since(const Json& args, const char* key = "since") {
  std::string text = Str(args, key);
  if (text.empty()) return std::chrono::milliseconds(std::chrono::hours(1));
  auto d = ParseDuration(text);
  if (!d.ok() || d->count() <= 0 || *d > kMaxSince) {
    return InvalidArgument(std::string(key) + " '" + text +
                           "' must be a duration up to 30d, like 15m, 1h or 7d");
  }
  return *d;
}

Json Props(std::initializer_list<std::pair<const char*, Json>> props) {
  Json p = Json::object();
  for (const auto& [k, v] : props) p[k] = v;
  return p;
}
Json StringProp(const char* description) {
  return {{"type", "string"}, {"description", description}};
}
Json SinceProp() { return StringProp("The window: the last 15m, 1h (default), 7d, ..."); }
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

mcp::ToolAnnotations ReadOnly() {
  return {.read_only_hint = true,
          .destructive_hint = false,
          .idempotent_hint = true,
          .open_world_hint = false};
}

Json ProtoJson(const google::protobuf::Message& m) {
  std::string text;
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  print.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(m, &text, print);
  return Json::parse(text);
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
  return out.str();
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

}  // namespace

void AddColonyTools(mcp::McpServer& server, ColonyToolsContext c) {
  storage::Store& store = *c.telemetry;
  const Clock& clock = *c.clock;

  server.AddTool(
      {.name = "coral_status",
       .title = "Colony status",
       .description = "The colony, its agents (state, host, last heard from) and the health of "
                      "every service over the last 15 minutes, with the number of findings.",
       .input_schema = Schema(Json::object()),
       .annotations = ReadOnly(),
       .handler = [&store, &clock, c](const Json&, mcp::RequestContext&) -> Result<ToolResult> {
         auto status = c.status();
         auto summary = CORAL_TRY(
             Summarize(store, {.since = std::chrono::minutes(15), .host_names = c.host_names()},
                       clock.Now()));
         Json agents = Json::array();
         std::string text = "Colony " + status.colony_id() + ": " +
                            std::to_string(status.agents_healthy()) + " healthy, " +
                            std::to_string(status.agents_degraded()) + " degraded, " +
                            std::to_string(status.agents_unhealthy()) + " unhealthy agents\n";
         for (const auto& a : c.agents()) {
           agents.push_back({{"agent_id", a.agent_id()},
                             {"hostname", a.hostname()},
                             {"state", a.state()},
                             {"mesh_ip", a.mesh_ip()},
                             {"last_seen_us", a.last_seen_unix_micros()}});
           text += "- agent " + a.agent_id() + " (" + a.hostname() + "): " + a.state() + "\n";
         }
         text += SummaryText(summary);
         ToolResult r;
         r.content = Json::array({{{"type", "text"}, {"text", text}}});
         r.structured_content = Json{{"colony_id", status.colony_id()},
                                     {"agents", agents},
                                     {"services", ProtoJson(summary)["services"]},
                                     {"findings", summary.findings_size()}};
         return r;
       }});

  server.AddTool(
      {.name = "coral_list_services",
       .title = "List services",
       .description = "Services the agents found (listening processes, or connected by name), "
                      "per agent, with port, protocol and where the name came from.",
       .input_schema = Schema(
           Props({{"service", StringProp("Only this service name")}, {"limit", LimitProp(100)}})),
       .annotations = ReadOnly(),
       .handler = [&store, &clock](const Json& args, mcp::RequestContext&) -> Result<ToolResult> {
         std::string service = Str(args, "service");
         int64_t since = ToUnixMicros(clock.Now()) - 5 * 60'000'000LL;
         storage::Params params{since};
         if (!service.empty()) params.push_back(service);
         auto rows = CORAL_TRY(store.Query(
             "SELECT name, agent_id, port, protocol, source, max(pid) AS pid, "
             "max(ts_us) AS seen_us FROM services WHERE ts_us >= ?" +
                 std::string(service.empty() ? "" : " AND name = ?") +
                 " GROUP BY name, agent_id, port, protocol, source ORDER BY name, agent_id, port",
             params));
         return RowsResult("Services seen in the last 5 minutes:", rows, Limit(args, 100),
                           "No services seen; are agents enrolled and healthy?");
       }});

  server.AddTool(
      {.name = "coral_service_summary",
       .title = "Service summary and findings",
       .description =
           "Per service over a window: requests, errors, p50/p95/p99 latency, health check, and "
           "findings with their evidence (error spikes, latency regressions against the window "
           "before, slow services and the callee they wait on, failing health checks, saturated "
           "hosts). Start here to find what is wrong.",
       .input_schema = Schema(Props({{"service", StringProp("Only this service")},
                                     {"since", SinceProp()},
                                     {"slow_ms",
                                      {{"type", "number"},
                                       {"minimum", 1},
                                       {"description", "A p95 at or above this is slow (500)"}}}})),
       .annotations = ReadOnly(),
       .handler = [&store, &clock, c](const Json& args,
                                      mcp::RequestContext&) -> Result<ToolResult> {
         SummaryRequest req{.service = Str(args, "service"), .host_names = c.host_names()};
         req.since = CORAL_TRY(Since(args));
         if (auto it = args.find("slow_ms"); it != args.end() && it->is_number()) {
           req.slow_ms = it->get<double>();
         }
         auto summary = CORAL_TRY(Summarize(store, req, clock.Now()));
         ToolResult r;
         r.content = Json::array({{{"type", "text"}, {"text", SummaryText(summary)}}});
         r.structured_content = ProtoJson(summary);
         return r;
       }});

  server.AddTool(
      {.name = "coral_query_traces",
       .title = "Find traces",
       .description = "Traces with a span in the window, newest first: root service and "
                      "operation, duration, span and error counts. Use coral_get_trace for one.",
       .input_schema = Schema(Props({{"service", StringProp("Traces with a span of this service")},
                                     {"min_duration_ms",
                                      {{"type", "integer"},
                                       {"minimum", 0},
                                       {"description", "Only traces at least this long"}}},
                                     {"since", SinceProp()},
                                     {"limit", LimitProp(20)}})),
       .annotations = ReadOnly(),
       .handler = [&store, &clock](const Json& args, mcp::RequestContext&) -> Result<ToolResult> {
         TraceFilter f{.service = Str(args, "service"), .limit = Limit(args, 20) + 1};
         f.since = CORAL_TRY(Since(args));
         if (auto it = args.find("min_duration_ms"); it != args.end() && it->is_number_integer()) {
           f.min_duration = std::chrono::milliseconds(it->get<int64_t>());
         }
         auto rows = CORAL_TRY(QueryTraces(store, f, clock.Now()));
         return RowsResult("Traces:", rows, Limit(args, 20), "No traces match.");
       }});

  server.AddTool(
      {.name = "coral_get_trace",
       .title = "Get one trace",
       .description = "Every span of one trace by start time: service, operation, kind, parent, "
                      "duration and status, to see where its time went.",
       .input_schema = Schema(Props({{"trace_id", StringProp("32 hex digits")}}), {"trace_id"}),
       .annotations = ReadOnly(),
       .handler = [&store, &clock](const Json& args, mcp::RequestContext&) -> Result<ToolResult> {
         TraceFilter f{.trace_id = Str(args, "trace_id"), .limit = kMaxToolRows + 1};
         auto rows = CORAL_TRY(QueryTraces(store, f, clock.Now()));
         if (rows.rows.empty())
           return NotFound("no spans of trace " + f.trace_id + " in the colony");
         return RowsResult("Spans of trace " + f.trace_id + ":", rows, kMaxToolRows, "");
       }});

  server.AddTool(
      {.name = "coral_query_metrics",
       .title = "Metric points",
       .description = "OpenTelemetry metric points, newest first, by name (exact, or a prefix "
                      "ending in *) and service.",
       .input_schema = Schema(Props({{"name", StringProp("Metric name, or prefix ending in *")},
                                     {"service", StringProp("Only this service")},
                                     {"since", SinceProp()},
                                     {"limit", LimitProp(50)}})),
       .annotations = ReadOnly(),
       .handler = [&store, &clock](const Json& args, mcp::RequestContext&) -> Result<ToolResult> {
         MetricFilter f{.name = Str(args, "name"),
                        .service = Str(args, "service"),
                        .limit = Limit(args, 50) + 1};
         f.since = CORAL_TRY(Since(args));
         auto rows = CORAL_TRY(QueryMetrics(store, f, clock.Now()));
         return RowsResult("Metric points:", rows, Limit(args, 50), "No metric points match.");
       }});

  server.AddTool(
      {.name = "coral_query_logs",
       .title = "Log records",
       .description = "OpenTelemetry log records, newest first, by service, text in the body and "
                      "minimum severity (trace, debug, info, warn, error, fatal).",
       .input_schema =
           Schema(Props({{"service", StringProp("Only this service")},
                         {"grep", StringProp("Text the body contains (any case)")},
                         {"severity",
                          {{"type", "string"},
                           {"enum", {"trace", "debug", "info", "warn", "error", "fatal"}},
                           {"description", "Minimum severity"}}},
                         {"since", SinceProp()},
                         {"limit", LimitProp(50)}})),
       .annotations = ReadOnly(),
       .handler = [&store, &clock](const Json& args, mcp::RequestContext&) -> Result<ToolResult> {
         LogFilter f{.service = Str(args, "service"),
                     .grep = Str(args, "grep"),
                     .severity = Str(args, "severity"),
                     .limit = Limit(args, 50) + 1};
         f.since = CORAL_TRY(Since(args));
         auto rows = CORAL_TRY(QueryLogs(store, f, clock.Now()));
         return RowsResult("Log records:", rows, Limit(args, 50), "No log records match.");
       }});

  server.AddTool(
      {.name = "coral_topology",
       .title = "Service topology",
       .description = "Edges between services over a window: via span (client spans to another "
                      "service's server spans: calls, errors, latency) and via tcp (connections).",
       .input_schema = Schema(Props({{"since", SinceProp()}})),
       .annotations = ReadOnly(),
       .handler = [&store, &clock](const Json& args, mcp::RequestContext&) -> Result<ToolResult> {
         auto rows = CORAL_TRY(Topology(store, CORAL_TRY(Since(args)), clock.Now()));
         return RowsResult("Edges:", rows, kMaxToolRows, "No edges seen in this window.");
       }});

  server.AddTool(
      {.name = "coral_host_metrics",
       .title = "Host metrics",
       .description = "Per host over a window: CPU (average and peak), memory, the fullest disk, "
                      "load, disk and network throughput.",
       .input_schema = Schema(Props({{"since", SinceProp()}})),
       .annotations = ReadOnly(),
       .handler = [&store, &clock, c](const Json& args,
                                      mcp::RequestContext&) -> Result<ToolResult> {
         auto rows = CORAL_TRY(Hosts(store, CORAL_TRY(Since(args)), clock.Now(), c.host_names()));
         return RowsResult("Hosts:", rows, kMaxToolRows, "No host metrics in this window.");
       }});

  server.AddTool(
      {.name = "coral_query_sql",
       .title = "Read-only SQL",
       .description = "One SELECT over the colony's tables (see resource coral://schema); "
                      "anything else is refused. Times are microseconds in *_us columns.",
       .input_schema = Schema(
           Props({{"sql", StringProp("A single SELECT")}, {"limit", LimitProp(100)}}), {"sql"}),
       .annotations = ReadOnly(),
       .handler = [&store](const Json& args, mcp::RequestContext&) -> Result<ToolResult> {
         int limit = Limit(args, 100);
         auto rows = CORAL_TRY(store.Query(Str(args, "sql"), {},
                                           {.max_rows = static_cast<size_t>(limit),
                                            .timeout = std::chrono::seconds(30),
                                            .statements = storage::Statements::kSelectOnly}));
         return RowsResult("Result (" + std::string(store.backend()) + "):", rows,
                           static_cast<size_t>(limit), "(no rows)");
       }});

  if (c.audit) {
    server.AddTool(
        {.name = "coral_audit_log",
         .title = "Audit log",
         .description = "Who called which tool or API of this colony, when, with what "
                        "arguments, whether it was allowed, how big the answer was and how long "
                        "it took. Newest first. Admins only.",
         .input_schema = Schema(Props({{"since", SinceProp()},
                                       {"who", StringProp("Only callers whose name contains this")},
                                       {"action", StringProp("Only actions containing this, e.g. "
                                                             "tool:coral_query_sql")},
                                       {"limit", LimitProp(50)}})),
         .annotations = ReadOnly(),
         .handler = [&clock, c](const Json& args, mcp::RequestContext&) -> Result<ToolResult> {
           WallTime since = clock.Now() - CORAL_TRY(Since(args));
           std::string who = Str(args, "who"), action = Str(args, "action");
           int limit = Limit(args, 50);
           // Filters apply after reading; read enough to fill the page.
           auto entries = CORAL_TRY(c.audit(kMaxToolRows * 4, since));
           storage::RowSet rows;
           for (const char* name : {"at", "who", "action", "allowed", "result_bytes", "duration_ms",
                                    "error", "arguments"}) {
             rows.columns.push_back({.name = name});
           }
           for (const AuditEntry& e : entries) {
             if (e.who.find(who) == std::string::npos ||
                 e.action.find(action) == std::string::npos) {
               continue;
             }
             rows.rows.push_back({storage::Timestamp{ToUnixMicros(e.at)}, e.who, e.action,
                                  e.allowed, e.result_bytes, e.duration_ms, e.error, e.arguments});
           }
           return RowsResult("Audit log, newest first:", rows, static_cast<size_t>(limit),
                             "No audit entries match.");
         }});
  }

  server.AddResource({.uri = "coral://schema",
                      .name = "schema",
                      .title = "Colony tables",
                      .description = "Tables and columns coral_query_sql can read",
                      .mime_type = "text/plain",
                      .reader = [](const std::string& uri, mcp::RequestContext&)
                          -> Result<std::vector<mcp::ResourceContents>> {
                        return std::vector<mcp::ResourceContents>{
                            {.uri = uri, .mime_type = "text/plain", .text = SchemaText()}};
                      }});

  server.AddPrompt(
      {.name = "investigate",
       .title = "Investigate a problem",
       .description = "Look into a symptom with Coral's tools, from the summary down to spans",
       .arguments = {{"symptom", "What is wrong, in the user's words", true},
                     {"service", "The service it concerns, if known", false}},
       .getter = [](const std::map<std::string, std::string>& args,
                    mcp::RequestContext&) -> Result<mcp::PromptResult> {
         std::string service = args.contains("service") ? args.at("service") : "";
         std::string text =
             "Investigate: " + args.at("symptom") + "\n" +
             (service.empty() ? "" : "It concerns the service " + service + ".\n") +
             "Start with coral_service_summary (findings carry their evidence), then "
             "coral_topology to see who calls whom, coral_query_traces with min_duration_ms for "
             "slow requests and coral_get_trace to see where one spent its time, "
             "coral_query_logs with severity error, and coral_host_metrics for saturated hosts. "
             "Say which service is at fault and why, citing the figures you saw.";
         return mcp::PromptResult{.description = "Investigate a problem",
                                  .messages = {mcp::PromptMessage::UserText(text)}};
       }});
}

}  // namespace coral::colony

// coral query sql "SELECT ..." (and, planned, the other query views)
#include "base/clock.h"
#include "base/duration.h"
#include "cli/colony_client.h"
#include "cli/context.h"
#include "cli/summary_command.h"

namespace coral::cli {

namespace {

struct SqlFlags {
  std::string sql;
  int max_rows = 1000;
  std::string timeout = "30s";
};

// One cell for output. In tables, *_us integers (the colony's times) read as
// RFC 3339; -o json/yaml/csv keep the number.
Json Cell(const coral::v1::Value& v, bool time_column, Format format) {
  switch (v.kind_case()) {
    case coral::v1::Value::kBoolValue:
      return v.bool_value();
    case coral::v1::Value::kIntValue:
      if (time_column && format == Format::kTable) {
        return FormatRfc3339(FromUnixMicros(v.int_value()));
      }
      return v.int_value();
    case coral::v1::Value::kDoubleValue:
      return v.double_value();
    case coral::v1::Value::kStringValue:
      return v.string_value();
    case coral::v1::Value::kTimestampMicros:
      return FormatRfc3339(FromUnixMicros(v.timestamp_micros()));
    default:
      return nullptr;
  }
}

Status RunSql(Context& ctx, const SqlFlags& f) {
  auto timeout = ParseDuration(f.timeout);
  if (!timeout.ok()) return InvalidArgument("--timeout '" + f.timeout + "' is not a duration");
  if (f.max_rows < 1 || f.max_rows > 100'000) {
    return InvalidArgument("--max-rows must be 1..100000");
  }
  auto client = CORAL_TRY(ColonyClient::OpenRunning(ctx.home, ctx.flags.colony));
  coral::v1::QuerySqlRequest req;
  req.set_sql(f.sql);
  req.set_max_rows(f.max_rows);
  req.set_timeout_ms(std::chrono::duration_cast<std::chrono::milliseconds>(*timeout).count());
  auto resp = CORAL_TRY(client.QuerySql(req));
  PrintQueryRows(ctx, resp.columns(), resp.rows(), "(no rows)");
  if (resp.truncated()) {
    ctx.err << "note: stopped at " << f.max_rows << " rows; raise --max-rows or narrow the query\n";
  }
  return Status::Ok();
}

}  // namespace

void PrintQueryRows(Context& ctx, const ProtoColumns& proto_columns, const ProtoRows& proto_rows,
                    std::string_view empty_note, const std::vector<std::string>& table_columns) {
  std::vector<std::string> columns;
  std::vector<bool> time_column;
  for (const auto& c : proto_columns) {
    // Duplicate names (SELECT a.x, b.x) would collapse in JSON objects.
    std::string name = c.name();
    for (int n = 2; std::find(columns.begin(), columns.end(), name) != columns.end(); ++n) {
      name = c.name() + "_" + std::to_string(n);
    }
    columns.push_back(name);
    time_column.push_back(c.name().size() > 3 && c.name().ends_with("_us"));
  }
  Json rows = Json::array();
  for (const auto& r : proto_rows) {
    Json row = Json::object();
    for (int i = 0; i < r.values_size() && i < static_cast<int>(columns.size()); ++i) {
      row[columns[i]] = Cell(r.values(i), time_column[i], ctx.out.format());
    }
    rows.push_back(std::move(row));
  }
  bool table = ctx.out.format() == Format::kTable && !table_columns.empty();
  ctx.out.List(table ? table_columns : columns, rows, empty_note);
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
  AddSummaryQueryCommands(*query, commands);
  for (const auto& [name, what] : std::vector<std::pair<std::string, std::string>>{
           {"traces", "Traces by service, duration or id, with a tree for one trace"},
           {"metrics", "Metric points"},
           {"logs", "Log records by service, text or severity"}}) {
    commands.Planned(*query, name, what);
  }
}

}  // namespace coral::cli

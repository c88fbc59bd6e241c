#include "analysis/telemetry_schema.h"

#include <unistd.h>

#include <algorithm>

#include <cstring>

namespace coral::analysis {

namespace {

enum class Type { kInt, kDouble, kString };

struct Column {
  const char* name;
  Type type;
};

struct TableSpec {
  const char* name;
  std::vector<Column> columns;  // after agent_id, seq, ts_us
};

// One description drives both dialects.
const std::vector<TableSpec>& Specs() {
  using enum Type;
  static const std::vector<TableSpec> kSpecs = {
      {"processes",
       {{"pid", kInt},
        {"ppid", kInt},
        {"name", kString},
        {"exe", kString},
        {"cmdline", kString},
        {"username", kString},
        {"started_at_us", kInt},
        {"cpu_percent", kDouble},
        {"rss_bytes", kInt},
        {"cgroup", kString},
        {"container_id", kString},
        {"netns", kInt}}},
      {"services",
       {{"name", kString},
        {"pid", kInt},
        {"port", kInt},
        {"transport", kString},
        {"protocol", kString},
        {"address", kString},
        {"source", kString},
        {"health_path", kString},
        {"netns", kInt},
        {"container_id", kString}}},
      {"connections",
       {{"pid", kInt},
        {"process", kString},
        {"local_address", kString},
        {"local_port", kInt},
        {"remote_address", kString},
        {"remote_port", kInt},
        {"state", kString},
        {"bytes_sent", kInt},
        {"bytes_received", kInt},
        {"method", kString},
        {"netns", kInt},
        {"event", kString}}},
      {"host_metrics", {{"name", kString}, {"resource", kString}, {"value", kDouble}}},
      {"health_events",
       {{"service", kString},
        {"port", kInt},
        {"healthy", kInt},
        {"reason", kString},
        {"status_code", kInt},
        {"latency_ms", kDouble}}},
      {"spans",
       {{"trace_id", kString},
        {"span_id", kString},
        {"parent_span_id", kString},
        {"service_name", kString},
        {"name", kString},
        {"kind", kString},
        {"start_time_us", kInt},
        {"end_time_us", kInt},
        {"duration_ns", kInt},
        {"status_code", kString},
        {"status_message", kString},
        {"attributes", kString},
        {"resource_attributes", kString},
        {"event_count", kInt},
        {"link_count", kInt},
        {"scope_name", kString}}},
      {"metric_points",
       {{"service_name", kString},
        {"metric_name", kString},
        {"description", kString},
        {"unit", kString},
        {"type", kString},
        {"temporality", kString},
        {"is_monotonic", kInt},
        {"time_us", kInt},
        {"start_time_us", kInt},
        {"value", kDouble},
        {"count", kInt},
        {"sum", kDouble},
        {"min", kDouble},
        {"max", kDouble},
        {"bucket_bounds", kString},
        {"bucket_counts", kString},
        {"exp_scale", kInt},
        {"exp_zero_count", kInt},
        {"exp_positive_offset", kInt},
        {"exp_positive_counts", kString},
        {"exp_negative_offset", kInt},
        {"exp_negative_counts", kString},
        {"quantiles", kString},
        {"attributes", kString},
        {"resource_attributes", kString},
        {"scope_name", kString}}},
      {"log_records",
       {{"time_us", kInt},
        {"observed_time_us", kInt},
        {"severity_number", kInt},
        {"severity_text", kString},
        {"body", kString},
        {"trace_id", kString},
        {"span_id", kString},
        {"service_name", kString},
        {"attributes", kString},
        {"resource_attributes", kString},
        {"scope_name", kString},
        {"event_name", kString}}},
  };
  return kSpecs;
}

std::string DuckDbType(Type t) {
  return t == Type::kInt ? "BIGINT" : t == Type::kDouble ? "DOUBLE" : "VARCHAR";
}
std::string ClickHouseType(Type t) {
  return std::string("Nullable(") +
         (t == Type::kInt      ? "Int64"
          : t == Type::kDouble ? "Float64"
                               : "String") +
         ")";
}

std::string DuckDbSql() {
  std::string sql;
  for (const auto& t : Specs()) {
    sql += "CREATE TABLE " + std::string(t.name) +
           " (agent_id VARCHAR NOT NULL, seq BIGINT NOT NULL, ts_us BIGINT NOT NULL";
    for (const auto& c : t.columns) sql += ", " + std::string(c.name) + " " + DuckDbType(c.type);
    sql += ");\n";
  }
  return sql;
}

std::string ClickHouseSql() {
  std::string sql;
  for (const auto& t : Specs()) {
    sql += "CREATE TABLE IF NOT EXISTS " + std::string(t.name) +
           " (agent_id String, seq Int64, ts_us Int64";
    for (const auto& c : t.columns) {
      sql += ", " + std::string(c.name) + " " + ClickHouseType(c.type);
    }
    sql +=
        ") ENGINE = MergeTree() PARTITION BY toYYYYMMDD(toDateTime(intDiv(ts_us, 1000000))) "
        "ORDER BY (ts_us, agent_id, seq);\n";
  }
  return sql;
}

// The summaries (see summarizer.h). Keys are never NULL; on ClickHouse the
// tables are ReplacingMergeTree(gen) ordered by their key, so a recomputed
// minute replaces the old rows (readers add FINAL until merges catch up).
struct SummarySpec {
  const char* name;
  const char* key;  // ORDER BY, minute_us first
  std::vector<Column> keys;
  std::vector<Column> values;
};

const std::vector<SummarySpec>& SummarySpecs() {
  using enum Type;
  static const std::vector<SummarySpec> kSpecs = {
      {"service_minutes",
       "minute_us, service_name",
       {{"minute_us", kInt}, {"service_name", kString}},
       {{"requests", kInt},
        {"errors", kInt},
        {"sum_ms", kDouble},
        {"max_ms", kDouble},
        {"p50_ms", kDouble},
        {"p95_ms", kDouble},
        {"p99_ms", kDouble}}},
      {"service_latency_minutes",
       "minute_us, service_name, bucket",
       {{"minute_us", kInt}, {"service_name", kString}, {"bucket", kInt}},
       {{"requests", kInt}}},
      {"host_minutes",
       "minute_us, agent_id",
       {{"minute_us", kInt}, {"agent_id", kString}},
       {{"samples", kInt},
        {"cpu_percent", kDouble},
        {"cpu_max_percent", kDouble},
        {"mem_used_percent", kDouble},
        {"mem_used_bytes", kDouble},
        {"load_1m", kDouble},
        {"disk_used_percent", kDouble},
        {"disk_read_bytes_per_s", kDouble},
        {"disk_write_bytes_per_s", kDouble},
        {"net_rx_bytes_per_s", kDouble},
        {"net_tx_bytes_per_s", kDouble}}},
      {"topology_minutes",
       "minute_us, source, target, via",
       {{"minute_us", kInt}, {"source", kString}, {"target", kString}, {"via", kString}},
       {{"calls", kInt}, {"errors", kInt}, {"sum_ms", kDouble}, {"max_ms", kDouble}}},
  };
  return kSpecs;
}

// Operations of a service per minute, for evidence without raw spans: server
// spans per operation, and error messages.
const std::vector<SummarySpec>& OperationSpecs() {
  using enum Type;
  static const std::vector<SummarySpec> kSpecs = {
      {"operation_minutes",
       "minute_us, service_name, operation",
       {{"minute_us", kInt}, {"service_name", kString}, {"operation", kString}},
       {{"requests", kInt}, {"errors", kInt}, {"sum_ms", kDouble}, {"max_ms", kDouble}}},
      {"error_minutes",
       "minute_us, service_name, message",
       {{"minute_us", kInt}, {"service_name", kString}, {"message", kString}},
       {{"errors", kInt}}},
  };
  return kSpecs;
}

std::string SummaryTablesDuckDb(const std::vector<SummarySpec>& specs) {
  std::string sql;
  for (const auto& t : specs) {
    sql += "CREATE TABLE " + std::string(t.name) + " (";
    for (const auto& c : t.keys)
      sql += std::string(c.name) + " " + DuckDbType(c.type) + " NOT NULL, ";
    for (const auto& c : t.values) sql += std::string(c.name) + " " + DuckDbType(c.type) + ", ";
    sql += "gen BIGINT NOT NULL);\n";
  }
  return sql;
}

std::string SummaryTablesClickHouse(const std::vector<SummarySpec>& specs) {
  std::string sql;
  for (const auto& t : specs) {
    sql += "CREATE TABLE IF NOT EXISTS " + std::string(t.name) + " (";
    for (const auto& c : t.keys) {
      sql += std::string(c.name) + " " + (c.type == Type::kInt ? "Int64" : "String") + ", ";
    }
    for (const auto& c : t.values) sql += std::string(c.name) + " " + ClickHouseType(c.type) + ", ";
    sql +=
        "gen Int64) ENGINE = ReplacingMergeTree(gen) "
        "PARTITION BY toYYYYMMDD(toDateTime(intDiv(minute_us, 1000000))) ORDER BY (" +
        std::string(t.key) + ");\n";
  }
  return sql;
}

std::string SummaryDuckDbSql() {
  return SummaryTablesDuckDb(SummarySpecs()) +
         "CREATE TABLE summary_dirty (noted_us BIGINT NOT NULL, from_us BIGINT NOT NULL, "
         "to_us BIGINT NOT NULL);\n"
         "CREATE TABLE summary_progress (done_us BIGINT NOT NULL);\n";
}

std::string SummaryClickHouseSql() {
  return SummaryTablesClickHouse(SummarySpecs()) +
         "CREATE TABLE IF NOT EXISTS summary_dirty (noted_us Int64, from_us Int64, to_us Int64) "
         "ENGINE = MergeTree() ORDER BY noted_us;\n"
         "CREATE TABLE IF NOT EXISTS summary_progress (done_us Int64) "
         "ENGINE = MergeTree() ORDER BY done_us;\n";
}

// Latency buckets as text, a row per service per minute (minutes = 1) and
// per 10-minute block (minutes = 10, minute_us its first minute), so that a
// window reads a few rows per service instead of one per bucket. Filled from
// what service_latency_minutes already holds (600000000 µs = 10 minutes).
// DuckDB keeps the text uncompressed: it is read whole, and decompressing it
// took most of the read.
std::string LatencyHistogramsDuckDbSql() {
  return "CREATE TABLE service_latency_histograms (minute_us BIGINT NOT NULL, minutes BIGINT "
         "NOT NULL, service_name VARCHAR NOT NULL, buckets VARCHAR USING COMPRESSION "
         "uncompressed, gen BIGINT NOT NULL);\n"
         "INSERT INTO service_latency_histograms (minute_us, minutes, service_name, buckets, gen) "
         "SELECT minute_us, 1, service_name, string_agg(CAST(bucket AS VARCHAR) || ':' || "
         "CAST(requests AS VARCHAR), ' ' ORDER BY bucket), max(gen) FROM service_latency_minutes "
         "GROUP BY minute_us, service_name;\n"
         "INSERT INTO service_latency_histograms (minute_us, minutes, service_name, buckets, gen) "
         "SELECT blk, 10, service_name, string_agg(CAST(bucket AS VARCHAR) || ':' || CAST(n AS "
         "VARCHAR), ' ' ORDER BY bucket), max(g) FROM (SELECT (minute_us // 600000000) * "
         "600000000 AS blk, service_name, bucket, sum(requests) AS n, max(gen) AS g FROM "
         "service_latency_minutes GROUP BY blk, service_name, bucket) AS b GROUP BY blk, "
         "service_name;\n";
}

std::string LatencyHistogramsClickHouseSql() {
  return "CREATE TABLE IF NOT EXISTS service_latency_histograms (minute_us Int64, minutes Int64, "
         "service_name String, buckets String, gen Int64) ENGINE = ReplacingMergeTree(gen) "
         "PARTITION BY toYYYYMMDD(toDateTime(intDiv(minute_us, 1000000))) ORDER BY (minute_us, "
         "service_name, minutes);\n"
         "INSERT INTO service_latency_histograms (minute_us, minutes, service_name, buckets, gen) "
         "SELECT minute_us, 1, service_name, arrayStringConcat(groupArray(concat(toString(bucket), "
         "':', toString(requests))), ' '), max(gen) FROM service_latency_minutes FINAL GROUP BY "
         "minute_us, service_name;\n"
         "INSERT INTO service_latency_histograms (minute_us, minutes, service_name, buckets, gen) "
         "SELECT blk, 10, service_name, arrayStringConcat(groupArray(concat(toString(bucket), ':', "
         "toString(n))), ' '), max(g) FROM (SELECT intDiv(minute_us, 600000000) * 600000000 AS "
         "blk, service_name, bucket, sum(requests) AS n, max(gen) AS g FROM "
         "service_latency_minutes FINAL GROUP BY blk, service_name, bucket) GROUP BY blk, "
         "service_name;\n";
}

}  // namespace

const std::vector<TelemetryTable>& TelemetryTables() {
  static const std::vector<TelemetryTable> kTables = [] {
    std::vector<TelemetryTable> out;
    for (const auto& t : Specs()) {
      using storage::ColumnType;
      TelemetryTable table{t.name,
                           {"agent_id", "seq", "ts_us"},
                           {ColumnType::kString, ColumnType::kInt64, ColumnType::kInt64}};
      for (const auto& c : t.columns) {
        table.columns.push_back(c.name);
        table.types.push_back(c.type == Type::kInt      ? ColumnType::kInt64
                              : c.type == Type::kDouble ? ColumnType::kDouble
                                                        : ColumnType::kString);
      }
      out.push_back(std::move(table));
    }
    return out;
  }();
  return kTables;
}

const TelemetryTable* FindTelemetryTable(const std::string& name) {
  for (const auto& t : TelemetryTables()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::span<const storage::Migration> TelemetryMigrations() {
  static const std::vector<storage::Migration> kMigrations = {
      {1, "agent telemetry", DuckDbSql(), ClickHouseSql()},
      {2, "summaries", SummaryDuckDbSql(), SummaryClickHouseSql()},
      {3, "operation summaries", SummaryTablesDuckDb(OperationSpecs()),
       SummaryTablesClickHouse(OperationSpecs())},
      {4, "latency histograms", LatencyHistogramsDuckDbSql(), LatencyHistogramsClickHouseSql()},
  };
  return kMigrations;
}

std::string DefaultStoreMemoryLimit() {
  long pages = ::sysconf(_SC_PHYS_PAGES);
  long page = ::sysconf(_SC_PAGE_SIZE);
  int64_t ram_mb = pages > 0 && page > 0 ? static_cast<int64_t>(pages) * page / (1 << 20) : 0;
  int64_t mb = std::clamp<int64_t>(ram_mb / 4, 256, 2048);
  return std::to_string(mb) + "MB";
}

std::string TelemetryStoreUrl(std::string url) {
  if (url.rfind("duckdb://", 0) != 0) return url;
  std::string memory = "memory_limit=" + DefaultStoreMemoryLimit();
  for (const std::string& setting : {std::string("enable_external_access=false"),
                                     std::string("checkpoint_threshold=128MB"), memory}) {
    std::string name = setting.substr(0, setting.find('='));
    if (url.find(name + "=") != std::string::npos) continue;
    url += (url.find('?') == std::string::npos ? "?" : "&") + setting;
  }
  return url;
}

}  // namespace coral::analysis

#include "agent/store/agent_schema.h"

namespace coral::agent {

const std::vector<std::string>& AgentTables() {
  static const std::vector<std::string> kTables = {
      kProcessesTable,    kServicesTable, kConnectionsTable,  kHostMetricsTable,
      kHealthEventsTable, kSpansTable,    kMetricPointsTable, kLogRecordsTable};
  return kTables;
}

std::span<const storage::Migration> AgentMigrations() {
  static const std::vector<storage::Migration> kMigrations = {
      {1, "host tables",
       R"sql(
CREATE TABLE seq_state (tbl VARCHAR PRIMARY KEY, last_seq BIGINT NOT NULL);
CREATE TABLE processes (
  seq BIGINT NOT NULL, ts TIMESTAMP NOT NULL,
  pid BIGINT, ppid BIGINT, name VARCHAR, exe VARCHAR, cmdline VARCHAR, username VARCHAR,
  started_at TIMESTAMP, cpu_percent DOUBLE, rss_bytes BIGINT,
  cgroup VARCHAR, container_id VARCHAR, netns BIGINT);
CREATE TABLE services (
  seq BIGINT NOT NULL, ts TIMESTAMP NOT NULL,
  name VARCHAR, pid BIGINT, port BIGINT, transport VARCHAR, protocol VARCHAR, address VARCHAR,
  source VARCHAR, health_path VARCHAR, netns BIGINT, container_id VARCHAR);
CREATE TABLE connections (
  seq BIGINT NOT NULL, ts TIMESTAMP NOT NULL,
  pid BIGINT, process VARCHAR, local_address VARCHAR, local_port BIGINT,
  remote_address VARCHAR, remote_port BIGINT, state VARCHAR,
  bytes_sent BIGINT, bytes_received BIGINT, method VARCHAR, netns BIGINT);
CREATE TABLE host_metrics (
  seq BIGINT NOT NULL, ts TIMESTAMP NOT NULL,
  name VARCHAR, resource VARCHAR, value DOUBLE);
CREATE TABLE health_events (
  seq BIGINT NOT NULL, ts TIMESTAMP NOT NULL,
  service VARCHAR, port BIGINT, healthy BOOLEAN, reason VARCHAR, status_code BIGINT,
  latency_ms DOUBLE);
)sql",
       ""},
      // OTLP rows, as AgentTelemetrySink writes them. Conventions:
      //   - ids are lowercase hex text; NULL when the sender left them out
      //     (a root span's parent_span_id, a log record outside a trace);
      //   - times are TIMESTAMP (UTC, microseconds); exact nanosecond
      //     durations are in spans.duration_ns; a time the sender left 0 is NULL;
      //   - attributes and resource_attributes are JSON object text, as
      //     telemetry/json_text.h spells them ({"http.method":"GET",...});
      //   - kind, status_code, type, temporality are lowercase names
      //     ("server", "error", "histogram", "cumulative").
      // metric_points: `value` holds gauge and sum points (ints as doubles);
      // count/sum/min/max histogram, exponential histogram and summary points;
      // bucket_bounds and bucket_counts are JSON arrays (explicit histograms:
      // bucket_counts has one more entry than bucket_bounds); exp_* describe
      // exponential histograms (counts are JSON arrays starting at *_offset);
      // quantiles is a JSON array of [quantile, value] pairs (summaries).
      {2, "otlp tables",
       R"sql(
CREATE TABLE spans (
  seq BIGINT NOT NULL, ts TIMESTAMP NOT NULL,
  trace_id VARCHAR, span_id VARCHAR, parent_span_id VARCHAR, service_name VARCHAR,
  name VARCHAR, kind VARCHAR, start_time TIMESTAMP, end_time TIMESTAMP, duration_ns BIGINT,
  status_code VARCHAR, status_message VARCHAR, attributes VARCHAR, resource_attributes VARCHAR,
  event_count BIGINT, link_count BIGINT, scope_name VARCHAR);
CREATE TABLE metric_points (
  seq BIGINT NOT NULL, ts TIMESTAMP NOT NULL,
  service_name VARCHAR, metric_name VARCHAR, description VARCHAR, unit VARCHAR, type VARCHAR,
  temporality VARCHAR, is_monotonic BOOLEAN, time TIMESTAMP, start_time TIMESTAMP,
  value DOUBLE, count BIGINT, sum DOUBLE, min DOUBLE, max DOUBLE,
  bucket_bounds VARCHAR, bucket_counts VARCHAR,
  exp_scale BIGINT, exp_zero_count BIGINT, exp_positive_offset BIGINT, exp_positive_counts VARCHAR,
  exp_negative_offset BIGINT, exp_negative_counts VARCHAR, quantiles VARCHAR,
  attributes VARCHAR, resource_attributes VARCHAR, scope_name VARCHAR);
CREATE TABLE log_records (
  seq BIGINT NOT NULL, ts TIMESTAMP NOT NULL,
  time TIMESTAMP, observed_time TIMESTAMP, severity_number BIGINT, severity_text VARCHAR,
  body VARCHAR, trace_id VARCHAR, span_id VARCHAR, service_name VARCHAR, attributes VARCHAR,
  resource_attributes VARCHAR, scope_name VARCHAR, event_name VARCHAR);
)sql",
       ""},
      // Connection rows become events: `open` and `close` from eBPF, `snapshot`
      // from sock_diag or /proc. Rows written before this migration were all
      // snapshots, so they get that value rather than NULL.
      {3, "connection events",
       R"sql(
ALTER TABLE connections ADD COLUMN event VARCHAR DEFAULT 'snapshot';
UPDATE connections SET event = 'snapshot' WHERE event IS NULL;
)sql",
       ""},
      // Spans are the agent's busiest table, and DuckDB otherwise tries every
      // compression method on every column of every row group it writes
      // (about a sixth of its cost per span). Each column gets the method it
      // ends up with anyway on OTLP traffic; a column whose values turn out
      // constant is still stored as a constant. Left automatic: the status
      // message, mostly NULL. Hex ids and attribute JSON are FSST (about half
      // their text, however unique); names and other low-cardinality text are
      // a dictionary.
      {4, "span column compression",
       R"sql(
CREATE TABLE spans_compressed (
  seq BIGINT NOT NULL USING COMPRESSION bitpacking,
  ts TIMESTAMP NOT NULL USING COMPRESSION bitpacking,
  trace_id VARCHAR USING COMPRESSION fsst, span_id VARCHAR USING COMPRESSION fsst,
  parent_span_id VARCHAR USING COMPRESSION fsst,
  service_name VARCHAR USING COMPRESSION dictionary, name VARCHAR USING COMPRESSION dictionary,
  kind VARCHAR USING COMPRESSION dictionary,
  start_time TIMESTAMP USING COMPRESSION bitpacking,
  end_time TIMESTAMP USING COMPRESSION bitpacking,
  duration_ns BIGINT USING COMPRESSION bitpacking,
  status_code VARCHAR USING COMPRESSION dictionary, status_message VARCHAR,
  attributes VARCHAR USING COMPRESSION fsst,
  resource_attributes VARCHAR USING COMPRESSION dictionary,
  event_count BIGINT USING COMPRESSION bitpacking, link_count BIGINT USING COMPRESSION bitpacking,
  scope_name VARCHAR USING COMPRESSION dictionary);
INSERT INTO spans_compressed SELECT * FROM spans;
DROP TABLE spans;
ALTER TABLE spans_compressed RENAME TO spans;
)sql",
       ""},
  };
  return kMigrations;
}

}  // namespace coral::agent

#include "agent/store/agent_schema.h"

namespace coral::agent {

const std::vector<std::string>& AgentTables() {
  static const std::vector<std::string> kTables = {kProcessesTable, kServicesTable,
                                                   kConnectionsTable, kHostMetricsTable,
                                                   kHealthEventsTable};
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
      // Connection rows become events: `open` and `close` from eBPF, `snapshot`
      // from sock_diag or /proc. Rows written before this migration were all
      // snapshots, so they get that value rather than NULL.
      {2, "connection events",
       R"sql(
ALTER TABLE connections ADD COLUMN event VARCHAR DEFAULT 'snapshot';
UPDATE connections SET event = 'snapshot' WHERE event IS NULL;
)sql",
       ""},
  };
  return kMigrations;
}

}  // namespace coral::agent

#include "colony/control_schema.h"

#include <vector>

namespace coral::colony {

std::span<const storage::Migration> ControlMigrations() {
  // join_tokens.secret_hash is hex SHA-256 of the secret; the secret itself
  // is never stored. agents.cert_fingerprint is the only certificate the
  // colony accepts from that agent; a new enrollment replaces it.
  static const std::vector<storage::Migration> kMigrations = {
      {1, "registry",
       R"sql(
CREATE TABLE join_tokens (
  id VARCHAR PRIMARY KEY, name VARCHAR, secret_hash VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL, expires_at TIMESTAMP,
  uses_allowed BIGINT NOT NULL, uses BIGINT NOT NULL, revoked_at TIMESTAMP);
CREATE TABLE agents (
  agent_id VARCHAR PRIMARY KEY, hostname VARCHAR, version VARCHAR, mesh_ip VARCHAR NOT NULL,
  wireguard_public_key VARCHAR NOT NULL, cert_fingerprint VARCHAR NOT NULL,
  cert_expires_at TIMESTAMP, enrolled_at TIMESTAMP NOT NULL, enrolled_with VARCHAR,
  api_port BIGINT, last_seen TIMESTAMP, revoked_at TIMESTAMP);
)sql",
       ""},
      // api_tokens: like join tokens, only the hash of the secret. audit_log:
      // every authorization decision (and, for MCP tools, the result size and
      // time), newest rows appended.
      {2, "access",
       R"sql(
CREATE TABLE api_tokens (
  id VARCHAR PRIMARY KEY, name VARCHAR, role VARCHAR NOT NULL, secret_hash VARCHAR NOT NULL,
  created_at_us BIGINT NOT NULL, expires_at_us BIGINT, revoked_at_us BIGINT);
CREATE TABLE audit_log (
  at_us BIGINT NOT NULL, who VARCHAR NOT NULL, action VARCHAR NOT NULL, arguments VARCHAR,
  allowed BIGINT NOT NULL, result_bytes BIGINT, duration_ms DOUBLE, error VARCHAR);
)sql",
       ""},
  };
  return kMigrations;
}

}  // namespace coral::colony

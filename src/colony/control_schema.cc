#include "colony/control_schema.h"

#include <string>
#include <vector>

#include "auth/audit.h"
#include "auth/tokens.h"

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
      // api_tokens: like join tokens, only the hash of the secret. audit_log
      // (auth/audit.h): every authorization decision, newest rows appended.
      {2, "access",
       R"sql(
CREATE TABLE api_tokens (
  id VARCHAR PRIMARY KEY, name VARCHAR, role VARCHAR NOT NULL, secret_hash VARCHAR NOT NULL,
  created_at_us BIGINT NOT NULL, expires_at_us BIGINT, revoked_at_us BIGINT);
)sql" + std::string(auth::AuditTableSql()),
       ""},
      // One token table for join and API tokens (auth/tokens.h): the rows of
      // both move over with their hashes, times in microseconds.
      {3, "one token table", std::string(auth::TokensTableSql()) + R"sql(
INSERT INTO tokens (id, kind, name, role, scope, secret_hash, created_at_us, expires_at_us,
                    uses_allowed, uses, revoked_at_us)
  SELECT id, 'join', name, NULL, NULL, secret_hash, epoch_us(created_at), epoch_us(expires_at),
         uses_allowed, uses, epoch_us(revoked_at) FROM join_tokens;
INSERT INTO tokens (id, kind, name, role, scope, secret_hash, created_at_us, expires_at_us,
                    uses_allowed, uses, revoked_at_us)
  SELECT id, 'api', name, role, '*', secret_hash, created_at_us, expires_at_us, 0, 0,
         revoked_at_us FROM api_tokens;
DROP TABLE join_tokens;
DROP TABLE api_tokens;
)sql",
       ""},
  };
  return kMigrations;
}

}  // namespace coral::colony

// For colony tests that run on both backends: a migrated colony store.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "colony/telemetry_schema.h"
#include "storage/clickhouse/clickhouse_test_server.h"
#include "storage/store.h"

namespace coral::colony {

// backend "duckdb": a file in dir; "clickhouse": a fresh database on the
// shared loopback test server. NotFound when clickhouse-server is not
// installed (the caller skips, saying so).
inline Result<std::unique_ptr<storage::Store>> OpenTestColonyStore(
    const std::string& backend, const std::filesystem::path& dir) {
  std::string url = "duckdb://" + (dir / "colony.duckdb").string();
  if (backend == "clickhouse") {
    auto server = CORAL_TRY(storage::ClickHouseTestServer::Shared());
    url = server->NewDatabaseUrl();
  }
  auto store = CORAL_TRY(storage::OpenStore(url));
  CORAL_TRY(store->Migrate(TelemetryMigrations()));
  return store;
}

}  // namespace coral::colony

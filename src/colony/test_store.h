// For colony tests that run on both backends: a migrated colony store.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "base/temp_dir.h"
#include "colony/telemetry_schema.h"
#include "storage/clickhouse/clickhouse_test_server.h"
#include "storage/store.h"

namespace coral::colony {

// Where a test's colony store lives: backend "duckdb", a file in dir;
// "clickhouse", a fresh database on the shared loopback test server.
// NotFound when clickhouse-server is not installed (the caller skips).
inline Result<std::string> TestColonyStoreUrl(const std::string& backend,
                                              const std::filesystem::path& dir) {
  if (backend != "clickhouse") return "duckdb://" + (dir / "colony.duckdb").string();
  auto server = CORAL_TRY(storage::ClickHouseTestServer::Shared());
  return server->NewDatabaseUrl();
}

inline Result<std::unique_ptr<storage::Store>> OpenTestColonyStore(
    const std::string& backend, const std::filesystem::path& dir) {
  auto store = CORAL_TRY(storage::OpenStore(CORAL_TRY(TestColonyStoreUrl(backend, dir))));
  CORAL_TRY(store->Migrate(TelemetryMigrations()));
  return store;
}

// A test on each backend (the parameter), with its migrated store in store_.
class ColonyStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto store = OpenTestColonyStore(GetParam(), dir_.path());
    if (!store.ok() && store.status().code() == StatusCode::kNotFound) {
      GTEST_SKIP() << store.status().message();
    }
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  TempDir dir_{"coral-colony-store"};
  std::unique_ptr<storage::Store> store_;
};

}  // namespace coral::colony

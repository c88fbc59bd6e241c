// User SQL as viewers send it (`coral query sql`, the coral_query_sql tool,
// the REST API): ReadOnlySql on a colony store opened as the colony opens it
// (a DuckDB file, external access off, a memory ceiling), with a row and a
// time limit.
//
// Invariants: what the name guard (storage/sql_guard.h) refuses is refused;
// nothing a query says changes the store: its spans, its tables, its
// settings, or the files in its folder.
#include <filesystem>
#include <set>
#include <string>

#include "analysis/sql.h"
#include "analysis/telemetry_schema.h"
#include "base/check.h"
#include "base/temp_dir.h"
#include "fuzz_target.h"
#include "storage/sql_guard.h"
#include "storage/store.h"

namespace {

using namespace coral;

struct World {
  TempDir dir{"coral-fuzz-sql"};
  std::unique_ptr<storage::Store> store;
};

int64_t Count(storage::Store& store, const std::string& sql) {
  auto rows = store.Query(sql);
  CORAL_CHECK(rows.ok() && rows->rows.size() == 1, "count: " + sql);
  return std::get<int64_t>(rows->rows[0][0]);
}

std::set<std::string> Files(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.insert(e.path().filename().string());
  }
  return names;
}

World& TheWorld() {
  static World* w = [] {
    auto* w = new World;
    auto store = storage::OpenStore(analysis::TelemetryStoreUrl(
        "duckdb://" + (w->dir.path() / "colony.duckdb").string() + "?threads=1&memory_limit=64MB"));
    CORAL_CHECK(store.ok(), "open: " + store.status().ToString());
    w->store = std::move(*store);
    CORAL_CHECK(w->store->Migrate(analysis::TelemetryMigrations()).ok(), "migrations");
    storage::Batch spans{"spans",
                         {"agent_id", "seq", "ts_us", "service_name", "name", "duration_ns"}};
    for (int64_t i = 0; i < 50; ++i) {
      spans.rows.push_back({std::string("a1"), i + 1, 1'700'000'000'000'000 + i,
                            std::string(i % 2 ? "frontend" : "backend"), std::string("GET /"),
                            int64_t{1000} * i});
    }
    Status appended = w->store->Append(spans);
    CORAL_CHECK(appended.ok(), "spans: " + appended.ToString());
    return w;
  }();
  return *w;
}

}  // namespace

int CoralFuzzTarget(const uint8_t* data, size_t size) {
  World& w = TheWorld();
  static const int64_t spans = Count(*w.store, "SELECT count(*) FROM spans");
  static const int64_t tables = Count(*w.store, "SELECT count(*) FROM duckdb_tables()");
  static const std::set<std::string> files = Files(w.dir.path());
  std::string sql(reinterpret_cast<const char*>(data), size);
  auto rows = analysis::ReadOnlySql(
      *w.store, {.sql = sql, .max_rows = 100, .timeout = std::chrono::milliseconds(2000)});
  if (!storage::CheckUserSqlNames(sql).ok()) {
    CORAL_CHECK(!rows.ok(), "the guard refused what ran: " + sql);
  }
  if (rows.ok()) CORAL_CHECK(rows->rows.size() <= 100, "past the row limit");
  CORAL_CHECK(Count(*w.store, "SELECT count(*) FROM spans") == spans, "spans changed: " + sql);
  CORAL_CHECK(Count(*w.store, "SELECT count(*) FROM duckdb_tables()") == tables,
              "tables changed: " + sql);
  CORAL_CHECK(Count(*w.store,
                    "SELECT count(*) FROM duckdb_settings() WHERE name = "
                    "'enable_external_access' AND value = 'false'") == 1,
              "external access turned on: " + sql);
  CORAL_CHECK(Files(w.dir.path()) == files, "files appeared beside the store: " + sql);
  return 0;
}

std::vector<std::vector<uint8_t>> CoralFuzzSeeds() { return {}; }

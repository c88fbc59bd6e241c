#include "storage/store.h"

#include "storage/clickhouse/clickhouse_store.h"
#include "storage/duckdb/duckdb_store.h"

namespace coral::storage {

namespace {

// The table that records applied migrations, per backend.
std::string_view SchemaTableSql(std::string_view backend) {
  if (backend == "clickhouse") {
    return "CREATE TABLE IF NOT EXISTS coral_schema (version Int64, name String, applied_at "
           "DateTime DEFAULT now()) ENGINE = TinyLog";
  }
  return "CREATE TABLE IF NOT EXISTS coral_schema (version BIGINT PRIMARY KEY, name VARCHAR, "
         "applied_at TIMESTAMP DEFAULT current_timestamp)";
}

}  // namespace

Status Store::AppendColumns(const ColumnBatch& batch) {
  CORAL_TRY(batch.Check());
  return Append(batch.ToBatch());
}

Result<int> Store::SchemaVersion() {
  CORAL_TRY(Execute(SchemaTableSql(backend())));
  RowSet rows = CORAL_TRY(Query("SELECT max(version) AS v FROM coral_schema"));
  if (rows.rows.empty() || std::holds_alternative<std::monostate>(rows.rows[0][0])) return 0;
  return static_cast<int>(std::get<int64_t>(rows.rows[0][0]));
}

Status Store::Migrate(std::span<const Migration> migrations) {
  int current = CORAL_TRY(SchemaVersion());
  int newest = 0;
  for (const auto& m : migrations) {
    CORAL_CHECK(m.version == newest + 1, "migrations must be numbered 1, 2, 3, ... in order");
    newest = m.version;
  }
  if (current > newest) {
    return FailedPrecondition("storage: the database has schema version " +
                              std::to_string(current) + " but this coral knows only up to " +
                              std::to_string(newest) + "; upgrade coral");
  }
  for (const auto& m : migrations) {
    if (m.version <= current) continue;
    const std::string& sql = backend() == "clickhouse" ? m.clickhouse_sql : m.duckdb_sql;
    Status s = Transaction([&](Store& txn) -> Status {
      if (!sql.empty()) CORAL_TRY(txn.Execute(sql));
      return txn.Execute("INSERT INTO coral_schema (version, name) VALUES (?, ?)",
                         {int64_t{m.version}, m.name});
    });
    if (!s.ok()) {
      return s.WithContext("storage: migration " + std::to_string(m.version) + " (" + m.name + ")");
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<Store>> OpenStore(std::string_view url) {
  constexpr std::string_view kDuckDb = "duckdb://";
  if (url.rfind(kDuckDb, 0) == 0) {
    std::string path(url.substr(kDuckDb.size()));
    std::vector<std::pair<std::string, std::string>> settings;
    if (size_t q = path.find('?'); q != std::string::npos) {
      std::string query = path.substr(q + 1);
      path.resize(q);
      size_t start = 0;
      while (start <= query.size()) {
        size_t amp = query.find('&', start);
        std::string item = query.substr(start, amp == std::string::npos ? amp : amp - start);
        size_t eq = item.find('=');
        if (eq == std::string::npos || eq == 0) {
          return InvalidArgument("storage URL '" + std::string(url) + "': setting '" + item +
                                 "' is not key=value");
        }
        settings.emplace_back(item.substr(0, eq), item.substr(eq + 1));
        if (amp == std::string::npos) break;
        start = amp + 1;
      }
    }
    if (path.empty()) {
      return InvalidArgument("storage URL '" + std::string(url) +
                             "' has no path; use duckdb:///abs/path/file.duckdb or "
                             "duckdb://:memory:");
    }
    if (path != ":memory:" && path.front() != '/') {
      return InvalidArgument("storage URL '" + std::string(url) +
                             "' needs an absolute path: duckdb:///abs/path/file.duckdb");
    }
    auto store = CORAL_TRY(DuckDbStore::Open(path, settings));
    return std::unique_ptr<Store>(std::move(store));
  }
  if (url.rfind("clickhouse://", 0) == 0) {
    auto store = CORAL_TRY(ClickHouseStore::Open(url));
    return std::unique_ptr<Store>(std::move(store));
  }
  return InvalidArgument("storage URL '" + std::string(url) +
                         "' is not supported; use duckdb:///abs/path/file.duckdb or "
                         "clickhouse://host:8123/db");
}

}  // namespace coral::storage

// The Store: where agents, colonies and reefs keep their tables. Backends are
// chosen by URL:
//   duckdb:///abs/path/file.duckdb   embedded (default everywhere); DuckDB
//                                    settings may follow: ?threads=1&memory_limit=64MB
//   duckdb://:memory:                in memory, for tests
//   clickhouse://host:8123/db        ClickHouse over HTTP; ?user=&password= may follow
// Both speak the same schema and return the same results for the queries
// Coral issues; SQL that differs between them lives in the schema module.
//
// Thread-safety: every Store is safe to use from many threads at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "storage/column_batch.h"
#include "storage/value.h"

namespace coral::storage {

// What a query may be. kSelectOnly is for SQL from users: exactly one
// statement, a SELECT (WITH ... SELECT included); anything else is refused
// with PermissionDenied before it runs. The store must also have no access
// outside itself (DuckDB: enable_external_access=false; ClickHouse: readonly).
enum class Statements { kAny, kSelectOnly };

struct QueryOptions {
  size_t max_rows = 0;  // 0: no limit; else stop and set truncated
  // 0: no limit; else stop once the rows taken hold this many bytes (see
  // ValueBytes; the row that crosses it is kept, so a result is never empty
  // for want of room) and set truncated. Bounds memory by size when rows
  // vary from bytes to megabytes.
  size_t max_bytes = 0;
  std::chrono::milliseconds timeout{0};  // 0: no limit; else DeadlineExceeded
  Statements statements = Statements::kAny;
};

// One step of a table layout. Versions start at 1 and never change once
// released: a new layout is a new migration.
struct Migration {
  int version;
  std::string name;
  std::string duckdb_sql;      // may hold several statements
  std::string clickhouse_sql;  // idem; empty when the table is DuckDB-only
};

class Store {
 public:
  virtual ~Store() = default;

  // "duckdb" or "clickhouse".
  virtual std::string_view backend() const = 0;

  // Runs statements that return no rows. Params bind to `?` placeholders.
  virtual Status Execute(std::string_view sql, const Params& params = {}) = 0;

  // Runs one query and returns its rows, typed.
  virtual Result<RowSet> Query(std::string_view sql, const Params& params = {},
                               const QueryOptions& options = {}) = 0;

  // Appends a batch of rows to one table in a single write.
  virtual Status Append(const Batch& batch) = 0;
  // The same for rows held column by column. Backends with a columnar path
  // (DuckDB) override it; the default appends batch.ToBatch().
  virtual Status AppendColumns(const ColumnBatch& batch);

  // DuckDB: runs `body` so that all its writes land together or not at all
  // (a real transaction); the body must use the Store it is handed.
  // ClickHouse has no transactions: the body runs as is and a failure keeps
  // the writes made before it (see clickhouse/clickhouse_store.h).
  virtual Status Transaction(const std::function<Status(Store&)>& body) = 0;

  // Applies every migration newer than the stored schema version, each in its
  // own transaction, in order. Refuses a database newer than the code.
  Status Migrate(std::span<const Migration> migrations);
  // The schema version (0 for a new database).
  Result<int> SchemaVersion();
};

// A Store that hands every call to another: a base for wrappers that watch
// or change a few calls (tests, benchmarks) and forward the rest.
class ForwardingStore : public Store {
 public:
  explicit ForwardingStore(Store& inner) : inner_(inner) {}
  std::string_view backend() const override { return inner_.backend(); }
  Status Execute(std::string_view sql, const Params& params) override {
    return inner_.Execute(sql, params);
  }
  Result<RowSet> Query(std::string_view sql, const Params& params,
                       const QueryOptions& options) override {
    return inner_.Query(sql, params, options);
  }
  Status Append(const Batch& batch) override { return inner_.Append(batch); }
  Status AppendColumns(const ColumnBatch& batch) override { return inner_.AppendColumns(batch); }
  Status Transaction(const std::function<Status(Store&)>& body) override {
    return inner_.Transaction(body);
  }

 protected:
  Store& inner() { return inner_; }

 private:
  Store& inner_;
};

// Opens a store by URL (see above). Errors say what is wrong with the URL or
// the file, and what to do.
Result<std::unique_ptr<Store>> OpenStore(std::string_view url);

}  // namespace coral::storage

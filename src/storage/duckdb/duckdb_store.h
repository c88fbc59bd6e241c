// The embedded DuckDB backend, through DuckDB's C API only (duckdb.h).
//
// Thread-safety: a DuckDbStore is safe to share. It owns one database and a
// pool of connections; each call borrows a connection for its duration (a
// DuckDB connection must not be used by two threads at once). Writers do not
// block readers: DuckDB's MVCC gives each statement a consistent snapshot.
// One process at a time may open a file: DuckDB locks it, and a second
// process gets an Unavailable error naming the lock holder.
#pragma once

#include <duckdb.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/store.h"

namespace coral::storage {

class DuckDbStore final : public Store {
 public:
  // path: a file (created if missing, parent folder must exist) or ":memory:".
  // settings: DuckDB configuration options, e.g. {"threads", "1"},
  // {"memory_limit", "64MB"}; an unknown option or bad value is an error.
  static Result<std::unique_ptr<DuckDbStore>> Open(
      const std::string& path,
      const std::vector<std::pair<std::string, std::string>>& settings = {});
  ~DuckDbStore() override;

  std::string_view backend() const override { return "duckdb"; }
  Status Execute(std::string_view sql, const Params& params = {}) override;
  Result<RowSet> Query(std::string_view sql, const Params& params = {},
                       const QueryOptions& options = {}) override;
  Status Append(const Batch& batch) override;
  Status AppendColumns(const ColumnBatch& batch) override;
  Status Transaction(const std::function<Status(Store&)>& body) override;

  const std::string& path() const { return path_; }
  // The version of the loaded libduckdb, e.g. "v1.5.6".
  static std::string LibraryVersion();

 private:
  class Connection;  // RAII duckdb_connection
  class Lease;       // a pooled connection, returned on destruction
  class TxnStore;    // the Store a Transaction body sees

  DuckDbStore(duckdb_database db, std::string path);
  Result<std::unique_ptr<Connection>> Borrow();
  void Return(std::unique_ptr<Connection> conn);

  duckdb_database db_;
  std::string path_;
  std::mutex pool_mutex_;  // guards idle_
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace coral::storage

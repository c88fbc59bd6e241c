// The ClickHouse backend of Store, over ClickHouse's HTTP interface (written
// for 18.16, Debian's version; libcurl through net::HttpFetch).
//
//   clickhouse://host:port/db[?user=NAME&password=SECRET]
//
// port defaults to 8123 and db to "default"; Open creates db when missing.
// user and password are percent-decoded and sent as X-ClickHouse-User /
// X-ClickHouse-Key headers, never in a URL: the password appears in no error
// or log line, and is wiped when the store goes away.
//
// Behaviour, next to DuckDbStore:
//   - Execute: `?` parameters are bound on the client as literals (see
//     clickhouse_sql.h); a script is split on `;` outside quotes and
//     comments and runs statement by statement, stopping at the first error.
//   - Query: one statement, results in the Native format (types and values
//     exact; see clickhouse_format.h for how types map). max_rows becomes
//     max_result_rows + result_overflow_mode=break on the server, the rest is
//     cut here; timeout becomes max_execution_time (whole seconds, rounded
//     up) and the HTTP timeout, and a query that overruns is killed on the
//     server (KILL QUERY by query_id): either way DeadlineExceeded.
//   - Append: one HTTP INSERT ... FORMAT RowBinary per batch, whatever its
//     size. Column types come from system.columns (cached per table, fetched
//     again after DDL through this store or a failed append). Timestamps go
//     into DateTime columns as whole seconds (rounded down: 18.16 has no
//     DateTime64) and into Int64/UInt64 columns as microseconds since the
//     epoch, the convention for times that need sub-second precision.
//   - Transaction: ClickHouse has no transactions. The body runs against
//     this store directly and is NOT atomic: writes made before a failure
//     stay. Callers that need exactly-once make their writes idempotent
//     (rows carry their source sequence ids; readers deduplicate by them).
//   - Errors: ClickHouse's exception becomes a Status whose code fits
//     (NotFound for a missing table, InvalidArgument for syntax, ...); a
//     server that cannot be reached is Unavailable, naming the URL without
//     the password.
//
// Thread-safety: safe to share between threads. Each call makes its own HTTP
// request; the column-type cache is guarded by a mutex.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/clickhouse/clickhouse_format.h"
#include "storage/store.h"

namespace coral::storage {

class ClickHouseStore final : public Store {
 public:
  // url: clickhouse://host:port/db[?user=&password=]. Checks that the server
  // answers (Unavailable with a hint if not) and creates the database.
  static Result<std::unique_ptr<ClickHouseStore>> Open(std::string_view url);
  ~ClickHouseStore() override;

  std::string_view backend() const override { return "clickhouse"; }
  Status Execute(std::string_view sql, const Params& params = {}) override;
  Result<RowSet> Query(std::string_view sql, const Params& params = {},
                       const QueryOptions& options = {}) override;
  Status Append(const Batch& batch) override;
  // Not atomic: see the top of this file.
  Status Transaction(const std::function<Status(Store&)>& body) override;

  // The store's URL without the password, for messages.
  const std::string& display_url() const { return display_url_; }
  const std::string& database() const { return database_; }
  // The server's version string, e.g. "18.16.1".
  Result<std::string> ServerVersion();

 private:
  struct Endpoint {
    std::string host;  // as in the URL ([::1] keeps its brackets)
    int port = 8123;
    std::string database = "default";
    std::string user;
    std::string password;
  };
  // One HTTP request. `query_in_url` (for INSERT ... FORMAT) goes in the URL
  // and `body` is the data; otherwise the body is the SQL.
  struct Request {
    std::string body;
    std::string query_in_url;
    std::vector<std::pair<std::string, std::string>> settings;
    std::chrono::milliseconds timeout{0};  // 0: none
    bool use_database = true;
  };
  struct Response {
    int status = 0;
    std::string body;
  };
  using ColumnTypes = std::map<std::string, std::string>;  // column name -> type name

  ClickHouseStore(Endpoint endpoint, std::string display_url);
  static Result<Endpoint> ParseUrl(std::string_view url);
  Result<Response> Send(const Request& request, std::string_view what);
  Status Check(const Response& response, std::string_view what, std::string_view sql);
  Result<RowSet> QueryOne(const std::string& sql, const QueryOptions& options);
  Result<RowSet> HeaderOnly(const std::string& sql);
  Result<ColumnTypes> TableColumns(const std::string& table, bool refresh);

  Endpoint endpoint_;  // set once; the destructor wipes the password
  const std::string database_;
  const std::string display_url_;
  std::mutex columns_mutex_;  // guards columns_
  std::map<std::string, ColumnTypes> columns_;
};

}  // namespace coral::storage

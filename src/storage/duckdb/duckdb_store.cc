#include "storage/duckdb/duckdb_store.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <thread>

#include "storage/sql_guard.h"

namespace coral::storage {

namespace {

// Connection-level operations shared by the pooled path and transactions.
Status ExecOn(duckdb_connection conn, std::string_view sql, const Params& params);
Result<RowSet> QueryOn(duckdb_connection conn, std::string_view sql, const Params& params,
                       const QueryOptions& options);
Status AppendOn(duckdb_connection conn, const Batch& batch);
Status AppendColumnsOn(duckdb_connection conn, const ColumnBatch& batch);

}  // namespace

class DuckDbStore::Connection {
 public:
  explicit Connection(duckdb_connection c) : conn_(c) {}
  ~Connection() { duckdb_disconnect(&conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  duckdb_connection get() const { return conn_; }

 private:
  duckdb_connection conn_;
};

class DuckDbStore::Lease {
 public:
  Lease(DuckDbStore* store, std::unique_ptr<Connection> conn)
      : store_(store), conn_(std::move(conn)) {}
  ~Lease() { store_->Return(std::move(conn_)); }
  duckdb_connection get() const { return conn_->get(); }

 private:
  DuckDbStore* store_;
  std::unique_ptr<Connection> conn_;
};

// Inside a transaction every call goes to the one connection that began it.
class DuckDbStore::TxnStore final : public Store {
 public:
  explicit TxnStore(duckdb_connection conn) : conn_(conn) {}
  std::string_view backend() const override { return "duckdb"; }
  Status Execute(std::string_view sql, const Params& params) override {
    return ExecOn(conn_, sql, params);
  }
  Result<RowSet> Query(std::string_view sql, const Params& params,
                       const QueryOptions& options) override {
    return QueryOn(conn_, sql, params, options);
  }
  Status Append(const Batch& batch) override { return AppendOn(conn_, batch); }
  Status AppendColumns(const ColumnBatch& batch) override { return AppendColumnsOn(conn_, batch); }
  Status Transaction(const std::function<Status(Store&)>& body) override {
    return body(*this);  // already inside one
  }

 private:
  duckdb_connection conn_;
};

Result<std::unique_ptr<DuckDbStore>> DuckDbStore::Open(
    const std::string& path, const std::vector<std::pair<std::string, std::string>>& settings) {
  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) != DuckDBSuccess) {
    return Internal("duckdb: cannot create a config");
  }
  // No extension downloads: Coral runs offline and must not reach out.
  duckdb_set_config(config, "autoinstall_known_extensions", "false");
  duckdb_set_config(config, "autoload_known_extensions", "false");
  for (const auto& [key, value] : settings) {
    if (duckdb_set_config(config, key.c_str(), value.c_str()) != DuckDBSuccess) {
      duckdb_destroy_config(&config);
      return InvalidArgument("duckdb: setting '" + key + "=" + value +
                             "' is not a DuckDB option or not a valid value for it");
    }
  }
  duckdb_database db = nullptr;
  char* error = nullptr;
  duckdb_state state = duckdb_open_ext(path.c_str(), &db, config, &error);
  duckdb_destroy_config(&config);
  if (state != DuckDBSuccess) {
    std::string message = error != nullptr ? error : "unknown error";
    if (error != nullptr) duckdb_free(error);
    if (!settings.empty() && (message.find("onfiguration") != std::string::npos ||
                              message.find("option") != std::string::npos)) {
      return InvalidArgument("duckdb: a setting in the storage URL was refused: " + message);
    }
    if (message.find("lock") != std::string::npos) {
      return Unavailable("duckdb: " + path +
                         " is in use by another process; stop it or use another --home (" +
                         message + ")");
    }
    if (message.find("not a valid DuckDB database file") != std::string::npos ||
        message.find("orrupt") != std::string::npos ||
        message.find("checksum") != std::string::npos) {
      return Corruption("duckdb: " + path +
                        " is not a readable DuckDB database; move it aside to start fresh (" +
                        message + ")");
    }
    return IoError("duckdb: cannot open " + path + ": " + message);
  }
  return std::unique_ptr<DuckDbStore>(new DuckDbStore(db, path));
}

DuckDbStore::DuckDbStore(duckdb_database db, std::string path) : db_(db), path_(std::move(path)) {}

DuckDbStore::~DuckDbStore() {
  idle_.clear();
  duckdb_close(&db_);
}

std::string DuckDbStore::LibraryVersion() { return duckdb_library_version(); }

Result<std::unique_ptr<DuckDbStore::Connection>> DuckDbStore::Borrow() {
  {
    std::lock_guard lock(pool_mutex_);
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
  }
  duckdb_connection conn = nullptr;
  if (duckdb_connect(db_, &conn) != DuckDBSuccess) {
    return Unavailable("duckdb: cannot connect to " + path_);
  }
  return std::make_unique<Connection>(conn);
}

void DuckDbStore::Return(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(pool_mutex_);
  if (idle_.size() < 8) idle_.push_back(std::move(conn));
}

Status DuckDbStore::Execute(std::string_view sql, const Params& params) {
  Lease lease(this, CORAL_TRY(Borrow()));
  return ExecOn(lease.get(), sql, params);
}

Result<RowSet> DuckDbStore::Query(std::string_view sql, const Params& params,
                                  const QueryOptions& options) {
  Lease lease(this, CORAL_TRY(Borrow()));
  return QueryOn(lease.get(), sql, params, options);
}

Status DuckDbStore::Append(const Batch& batch) {
  Lease lease(this, CORAL_TRY(Borrow()));
  return AppendOn(lease.get(), batch);
}

Status DuckDbStore::AppendColumns(const ColumnBatch& batch) {
  Lease lease(this, CORAL_TRY(Borrow()));
  return AppendColumnsOn(lease.get(), batch);
}

Status DuckDbStore::Transaction(const std::function<Status(Store&)>& body) {
  Lease lease(this, CORAL_TRY(Borrow()));
  CORAL_TRY(ExecOn(lease.get(), "BEGIN TRANSACTION", {}));
  TxnStore txn(lease.get());
  Status status = body(txn);
  if (status.ok()) status = ExecOn(lease.get(), "COMMIT", {});
  if (!status.ok()) {
    // A failed commit already rolled back; ROLLBACK then only reports that.
    (void)ExecOn(lease.get(), "ROLLBACK", {});
  }
  return status;
}

namespace {

// RAII for results and prepared statements.
struct ResultGuard {
  duckdb_result result{};
  bool live = false;
  ~ResultGuard() {
    if (live) duckdb_destroy_result(&result);
  }
};
struct PreparedGuard {
  duckdb_prepared_statement stmt = nullptr;
  ~PreparedGuard() {
    if (stmt != nullptr) duckdb_destroy_prepare(&stmt);
  }
};
struct LogicalTypeGuard {
  duckdb_logical_type type = nullptr;
  ~LogicalTypeGuard() {
    if (type != nullptr) duckdb_destroy_logical_type(&type);
  }
};
struct ChunkGuard {
  duckdb_data_chunk chunk = nullptr;
  ~ChunkGuard() {
    if (chunk != nullptr) duckdb_destroy_data_chunk(&chunk);
  }
};

Status ResultError(duckdb_result* result, std::string_view sql) {
  std::string message = duckdb_result_error(result) ? duckdb_result_error(result) : "unknown error";
  duckdb_error_type type = duckdb_result_error_type(result);
  std::string context = "duckdb: query failed";
  std::string_view shown = sql.substr(0, 200);
  std::string text = context + ": " + message + " [in: " + std::string(shown) +
                     (sql.size() > shown.size() ? "..." : "") + "]";
  switch (type) {
    case DUCKDB_ERROR_PARSER:
    case DUCKDB_ERROR_CATALOG:
    case DUCKDB_ERROR_BINDER:
    case DUCKDB_ERROR_CONVERSION:
    case DUCKDB_ERROR_CONSTRAINT:
      return InvalidArgument(text);
    case DUCKDB_ERROR_INTERRUPT:
      return DeadlineExceeded(text);
    case DUCKDB_ERROR_IO:
      return IoError(text);
    default:
      return Internal(text);
  }
}

Status Bind(duckdb_prepared_statement stmt, const Params& params) {
  idx_t expected = duckdb_nparams(stmt);
  if (expected != params.size()) {
    return InvalidArgument("duckdb: statement takes " + std::to_string(expected) +
                           " parameters, got " + std::to_string(params.size()));
  }
  for (size_t i = 0; i < params.size(); ++i) {
    idx_t idx = i + 1;
    const Value& v = params[i];
    duckdb_state st = DuckDBSuccess;
    if (std::holds_alternative<std::monostate>(v)) {
      st = duckdb_bind_null(stmt, idx);
    } else if (auto* b = std::get_if<bool>(&v)) {
      st = duckdb_bind_boolean(stmt, idx, *b);
    } else if (auto* n = std::get_if<int64_t>(&v)) {
      st = duckdb_bind_int64(stmt, idx, *n);
    } else if (auto* d = std::get_if<double>(&v)) {
      st = duckdb_bind_double(stmt, idx, *d);
    } else if (auto* s = std::get_if<std::string>(&v)) {
      st = duckdb_bind_varchar_length(stmt, idx, s->data(), s->size());
    } else if (auto* t = std::get_if<Timestamp>(&v)) {
      st = duckdb_bind_timestamp(stmt, idx, duckdb_timestamp{t->micros});
    }
    if (st != DuckDBSuccess) {
      return InvalidArgument("duckdb: cannot bind parameter " + std::to_string(idx));
    }
  }
  return Status::Ok();
}

// Runs sql (with params, if any) into `out`.
// PermissionDenied unless `text` is exactly one SELECT.
Status CheckSelectOnly(duckdb_connection conn, const std::string& text) {
  CORAL_TRY(CheckUserSqlNames(text));
  duckdb_extracted_statements extracted = nullptr;
  idx_t n = duckdb_extract_statements(conn, text.c_str(), &extracted);
  std::string error = n == 0 && duckdb_extract_statements_error(extracted)
                          ? duckdb_extract_statements_error(extracted)
                          : "";
  duckdb_destroy_extracted(&extracted);
  if (n == 0) return InvalidArgument("duckdb: cannot parse the query: " + error);
  if (n > 1) {
    return PermissionDenied("only a single SELECT may run here; the query holds " +
                            std::to_string(n) + " statements");
  }
  PreparedGuard prepared;
  if (duckdb_prepare(conn, text.c_str(), &prepared.stmt) != DuckDBSuccess) {
    std::string e =
        duckdb_prepare_error(prepared.stmt) ? duckdb_prepare_error(prepared.stmt) : "unknown error";
    std::string message = "duckdb: cannot prepare query: " + e;
    return e.rfind("Permission Error", 0) == 0 ? PermissionDenied(message)
                                               : InvalidArgument(message);
  }
  if (duckdb_prepared_statement_type(prepared.stmt) != DUCKDB_STATEMENT_TYPE_SELECT) {
    return PermissionDenied(
        "only a single SELECT may run here; this statement would change "
        "or inspect the database in another way");
  }
  return Status::Ok();
}

// How a query's rows come back: all at once (statements, small reads), or
// chunk by chunk as the reader fetches them, so a reader that stops early
// (a row limit) never has DuckDB build the rest.
enum class Rows { kMaterialized, kStreamed };

Status Run(duckdb_connection conn, std::string_view sql, const Params& params, ResultGuard& out,
           Rows rows = Rows::kMaterialized) {
  std::string text(sql);
  if (params.empty() && rows == Rows::kMaterialized) {
    out.live = true;
    if (duckdb_query(conn, text.c_str(), &out.result) != DuckDBSuccess) {
      return ResultError(&out.result, sql);
    }
    return Status::Ok();
  }
  PreparedGuard prepared;
  if (duckdb_prepare(conn, text.c_str(), &prepared.stmt) != DuckDBSuccess) {
    const char* e = duckdb_prepare_error(prepared.stmt);
    return InvalidArgument(std::string("duckdb: cannot prepare query: ") +
                           (e ? e : "unknown error") + " [in: " + text.substr(0, 200) + "]");
  }
  CORAL_TRY(Bind(prepared.stmt, params));
  out.live = true;
  duckdb_state state = rows == Rows::kStreamed
                           ? duckdb_execute_prepared_streaming(prepared.stmt, &out.result)
                           : duckdb_execute_prepared(prepared.stmt, &out.result);
  if (state != DuckDBSuccess) return ResultError(&out.result, sql);
  return Status::Ok();
}

Status ExecOn(duckdb_connection conn, std::string_view sql, const Params& params) {
  ResultGuard result;
  return Run(conn, sql, params, result);
}

// How a result column is decoded.
struct ColumnDecoder {
  enum class Kind { kPlain, kDecimal, kEnum };
  duckdb_type type = DUCKDB_TYPE_INVALID;  // of the data; DECIMAL and ENUM: the internal type
  ColumnType coral_type = ColumnType::kNull;
  Kind kind = Kind::kPlain;
  double decimal_divisor = 1;            // DECIMAL: 10^scale
  std::vector<std::string> enum_values;  // ENUM: the dictionary
};

Result<ColumnDecoder> MakeDecoder(duckdb_result* result, idx_t col) {
  LogicalTypeGuard logical;
  logical.type = duckdb_column_logical_type(result, col);
  duckdb_type type = duckdb_get_type_id(logical.type);
  ColumnDecoder d;
  d.type = type;
  d.coral_type = ColumnType::kNull;
  using Kind = ColumnDecoder::Kind;
  switch (type) {
    case DUCKDB_TYPE_BOOLEAN:
      d.coral_type = ColumnType::kBool;
      break;
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
      d.coral_type = ColumnType::kInt64;
      break;
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE:
      d.coral_type = ColumnType::kDouble;
      break;
    case DUCKDB_TYPE_DECIMAL: {
      d.coral_type = ColumnType::kDouble;
      d.kind = Kind::kDecimal;
      d.type = duckdb_decimal_internal_type(logical.type);
      uint8_t scale = duckdb_decimal_scale(logical.type);
      for (uint8_t i = 0; i < scale; ++i) d.decimal_divisor *= 10;
      break;
    }
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB:
      d.coral_type = ColumnType::kString;
      break;
    case DUCKDB_TYPE_ENUM: {
      d.coral_type = ColumnType::kString;
      d.type = duckdb_enum_internal_type(logical.type);
      uint32_t n = duckdb_enum_dictionary_size(logical.type);
      for (uint32_t i = 0; i < n; ++i) {
        char* s = duckdb_enum_dictionary_value(logical.type, i);
        d.enum_values.emplace_back(s);
        duckdb_free(s);
      }
      d.kind = Kind::kEnum;
      break;
    }
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
    case DUCKDB_TYPE_DATE:
      d.coral_type = ColumnType::kTimestamp;
      break;
    case DUCKDB_TYPE_SQLNULL:
      d.coral_type = ColumnType::kNull;
      break;
    default:
      return InvalidArgument(std::string("duckdb: column '") + duckdb_column_name(result, col) +
                             "' has a type Coral does not read (list, struct, map, interval, uuid "
                             "...); cast it in the query, e.g. CAST(col AS VARCHAR)");
  }
  return d;
}

int64_t ClampToInt64(long double v) {
  if (v > static_cast<long double>(std::numeric_limits<int64_t>::max())) {
    return std::numeric_limits<int64_t>::max();
  }
  if (v < static_cast<long double>(std::numeric_limits<int64_t>::min())) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(v);
}

Value Decode(const ColumnDecoder& d, void* data, idx_t row) {
  auto integer = [&](duckdb_type t) -> int64_t {
    switch (t) {
      case DUCKDB_TYPE_TINYINT:
        return static_cast<int8_t*>(data)[row];
      case DUCKDB_TYPE_SMALLINT:
        return static_cast<int16_t*>(data)[row];
      case DUCKDB_TYPE_INTEGER:
        return static_cast<int32_t*>(data)[row];
      case DUCKDB_TYPE_BIGINT:
        return static_cast<int64_t*>(data)[row];
      case DUCKDB_TYPE_UTINYINT:
        return static_cast<uint8_t*>(data)[row];
      case DUCKDB_TYPE_USMALLINT:
        return static_cast<uint16_t*>(data)[row];
      case DUCKDB_TYPE_UINTEGER:
        return static_cast<uint32_t*>(data)[row];
      case DUCKDB_TYPE_UBIGINT:
        return ClampToInt64(static_cast<uint64_t*>(data)[row]);
      case DUCKDB_TYPE_HUGEINT: {
        duckdb_hugeint h = static_cast<duckdb_hugeint*>(data)[row];
        // Fits in int64 when the upper half is the sign extension of the lower.
        if ((h.upper == 0 && h.lower <= static_cast<uint64_t>(INT64_MAX)) ||
            (h.upper == -1 && h.lower > static_cast<uint64_t>(INT64_MAX))) {
          return static_cast<int64_t>(h.lower);
        }
        return ClampToInt64(duckdb_hugeint_to_double(h));
      }
      default:
        CORAL_PANIC("not an integer type");
    }
  };
  if (d.kind == ColumnDecoder::Kind::kEnum) {
    return d.enum_values.at(static_cast<size_t>(integer(d.type)));
  }
  if (d.kind == ColumnDecoder::Kind::kDecimal) {
    if (d.type == DUCKDB_TYPE_HUGEINT) {
      return duckdb_hugeint_to_double(static_cast<duckdb_hugeint*>(data)[row]) / d.decimal_divisor;
    }
    return static_cast<double>(integer(d.type)) / d.decimal_divisor;
  }
  switch (d.coral_type) {
    case ColumnType::kBool:
      return static_cast<bool*>(data)[row];
    case ColumnType::kInt64:
      return integer(d.type);
    case ColumnType::kDouble:
      if (d.type == DUCKDB_TYPE_FLOAT) return static_cast<double>(static_cast<float*>(data)[row]);
      return static_cast<double*>(data)[row];
    case ColumnType::kString: {
      duckdb_string_t* s = static_cast<duckdb_string_t*>(data) + row;
      return std::string(duckdb_string_t_data(s), duckdb_string_t_length(*s));
    }
    case ColumnType::kTimestamp: {
      int64_t raw = d.type == DUCKDB_TYPE_DATE ? static_cast<int32_t*>(data)[row]
                                               : static_cast<int64_t*>(data)[row];
      switch (d.type) {
        case DUCKDB_TYPE_TIMESTAMP_S:
          return Timestamp{raw * 1'000'000};
        case DUCKDB_TYPE_TIMESTAMP_MS:
          return Timestamp{raw * 1'000};
        case DUCKDB_TYPE_TIMESTAMP_NS:
          return Timestamp{raw / 1'000};
        case DUCKDB_TYPE_DATE:
          return Timestamp{raw * 86'400'000'000};
        default:
          return Timestamp{raw};
      }
    }
    case ColumnType::kNull:
      return std::monostate{};
  }
  CORAL_PANIC("unknown ColumnType");
}

// Interrupts a connection's running query when the deadline passes first.
class Watchdog {
 public:
  Watchdog(duckdb_connection conn, std::chrono::milliseconds timeout) {
    if (timeout.count() <= 0) return;
    thread_ = std::thread([this, conn, timeout] {
      std::unique_lock lock(mutex_);
      if (!cv_.wait_for(lock, timeout, [this] { return done_; })) {
        fired_ = true;
        duckdb_interrupt(conn);
      }
    });
  }
  ~Watchdog() { Stop(); }
  // Returns whether the deadline passed.
  bool Stop() {
    if (thread_.joinable()) {
      {
        std::lock_guard lock(mutex_);
        done_ = true;
      }
      cv_.notify_all();
      thread_.join();
    }
    return fired_;
  }

 private:
  std::mutex mutex_;  // guards done_, fired_
  std::condition_variable cv_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;
};

Result<RowSet> QueryOn(duckdb_connection conn, std::string_view sql, const Params& params,
                       const QueryOptions& options) {
  if (options.statements == Statements::kSelectOnly) {
    CORAL_TRY(CheckSelectOnly(conn, std::string(sql)));
  }
  ResultGuard result;
  // The watchdog stays up while rows are fetched: streamed, that is when
  // DuckDB does the work.
  Watchdog watchdog(conn, options.timeout);
  auto deadline = [&] {
    return DeadlineExceeded("duckdb: query stopped after the time limit of " +
                            std::to_string(options.timeout.count()) + " ms");
  };
  Status run = Run(conn, sql, params, result, Rows::kStreamed);
  if (!run.ok()) return watchdog.Stop() ? deadline() : run;
  RowSet rows;
  idx_t ncols = duckdb_column_count(&result.result);
  std::vector<ColumnDecoder> decoders;
  for (idx_t c = 0; c < ncols; ++c) {
    decoders.push_back(CORAL_TRY(MakeDecoder(&result.result, c)));
    rows.columns.push_back({duckdb_column_name(&result.result, c), decoders.back().coral_type});
  }
  size_t bytes = 0;
  while (true) {
    ChunkGuard chunk;
    chunk.chunk = duckdb_fetch_chunk(result.result);
    if (chunk.chunk == nullptr) break;
    idx_t n = duckdb_data_chunk_get_size(chunk.chunk);
    if (n == 0) break;
    std::vector<void*> data(ncols);
    std::vector<uint64_t*> validity(ncols);
    for (idx_t c = 0; c < ncols; ++c) {
      duckdb_vector vec = duckdb_data_chunk_get_vector(chunk.chunk, c);
      data[c] = duckdb_vector_get_data(vec);
      validity[c] = duckdb_vector_get_validity(vec);
    }
    for (idx_t r = 0; r < n; ++r) {
      if ((options.max_rows != 0 && rows.rows.size() >= options.max_rows) ||
          (options.max_bytes != 0 && bytes >= options.max_bytes)) {
        rows.truncated = true;
        return rows;
      }
      std::vector<Value> row(ncols);
      for (idx_t c = 0; c < ncols; ++c) {
        bool valid = validity[c] == nullptr || duckdb_validity_row_is_valid(validity[c], r);
        if (valid && decoders[c].coral_type != ColumnType::kNull) {
          row[c] = Decode(decoders[c], data[c], r);
        }
        bytes += ValueBytes(row[c]);
      }
      rows.rows.push_back(std::move(row));
    }
  }
  // A streamed result that failed part-way (out of memory, interrupted)
  // ends like one that is done: its error says which.
  if (watchdog.Stop()) return deadline();
  if (const char* e = duckdb_result_error(&result.result); e != nullptr && *e != '\0') {
    return ResultError(&result.result, sql);
  }
  return rows;
}

struct AppenderGuard {
  duckdb_appender appender = nullptr;
  ~AppenderGuard() {
    if (appender != nullptr) duckdb_appender_destroy(&appender);
  }
};

Status AppenderError(duckdb_appender a, const Batch& batch, std::string_view what) {
  const char* e = duckdb_appender_error(a);
  return InvalidArgument("duckdb: append to " + batch.table + ": " + std::string(what) + ": " +
                         (e ? e : "unknown error"));
}

Status AppendOn(duckdb_connection conn, const Batch& batch) {
  if (batch.rows.empty()) return Status::Ok();
  AppenderGuard guard;
  if (duckdb_appender_create(conn, nullptr, batch.table.c_str(), &guard.appender) !=
      DuckDBSuccess) {
    return AppenderError(guard.appender, batch, "cannot open an appender");
  }
  for (const auto& column : batch.columns) {
    if (duckdb_appender_add_column(guard.appender, column.c_str()) != DuckDBSuccess) {
      return AppenderError(guard.appender, batch, "column '" + column + "'");
    }
  }
  for (size_t r = 0; r < batch.rows.size(); ++r) {
    const auto& row = batch.rows[r];
    if (row.size() != batch.columns.size()) {
      return InvalidArgument("duckdb: append to " + batch.table + ": row " + std::to_string(r) +
                             " has " + std::to_string(row.size()) + " values for " +
                             std::to_string(batch.columns.size()) + " columns");
    }
    for (const Value& v : row) {
      duckdb_state st;
      if (std::holds_alternative<std::monostate>(v)) {
        st = duckdb_append_null(guard.appender);
      } else if (auto* b = std::get_if<bool>(&v)) {
        st = duckdb_append_bool(guard.appender, *b);
      } else if (auto* n = std::get_if<int64_t>(&v)) {
        st = duckdb_append_int64(guard.appender, *n);
      } else if (auto* d = std::get_if<double>(&v)) {
        st = duckdb_append_double(guard.appender, *d);
      } else if (auto* s = std::get_if<std::string>(&v)) {
        st = duckdb_append_varchar_length(guard.appender, s->data(), s->size());
      } else {
        st = duckdb_append_timestamp(guard.appender,
                                     duckdb_timestamp{std::get<Timestamp>(v).micros});
      }
      if (st != DuckDBSuccess) {
        return AppenderError(guard.appender, batch, "row " + std::to_string(r));
      }
    }
    if (duckdb_appender_end_row(guard.appender) != DuckDBSuccess) {
      return AppenderError(guard.appender, batch, "row " + std::to_string(r));
    }
  }
  if (duckdb_appender_close(guard.appender) != DuckDBSuccess) {
    return AppenderError(guard.appender, batch, "flush");
  }
  return Status::Ok();
}

// The DuckDB type a ColumnValues column fills.
duckdb_type DuckTypeOf(ColumnType type) {
  switch (type) {
    case ColumnType::kBool:
      return DUCKDB_TYPE_BOOLEAN;
    case ColumnType::kInt64:
      return DUCKDB_TYPE_BIGINT;
    case ColumnType::kDouble:
      return DUCKDB_TYPE_DOUBLE;
    case ColumnType::kString:
      return DUCKDB_TYPE_VARCHAR;
    case ColumnType::kTimestamp:
      return DUCKDB_TYPE_TIMESTAMP;
    case ColumnType::kNull:
      return DUCKDB_TYPE_SQLNULL;
  }
  CORAL_PANIC("unknown ColumnType");
}

// Copies rows [start, start + n) of one column into a chunk's vector.
void FillVector(duckdb_vector vec, const ColumnValues& column, size_t start, idx_t n) {
  if (column.has_nulls()) {
    duckdb_vector_ensure_validity_writable(vec);
    uint64_t* validity = duckdb_vector_get_validity(vec);
    for (idx_t i = 0; i < n; ++i) {
      if (column.is_null(start + i)) duckdb_validity_set_row_invalid(validity, i);
    }
  }
  void* data = duckdb_vector_get_data(vec);
  switch (column.type()) {
    case ColumnType::kInt64:
    case ColumnType::kTimestamp:  // duckdb_timestamp is int64 micros
      std::memcpy(data, column.ints().data() + start, n * sizeof(int64_t));
      break;
    case ColumnType::kBool: {
      auto* out = static_cast<bool*>(data);
      for (idx_t i = 0; i < n; ++i) out[i] = column.ints()[start + i] != 0;
      break;
    }
    case ColumnType::kDouble:
      std::memcpy(data, column.doubles().data() + start, n * sizeof(double));
      break;
    case ColumnType::kString:
      for (idx_t i = 0; i < n; ++i) {
        if (column.is_null(start + i)) continue;
        std::string_view v = column.strings()[start + i];
        duckdb_vector_assign_string_element_len(vec, i, v.data(), v.size());
      }
      break;
    case ColumnType::kNull:
      break;
  }
}

Status AppendColumnsOn(duckdb_connection conn, const ColumnBatch& batch) {
  CORAL_TRY(batch.Check());
  if (batch.rows() == 0) return Status::Ok();
  Batch names{batch.table, {}, {}};
  AppenderGuard guard;
  if (duckdb_appender_create(conn, nullptr, batch.table.c_str(), &guard.appender) !=
      DuckDBSuccess) {
    return AppenderError(guard.appender, names, "cannot open an appender");
  }
  std::vector<LogicalTypeGuard> types(batch.columns.size());
  std::vector<duckdb_logical_type> raw_types;
  for (size_t c = 0; c < batch.columns.size(); ++c) {
    const ColumnValues& column = batch.columns[c];
    if (duckdb_appender_add_column(guard.appender, column.name().c_str()) != DuckDBSuccess) {
      return AppenderError(guard.appender, names, "column '" + column.name() + "'");
    }
    // The chunk must carry the table's own types: say so when they differ.
    LogicalTypeGuard table_type;
    table_type.type = duckdb_appender_column_type(guard.appender, c);
    duckdb_type wanted = DuckTypeOf(column.type());
    if (table_type.type == nullptr || duckdb_get_type_id(table_type.type) != wanted) {
      return InvalidArgument("duckdb: append to " + batch.table + ": column '" + column.name() +
                             "' gets " + std::string(ColumnTypeName(column.type())) +
                             " values but has another type in the table");
    }
    types[c].type = duckdb_create_logical_type(wanted);
    raw_types.push_back(types[c].type);
  }
  ChunkGuard chunk;
  chunk.chunk = duckdb_create_data_chunk(raw_types.data(), raw_types.size());
  const size_t rows = batch.rows();
  const size_t vector_size = duckdb_vector_size();
  for (size_t start = 0; start < rows; start += vector_size) {
    idx_t n = std::min(vector_size, rows - start);
    duckdb_data_chunk_reset(chunk.chunk);
    for (size_t c = 0; c < batch.columns.size(); ++c) {
      FillVector(duckdb_data_chunk_get_vector(chunk.chunk, c), batch.columns[c], start, n);
    }
    duckdb_data_chunk_set_size(chunk.chunk, n);
    if (duckdb_append_data_chunk(guard.appender, chunk.chunk) != DuckDBSuccess) {
      return AppenderError(guard.appender, names,
                           "rows " + std::to_string(start) + ".." + std::to_string(start + n - 1));
    }
  }
  if (duckdb_appender_close(guard.appender) != DuckDBSuccess) {
    return AppenderError(guard.appender, names, "flush");
  }
  return Status::Ok();
}

}  // namespace

}  // namespace coral::storage

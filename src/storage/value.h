// Values, rows and batches that move between Coral and a Store. One small set
// of types that both backends (DuckDB, ClickHouse) map to exactly:
//   BOOLEAN, BIGINT, DOUBLE, VARCHAR, TIMESTAMP (microseconds, UTC), NULL.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"

namespace coral::storage {

struct Timestamp {
  int64_t micros = 0;  // since the Unix epoch, UTC
  bool operator==(const Timestamp&) const = default;
};

using Value = std::variant<std::monostate, bool, int64_t, double, std::string, Timestamp>;

enum class ColumnType { kNull, kBool, kInt64, kDouble, kString, kTimestamp };
std::string_view ColumnTypeName(ColumnType type);

// Plain text for a value, as tables and CSV print it (NULL prints empty;
// timestamps as RFC 3339).
std::string ValueToText(const Value& v);

// A cell read as the kind a caller's schema says it is: the value when it is
// of that kind, else the fallback (NULL reads as the fallback).
std::string TextOr(const Value& v, std::string fallback = "");
int64_t IntOr(const Value& v, int64_t fallback = 0);

// The bytes a value takes in a row, for budgets: a string's length, 8 for
// anything else.
inline size_t ValueBytes(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return s->size();
  return 8;
}

struct Column {
  std::string name;
  ColumnType type = ColumnType::kNull;
};

// A query result. Rows hold Values in column order.
struct RowSet {
  std::vector<Column> columns;
  std::vector<std::vector<Value>> rows;
  bool truncated = false;  // stopped at QueryOptions::max_rows or max_bytes

  // Index of a column by name, or NotFound.
  Result<size_t> ColumnIndex(std::string_view name) const;
};

// Rows for one table, appended in one go. `columns` name the table columns
// each row fills, in order; columns not named get their defaults.
struct Batch {
  std::string table;
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
};

using Params = std::vector<Value>;

}  // namespace coral::storage

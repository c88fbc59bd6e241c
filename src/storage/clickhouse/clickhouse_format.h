// ClickHouse's binary formats, as far as Coral's Value types need them:
// column types by name, the Native format (query results: typed, exact, and
// DateTime as Unix seconds whatever the server's time zone) and RowBinary
// (batched inserts: exact doubles, which 18.16's text parsers are not).
//
// How ClickHouse types map to Values:
//   Int8..Int64, UInt8..UInt32 -> int64; UInt64 -> int64, or an error above
//   INT64_MAX (never a wrap); Float32/Float64 -> double (exact widening);
//   Decimal(P,S) -> double; String, FixedString(N) (bytes kept as stored),
//   Enum8/Enum16 (by name) -> string; DateTime -> Timestamp (whole seconds);
//   Date -> Timestamp (midnight UTC); Nullable(X) -> X or NULL;
//   Nullable(Nothing) (a bare NULL) -> NULL. UInt8 stays int64: 18.16 has no
//   boolean type, so nothing marks a UInt8 column as holding booleans.
// Other types (Array, Tuple, UUID, LowCardinality, ...) are an error that
// asks for a CAST.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "storage/value.h"

namespace coral::storage::clickhouse {

struct ChType {
  enum class Kind {
    kInt8,
    kInt16,
    kInt32,
    kInt64,
    kUInt8,
    kUInt16,
    kUInt32,
    kUInt64,
    kFloat32,
    kFloat64,
    kDecimal32,
    kDecimal64,
    kDecimal128,
    kString,
    kFixedString,
    kEnum8,
    kEnum16,
    kDate,
    kDateTime,
    kNothing,
  };
  Kind kind = Kind::kNothing;
  bool nullable = false;
  size_t fixed_size = 0;                                 // FixedString(N)
  int scale = 0;                                         // Decimal(P, S)
  std::vector<std::pair<std::string, int>> enum_values;  // Enum8/16: name = code
  std::string name;                                      // as ClickHouse spells it
};

// Parses a type name such as "Nullable(DateTime('UTC'))" or
// "Enum8('a' = 1, 'b' = 2)". Unsupported types are InvalidArgument naming
// `column` and asking for a CAST.
Result<ChType> ParseType(std::string_view name, std::string_view column);

// The Value type a ClickHouse type reads as.
ColumnType CoralType(const ChType& type);

// Decodes a Native-format body (any number of blocks) into `rows`. With
// max_rows != 0, keeps at most max_rows rows, and with max_bytes != 0 stops
// after the row that brings the rows to max_bytes (QueryOptions); either
// sets rows->truncated when the body held more. Column names and types come
// from the first block; rows->columns must be empty on entry.
Status DecodeNative(std::string_view body, size_t max_rows, size_t max_bytes, RowSet* rows);

// Appends `value` to `out` in RowBinary for a column of `type`. Conversions:
// int64 and bool into integer columns (range-checked) and Float columns;
// double into Float columns; string into String, FixedString (padded with
// zero bytes; longer is an error) and Enum (by name); Timestamp into DateTime
// (whole seconds, rounded down), Date (whole days, rounded down) and
// Int64/UInt64 (microseconds since the epoch); NULL into Nullable columns.
// Anything else is InvalidArgument saying which value and type.
Status EncodeRowBinary(const ChType& type, const Value& value, std::string* out);

// TSV field unescaping (\t, \n, \\, \N ...), for TSVWithNamesAndTypes headers.
std::string UnescapeTsv(std::string_view field);

}  // namespace coral::storage::clickhouse

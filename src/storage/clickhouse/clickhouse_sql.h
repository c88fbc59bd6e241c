// SQL text for ClickHouse's HTTP interface, built on the client: splitting a
// script into statements, binding `?` parameters as literals, and turning
// ClickHouse's exception text into a Status.
//
// ClickHouse 18.16 has no server-side prepared statements over HTTP, so
// parameters become literals here. Every value is written so that it reads
// back as exactly that value and never as SQL: strings are quoted with every
// quote, backslash and control byte escaped; doubles go through toFloat64()
// (the VALUES fast path parses floats inexactly, the SQL parser does not).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "storage/value.h"

namespace coral::storage::clickhouse {

// One statement of a script: the text around its `?` placeholders
// (pieces.size() == placeholders + 1).
struct SqlStatement {
  std::vector<std::string> pieces;
  size_t placeholders() const { return pieces.size() - 1; }
};

// Splits on `;` outside quotes ('...', "...", `...`) and comments (-- and
// /* */), and finds `?` placeholders in the same places. Statements that hold
// only blanks and comments are dropped. An unterminated quote or comment is
// InvalidArgument.
Result<std::vector<SqlStatement>> SplitSql(std::string_view sql);

// Binds params in order across the statements (the first statement takes the
// first params). A count that does not match is InvalidArgument.
Result<std::vector<std::string>> BindParams(const std::vector<SqlStatement>& statements,
                                            const Params& params);

// A ClickHouse literal for one value:
//   NULL -> NULL; bool -> 1 / 0 (UInt8: 18.16 has no boolean type);
//   int64 -> decimal; double -> toFloat64(shortest exact form), nan, inf
//   (subnormals and -0: reinterpretAsFloat64 of the bytes);
//   string -> '...' with \\, \', and bytes below 0x20 or 0x7f as \xHH;
//   Timestamp -> toDateTime(seconds), only for whole seconds in DateTime's
//   range (1970..2106): a sub-second part is InvalidArgument, because no
//   rounding is right for every comparison; round in the caller.
Result<std::string> SqlLiteral(const Value& value);

// `name` quoted as a ClickHouse identifier (backticks).
std::string QuoteIdentifier(std::string_view name);

// What ClickHouse said: "Code: 60, e.displayText() = DB::Exception: Table
// x.t doesn't exist., e.what() = DB::Exception" -> code 60 and the text
// between. code is 0 when the body is not in that form.
struct ServerError {
  int code = 0;
  std::string message;
};
ServerError ParseServerError(std::string_view body);

// A Status whose code fits the ClickHouse error code (NotFound for an unknown
// table or database, InvalidArgument for syntax, type and column errors,
// PermissionDenied for users and passwords, DeadlineExceeded for time limits,
// ...); `context` says what was being done on which server.
Status ServerErrorStatus(int http_status, std::string_view body, std::string_view context);

}  // namespace coral::storage::clickhouse

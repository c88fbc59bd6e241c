#include "storage/clickhouse/clickhouse_sql.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace coral::storage::clickhouse {

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

// Index just past the quoted run that starts at sql[i] (a quote char), or npos
// when it never closes. Backslash escapes and doubled quotes both continue it.
size_t SkipQuoted(std::string_view sql, size_t i) {
  char quote = sql[i];
  for (size_t j = i + 1; j < sql.size(); ++j) {
    if (sql[j] == '\\') {
      ++j;
    } else if (sql[j] == quote) {
      if (j + 1 < sql.size() && sql[j + 1] == quote) {
        ++j;
      } else {
        return j + 1;
      }
    }
  }
  return std::string_view::npos;
}

}  // namespace

Result<std::vector<SqlStatement>> SplitSql(std::string_view sql) {
  std::vector<SqlStatement> out;
  SqlStatement current{{""}};
  bool has_code = false;  // the current statement holds more than blanks and comments
  auto finish = [&] {
    if (has_code) out.push_back(std::move(current));
    current = SqlStatement{{""}};
    has_code = false;
  };
  size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\'' || c == '"' || c == '`') {
      size_t end = SkipQuoted(sql, i);
      if (end == std::string_view::npos) {
        return InvalidArgument("clickhouse: SQL has an unterminated " + std::string(1, c) +
                               " quote starting at offset " + std::to_string(i));
      }
      current.pieces.back().append(sql.substr(i, end - i));
      has_code = true;
      i = end;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      size_t end = sql.find('\n', i);
      if (end == std::string_view::npos) end = sql.size();
      current.pieces.back().append(sql.substr(i, end - i));
      i = end;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      if (end == std::string_view::npos) {
        return InvalidArgument(
            "clickhouse: SQL has an unterminated /* comment starting at offset " +
            std::to_string(i));
      }
      current.pieces.back().append(sql.substr(i, end + 2 - i));
      i = end + 2;
    } else if (c == ';') {
      finish();
      ++i;
    } else if (c == '?') {
      current.pieces.emplace_back();
      has_code = true;
      ++i;
    } else {
      current.pieces.back().push_back(c);
      if (!IsBlank(c)) has_code = true;
      ++i;
    }
  }
  finish();
  return out;
}

Result<std::vector<std::string>> BindParams(const std::vector<SqlStatement>& statements,
                                            const Params& params) {
  size_t expected = 0;
  for (const auto& s : statements) expected += s.placeholders();
  if (expected != params.size()) {
    return InvalidArgument("clickhouse: statement takes " + std::to_string(expected) +
                           " parameters, got " + std::to_string(params.size()));
  }
  std::vector<std::string> out;
  size_t next = 0;
  for (const auto& s : statements) {
    std::string text = s.pieces[0];
    for (size_t p = 1; p < s.pieces.size(); ++p) {
      Result<std::string> literal = SqlLiteral(params[next]);
      if (!literal.ok()) {
        return literal.status().WithContext("parameter " + std::to_string(next + 1));
      }
      ++next;
      text += *literal;
      text += s.pieces[p];
    }
    out.push_back(std::move(text));
  }
  return out;
}

Result<std::string> SqlLiteral(const Value& value) {
  struct Visitor {
    Result<std::string> operator()(std::monostate) const { return std::string("NULL"); }
    Result<std::string> operator()(bool b) const { return std::string(b ? "1" : "0"); }
    Result<std::string> operator()(int64_t n) const {
      // A leading blank keeps "x -?" from turning into a "--" comment.
      return (n < 0 ? " " : "") + std::to_string(n);
    }
    Result<std::string> operator()(double d) const {
      if (std::isnan(d)) return std::string("toFloat64(nan)");
      if (std::isinf(d)) return std::string(d > 0 ? "toFloat64(inf)" : "toFloat64(-inf)");
      if (d == 0 ? std::signbit(d) : std::fpclassify(d) == FP_SUBNORMAL) {
        // 18.16 reads subnormal literals as identifiers and -0 as the integer
        // 0: spell out the bits instead.
        uint64_t bits;
        std::memcpy(&bits, &d, sizeof bits);
        char hex[17];
        for (int i = 0; i < 8; ++i) {
          std::snprintf(hex + 2 * i, 3, "%02X", static_cast<unsigned>((bits >> (8 * i)) & 0xff));
        }
        return "reinterpretAsFloat64(unhex('" + std::string(hex, 16) + "'))";
      }
      char buf[64];
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
      CORAL_CHECK(ec == std::errc(), "to_chars(double) cannot fail with 64 bytes");
      return "toFloat64(" + std::string(buf, end) + ")";
    }
    Result<std::string> operator()(const std::string& s) const {
      std::string out = "'";
      out.reserve(s.size() + 2);
      for (unsigned char c : s) {
        if (c == '\\' || c == '\'') {
          out.push_back('\\');
          out.push_back(static_cast<char>(c));
        } else if (c < 0x20 || c == 0x7f) {
          char hex[5];
          std::snprintf(hex, sizeof(hex), "\\x%02X", c);
          out += hex;
        } else {
          out.push_back(static_cast<char>(c));
        }
      }
      out.push_back('\'');
      return out;
    }
    Result<std::string> operator()(Timestamp t) const {
      constexpr int64_t kMicros = 1'000'000;
      if (t.micros % kMicros != 0) {
        return InvalidArgument(
            "clickhouse: a Timestamp parameter has a sub-second part (" + std::to_string(t.micros) +
            " us) and ClickHouse 18.16's DateTime holds whole seconds; round it in the caller, "
            "or compare an Int64 microseconds column with an int64");
      }
      int64_t seconds = t.micros / kMicros;
      if (seconds < 0 || seconds > int64_t{UINT32_MAX}) {
        return InvalidArgument("clickhouse: Timestamp " + std::to_string(seconds) +
                               " s is outside DateTime's range (1970-01-01 to 2106-02-07)");
      }
      return "toDateTime(" + std::to_string(seconds) + ")";
    }
  };
  return std::visit(Visitor{}, value);
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('`');
  return out;
}

ServerError ParseServerError(std::string_view body) {
  ServerError e;
  constexpr std::string_view kCode = "Code: ";
  size_t at = body.find(kCode);
  if (at == std::string_view::npos) {
    e.message = std::string(body.substr(0, 500));
    while (!e.message.empty() && IsBlank(e.message.back())) e.message.pop_back();
    return e;
  }
  const char* digits = body.data() + at + kCode.size();
  std::from_chars(digits, body.data() + body.size(), e.code);
  std::string_view rest = body.substr(at);
  constexpr std::string_view kText = "DB::Exception: ";
  size_t text = rest.find(kText);
  if (text == std::string_view::npos) {
    e.message = std::string(rest.substr(0, 500));
  } else {
    rest.remove_prefix(text + kText.size());
    size_t end = rest.rfind(", e.what() = ");
    e.message = std::string(rest.substr(0, end));
  }
  while (!e.message.empty() && IsBlank(e.message.back())) e.message.pop_back();
  return e;
}

Status ServerErrorStatus(int http_status, std::string_view body, std::string_view context) {
  ServerError e = ParseServerError(body);
  std::string text = std::string(context) + ": " + e.message;
  if (e.code != 0) text += " (ClickHouse error code " + std::to_string(e.code) + ")";
  switch (e.code) {
    case 60:  // UNKNOWN_TABLE
    case 81:  // UNKNOWN_DATABASE
      return NotFound(text);
    case 57:  // TABLE_ALREADY_EXISTS
    case 82:  // DATABASE_ALREADY_EXISTS
      return AlreadyExists(text);
    case 159:  // TIMEOUT_EXCEEDED
    case 160:  // TOO_SLOW
      return DeadlineExceeded(text);
    case 164:  // READONLY
    case 192:  // UNKNOWN_USER
    case 193:  // WRONG_PASSWORD
    case 194:  // REQUIRED_PASSWORD
    case 195:  // IP_ADDRESS_NOT_ALLOWED
    case 497:  // ACCESS_DENIED
      return PermissionDenied(text + "; check user and password in the storage URL");
    case 201:  // QUOTA_EXPIRED
    case 241:  // MEMORY_LIMIT_EXCEEDED
    case 396:  // TOO_MANY_ROWS_OR_BYTES
      return ResourceExhausted(text);
    case 202:  // TOO_MANY_SIMULTANEOUS_QUERIES
    case 209:  // SOCKET_TIMEOUT
    case 210:  // NETWORK_ERROR
    case 394:  // QUERY_WAS_CANCELLED
      return Unavailable(text);
    case 6:    // CANNOT_PARSE_TEXT
    case 10:   // NOT_FOUND_COLUMN_IN_BLOCK
    case 16:   // NO_SUCH_COLUMN_IN_TABLE
    case 20:   // NUMBER_OF_COLUMNS_DOESNT_MATCH
    case 26:   // CANNOT_PARSE_QUOTED_STRING
    case 27:   // CANNOT_PARSE_INPUT_ASSERTION_FAILED
    case 33:   // CANNOT_READ_ALL_DATA
    case 36:   // BAD_ARGUMENTS
    case 38:   // CANNOT_PARSE_DATE
    case 41:   // CANNOT_PARSE_DATETIME
    case 42:   // NUMBER_OF_ARGUMENTS_DOESNT_MATCH
    case 43:   // ILLEGAL_TYPE_OF_ARGUMENT
    case 44:   // ILLEGAL_COLUMN
    case 46:   // UNKNOWN_FUNCTION
    case 47:   // UNKNOWN_IDENTIFIER
    case 48:   // NOT_IMPLEMENTED
    case 50:   // UNKNOWN_TYPE
    case 53:   // TYPE_MISMATCH
    case 62:   // SYNTAX_ERROR
    case 63:   // UNKNOWN_AGGREGATE_FUNCTION
    case 70:   // CANNOT_CONVERT_TYPE
    case 72:   // CANNOT_PARSE_NUMBER
    case 73:   // UNKNOWN_FORMAT
    case 115:  // UNKNOWN_SETTING
    case 117:  // INCORRECT_DATA
    case 179:  // MULTIPLE_EXPRESSIONS_FOR_ALIAS
    case 184:  // ILLEGAL_AGGREGATION
    case 215:  // NOT_AN_AGGREGATE
    case 321:  // ARGUMENT_OUT_OF_BOUND / value out of range
    case 349:  // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
      return InvalidArgument(text);
    default:
      if (http_status >= 400 && http_status < 500 && e.code == 0) return InvalidArgument(text);
      return Internal(text);
  }
}

}  // namespace coral::storage::clickhouse

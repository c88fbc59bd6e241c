#include "storage/sql_guard.h"

#include <array>
#include <string>

namespace coral::storage {

namespace {

bool IsIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Why `name` (lower case) may not be used, or "" when it may.
std::string_view Refused(const std::string& name) {
  // pragma: DuckDB runs some PRAGMAs (database_list) as SELECTs.
  static constexpr std::array<std::string_view, 20> kExact = {
      "current_setting", "getsetting", "getenv", "system",      "file",         "url",   "remote",
      "remotesecure",    "cluster",    "mysql",  "jdbc",        "odbc",         "hdfs",  "s3",
      "input",           "executable", "glob",   "getvariable", "which_secret", "pragma"};
  for (std::string_view e : kExact) {
    if (name == e) return "settings, the environment, the server's own tables or other sources";
  }
  for (std::string_view prefix : {"pragma_", "duckdb_", "read_"}) {
    if (name.rfind(prefix, 0) == 0) {
      return "settings, the environment, the server's own tables or other sources";
    }
  }
  return "";
}

}  // namespace

Status CheckUserSqlNames(std::string_view sql) {
  size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    if (c == '\'') {  // a string literal: '' escapes a quote
      for (++i; i < sql.size(); ++i) {
        if (sql[i] == '\'') {
          if (i + 1 < sql.size() && sql[i + 1] == '\'') {
            ++i;
            continue;
          }
          break;
        }
        if (sql[i] == '\\' && i + 1 < sql.size()) ++i;  // ClickHouse escapes
      }
      ++i;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else if (c == '"' || c == '`') {  // a quoted identifier
      size_t end = i + 1;
      std::string name;
      for (; end < sql.size(); ++end) {
        if (sql[end] == c) {
          if (end + 1 < sql.size() && sql[end + 1] == c) {
            name += c;
            ++end;
            continue;
          }
          break;
        }
        name += sql[end];
      }
      std::string lower = Lower(name);
      if (std::string_view why = Refused(lower); !why.empty()) {
        return PermissionDenied("queries here may not use " + lower.substr(0, 60) + " (" +
                                std::string(why) + "); ask about the colony's tables");
      }
      i = end + 1;
    } else if (IsIdentChar(c)) {
      size_t end = i;
      while (end < sql.size() && IsIdentChar(sql[end])) ++end;
      std::string lower = Lower(sql.substr(i, end - i));
      if (std::string_view why = Refused(lower); !why.empty()) {
        return PermissionDenied("queries here may not use " + lower.substr(0, 60) + " (" +
                                std::string(why) + "); ask about the colony's tables");
      }
      i = end;
    } else {
      ++i;
    }
  }
  return Status::Ok();
}

}  // namespace coral::storage

#include "storage/value.h"

#include <fmt/format.h>

#include "base/clock.h"

namespace coral::storage {

std::string_view ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kNull:
      return "NULL";
    case ColumnType::kBool:
      return "BOOLEAN";
    case ColumnType::kInt64:
      return "BIGINT";
    case ColumnType::kDouble:
      return "DOUBLE";
    case ColumnType::kString:
      return "VARCHAR";
    case ColumnType::kTimestamp:
      return "TIMESTAMP";
  }
  CORAL_PANIC("unknown ColumnType");
}

std::string ValueToText(const Value& v) {
  struct Visitor {
    std::string operator()(std::monostate) const { return ""; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return fmt::format("{}", d); }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(Timestamp t) const { return FormatRfc3339(FromUnixMicros(t.micros)); }
  };
  return std::visit(Visitor{}, v);
}

Result<size_t> RowSet::ColumnIndex(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) return i;
  }
  return NotFound("result has no column '" + std::string(name) + "'");
}

std::string TextOr(const Value& v, std::string fallback) {
  const auto* s = std::get_if<std::string>(&v);
  return s ? *s : fallback;
}

int64_t IntOr(const Value& v, int64_t fallback) {
  const auto* i = std::get_if<int64_t>(&v);
  return i ? *i : fallback;
}

}  // namespace coral::storage

#include "storage/column_batch.h"

#include "base/check.h"

namespace coral::storage {

size_t ColumnValues::size() const {
  switch (type_) {
    case ColumnType::kDouble:
      return doubles_.size();
    case ColumnType::kString:
      return strings_.size();
    default:
      return ints_.size();
  }
}

void ColumnValues::Reserve(size_t rows) {
  switch (type_) {
    case ColumnType::kDouble:
      doubles_.reserve(rows);
      break;
    case ColumnType::kString:
      strings_.reserve(rows);
      break;
    default:
      ints_.reserve(rows);
  }
}

void ColumnValues::Expect(ColumnType type) const {
  if (type_ != type) {
    CORAL_PANIC("column '" + name_ + "' holds " + std::string(ColumnTypeName(type_)) + ", not " +
                std::string(ColumnTypeName(type)));
  }
}

void ColumnValues::MarkValid() {
  if (!nulls_.empty()) nulls_.push_back(0);
}

void ColumnValues::AddInt(int64_t v) {
  Expect(ColumnType::kInt64);
  MarkValid();
  ints_.push_back(v);
}

void ColumnValues::AddBool(bool v) {
  Expect(ColumnType::kBool);
  MarkValid();
  ints_.push_back(v ? 1 : 0);
}

void ColumnValues::AddDouble(double v) {
  Expect(ColumnType::kDouble);
  MarkValid();
  doubles_.push_back(v);
}

void ColumnValues::AddTimestamp(Timestamp t) {
  Expect(ColumnType::kTimestamp);
  MarkValid();
  ints_.push_back(t.micros);
}

void ColumnValues::AddString(std::string_view v) {
  Expect(ColumnType::kString);
  MarkValid();
  strings_.push_back(v);
}

void ColumnValues::AddNull() {
  if (nulls_.empty()) nulls_.assign(size(), 0);
  nulls_.push_back(1);
  switch (type_) {
    case ColumnType::kDouble:
      doubles_.push_back(0);
      break;
    case ColumnType::kString:
      strings_.emplace_back();
      break;
    default:
      ints_.push_back(0);
  }
}

void ColumnValues::Extend(const ColumnValues& more) {
  Expect(more.type_);
  if (!more.nulls_.empty() && nulls_.empty()) nulls_.assign(size(), 0);
  if (!nulls_.empty()) {
    if (more.nulls_.empty()) {
      nulls_.resize(nulls_.size() + more.size(), 0);
    } else {
      nulls_.insert(nulls_.end(), more.nulls_.begin(), more.nulls_.end());
    }
  }
  ints_.insert(ints_.end(), more.ints_.begin(), more.ints_.end());
  doubles_.insert(doubles_.end(), more.doubles_.begin(), more.doubles_.end());
  strings_.insert(strings_.end(), more.strings_.begin(), more.strings_.end());
}

Value ColumnValues::ValueAt(size_t row) const {
  if (is_null(row)) return std::monostate{};
  switch (type_) {
    case ColumnType::kNull:
      return std::monostate{};
    case ColumnType::kBool:
      return ints_[row] != 0;
    case ColumnType::kInt64:
      return ints_[row];
    case ColumnType::kDouble:
      return doubles_[row];
    case ColumnType::kString:
      return std::string(strings_[row]);
    case ColumnType::kTimestamp:
      return Timestamp{ints_[row]};
  }
  CORAL_PANIC("unknown ColumnType");
}

Status ColumnBatch::Check() const {
  size_t n = rows();
  for (const auto& c : columns) {
    if (c.size() != n) {
      return InvalidArgument("append to " + table + ": column '" + c.name() + "' has " +
                             std::to_string(c.size()) + " values, column '" +
                             columns.front().name() + "' has " + std::to_string(n));
    }
  }
  return Status::Ok();
}

Batch ColumnBatch::ToBatch() const {
  Batch batch{table, {}, {}};
  for (const auto& c : columns) batch.columns.push_back(c.name());
  batch.rows.resize(rows());
  for (size_t r = 0; r < batch.rows.size(); ++r) {
    batch.rows[r].reserve(columns.size());
    for (const auto& c : columns) batch.rows[r].push_back(c.ValueAt(r));
  }
  return batch;
}

}  // namespace coral::storage

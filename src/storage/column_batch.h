// ColumnBatch: rows for one table held column by column, the hot-path twin of
// Batch. A backend appends it without building a Value per cell (DuckDB: one
// data chunk per 2048 rows), and a writer fills it straight from its own
// model. Strings are views: the text they point to must stay alive and
// unchanged until the append returns.
//
// Thread-safety: a plain value; fill it on one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/value.h"

namespace coral::storage {

// One column's values, all of one type. NULLs are kept aside: `nulls` is
// empty until the first NULL, then holds one flag per row.
class ColumnValues {
 public:
  ColumnValues(std::string name, ColumnType type) : name_(std::move(name)), type_(type) {}

  const std::string& name() const { return name_; }
  ColumnType type() const { return type_; }
  size_t size() const;
  void Reserve(size_t rows);

  // Each Add must match the column's type (checked: a mismatch is a bug).
  void AddInt(int64_t v);  // kInt64
  void AddBool(bool v);    // kBool
  void AddDouble(double v);
  void AddTimestamp(Timestamp t);
  void AddString(std::string_view v);  // kString; the text must outlive the append
  void AddNull();
  // Appends every value of `more`, a column of the same type (checked); its
  // strings are views, so their text must outlive this column's append too.
  void Extend(const ColumnValues& more);

  bool is_null(size_t row) const { return !nulls_.empty() && nulls_[row] != 0; }
  bool has_nulls() const { return !nulls_.empty(); }
  // kInt64, kTimestamp (micros) and kBool (0 or 1) values.
  const std::vector<int64_t>& ints() const { return ints_; }
  const std::vector<double>& doubles() const { return doubles_; }
  const std::vector<std::string_view>& strings() const { return strings_; }
  // The value of one row, as a row-wise Batch would hold it.
  Value ValueAt(size_t row) const;

 private:
  void MarkValid();
  void Expect(ColumnType type) const;

  std::string name_;
  ColumnType type_;
  std::vector<int64_t> ints_;
  std::vector<double> doubles_;
  std::vector<std::string_view> strings_;
  std::vector<uint8_t> nulls_;
};

struct ColumnBatch {
  std::string table;
  std::vector<ColumnValues> columns;

  // Rows: the size of the first column (all columns must agree).
  size_t rows() const { return columns.empty() ? 0 : columns.front().size(); }
  // InvalidArgument when columns differ in length.
  Status Check() const;
  // The same rows as a row-wise Batch (for backends without a columnar path).
  Batch ToBatch() const;
};

}  // namespace coral::storage

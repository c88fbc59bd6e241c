#include "analysis/sql.h"

namespace coral::analysis {

Result<storage::RowSet> ReadOnlySql(storage::Store& store, const SqlQuery& q) {
  if (q.max_rows < 1 || q.max_rows > kMaxSqlRows) {
    return InvalidArgument("the row limit must be 1.." + std::to_string(kMaxSqlRows));
  }
  if (q.timeout.count() <= 0 || q.timeout > kMaxSqlTimeout) {
    return InvalidArgument("the time limit must be above 0 and at most 5m");
  }
  if (q.sql.find_first_not_of(" \t\r\n") == std::string::npos) {
    return InvalidArgument("the query is empty; write one SELECT");
  }
  if (q.sql.size() > 64 * 1024) return InvalidArgument("a query is at most 64 KiB");
  return store.Query(q.sql, {},
                     {.max_rows = static_cast<size_t>(q.max_rows),
                      .timeout = q.timeout,
                      .statements = storage::Statements::kSelectOnly});
}

}  // namespace coral::analysis

#include "agent/store/agent_store.h"

#include <algorithm>

#include "agent/store/agent_schema.h"
#include "base/log.h"

namespace coral::agent {

using storage::Value;

Result<std::unique_ptr<AgentStore>> AgentStore::Open(const std::string& url, const Clock& clock) {
  auto store = CORAL_TRY(storage::OpenStore(url));
  CORAL_TRY(store->Migrate(AgentMigrations()));
  std::unique_ptr<AgentStore> agent(new AgentStore(std::move(store), clock));
  // The largest sequence ever given: still in its table, or recorded in
  // seq_state when pruning deleted it.
  std::string sql = "SELECT tbl, last_seq FROM seq_state";
  for (const auto& table : AgentTables()) {
    sql += " UNION ALL SELECT '" + table + "', max(seq) FROM " + table;
  }
  auto rows = CORAL_TRY(agent->store_->Query(sql));
  for (const auto& r : rows.rows) {
    if (!std::holds_alternative<int64_t>(r[1])) continue;  // an empty table
    int64_t& last = agent->last_seq_[std::get<std::string>(r[0])];
    last = std::max(last, std::get<int64_t>(r[1]));
  }
  return agent;
}

Status AgentStore::CheckTable(const std::string& table) const {
  const auto& tables = AgentTables();
  if (std::find(tables.begin(), tables.end(), table) == tables.end()) {
    return InvalidArgument("agent store: no table '" + table + "'");
  }
  return Status::Ok();
}

int64_t AgentStore::LastSeq(const std::string& table) {
  std::lock_guard lock(append_mutex_);
  auto it = last_seq_.find(table);
  return it == last_seq_.end() ? 0 : it->second;
}

Status AgentStore::Append(const std::string& table, const std::vector<std::string>& columns,
                          std::vector<std::vector<Value>> rows) {
  CORAL_TRY(CheckTable(table));
  if (rows.empty()) return Status::Ok();
  std::lock_guard lock(append_mutex_);
  int64_t first = last_seq_[table] + 1;
  storage::Batch batch{table, {"seq", "ts"}, {}};
  batch.columns.insert(batch.columns.end(), columns.begin(), columns.end());
  storage::Timestamp now{ToUnixMicros(clock_.Now())};
  int64_t seq = first;
  batch.rows.reserve(rows.size());
  for (auto& r : rows) {
    std::vector<Value> full;
    full.reserve(r.size() + 2);
    full.push_back(seq++);
    full.push_back(now);
    for (auto& v : r) full.push_back(std::move(v));
    batch.rows.push_back(std::move(full));
  }
  // One append is one transaction: the rows land together or not at all.
  CORAL_TRY(store_->Append(batch));
  last_seq_[table] = seq - 1;
  return Status::Ok();
}

Status AgentStore::AppendColumns(storage::ColumnBatch batch) {
  CORAL_TRY(CheckTable(batch.table));
  CORAL_TRY(batch.Check());
  size_t rows = batch.rows();
  if (rows == 0) return Status::Ok();
  using storage::ColumnType;
  storage::ColumnValues seq("seq", ColumnType::kInt64), ts("ts", ColumnType::kTimestamp);
  seq.Reserve(rows);
  ts.Reserve(rows);
  std::lock_guard lock(append_mutex_);
  int64_t first = last_seq_[batch.table] + 1;
  storage::Timestamp now{ToUnixMicros(clock_.Now())};
  for (size_t i = 0; i < rows; ++i) {
    seq.AddInt(first + static_cast<int64_t>(i));
    ts.AddTimestamp(now);
  }
  batch.columns.insert(batch.columns.begin(), {std::move(seq), std::move(ts)});
  CORAL_TRY(store_->AppendColumns(batch));
  last_seq_[batch.table] = first + static_cast<int64_t>(rows) - 1;
  return Status::Ok();
}

Result<TablePage> AgentStore::Read(const std::string& table, int64_t after_seq, int limit) {
  CORAL_TRY(CheckTable(table));
  if (limit <= 0 || limit > 100'000) {
    return InvalidArgument("agent store: limit must be 1..100000, got " + std::to_string(limit));
  }
  // Table names are checked against the fixed list above, so splicing is safe.
  auto rows =
      CORAL_TRY(store_->Query("SELECT * FROM " + table + " WHERE seq > ? ORDER BY seq LIMIT ?",
                              {after_seq, int64_t{limit + 1}}));
  TablePage page;
  page.table = table;
  page.columns = rows.columns;
  page.more = rows.rows.size() > static_cast<size_t>(limit);
  if (page.more) rows.rows.resize(static_cast<size_t>(limit));
  page.rows = std::move(rows.rows);
  page.next_seq = page.rows.empty() ? after_seq : std::get<int64_t>(page.rows.back()[0]);
  auto oldest = CORAL_TRY(store_->Query("SELECT min(seq) FROM " + table));
  if (!oldest.rows.empty() && std::holds_alternative<int64_t>(oldest.rows[0][0])) {
    page.oldest_seq = std::get<int64_t>(oldest.rows[0][0]);
  }
  return page;
}

Result<int64_t> AgentStore::UsedBytes() {
  auto rows = CORAL_TRY(
      store_->Query("SELECT block_size, used_blocks, wal_size FROM pragma_database_size()"));
  if (rows.rows.empty()) return int64_t{0};
  auto as_int = [](const Value& v) -> int64_t {
    return std::holds_alternative<int64_t>(v) ? std::get<int64_t>(v) : 0;
  };
  return as_int(rows.rows[0][0]) * as_int(rows.rows[0][1]);
}

Status AgentStore::DeleteRecordingSeq(const std::string& table, const std::string& where,
                                      const Value& param) {
  return store_->Transaction([&](storage::Store& txn) -> Status {
    CORAL_TRY(txn.Execute("INSERT INTO seq_state SELECT ?, max(seq) FROM " + table + " WHERE " +
                              where +
                              " HAVING max(seq) IS NOT NULL ON CONFLICT (tbl) DO UPDATE SET "
                              "last_seq = greatest(seq_state.last_seq, excluded.last_seq)",
                          {table, param}));
    return txn.Execute("DELETE FROM " + table + " WHERE " + where, {param});
  });
}

Result<PruneResult> AgentStore::Prune(Duration retention, int64_t max_bytes) {
  PruneResult result;
  storage::Timestamp cutoff{
      ToUnixMicros(clock_.Now()) -
      std::chrono::duration_cast<std::chrono::microseconds>(retention).count()};
  for (const auto& table : AgentTables()) {
    auto before =
        CORAL_TRY(store_->Query("SELECT count(*) FROM " + table + " WHERE ts < ?", {cutoff}));
    int64_t n = std::get<int64_t>(before.rows[0][0]);
    if (n == 0) continue;
    CORAL_TRY(DeleteRecordingSeq(table, "ts < ?", cutoff));
    result.rows_by_age += n;
  }
  if (result.rows_by_age > 0) CORAL_TRY(store_->Execute("CHECKPOINT"));
  // Over the cap: drop the oldest fifth of every table, a bounded number of times.
  for (int round = 0; round < 5; ++round) {
    int64_t used = CORAL_TRY(UsedBytes());
    if (used <= max_bytes) break;
    for (const auto& table : AgentTables()) {
      auto q = CORAL_TRY(store_->Query("SELECT min(seq), max(seq) FROM " + table));
      if (!std::holds_alternative<int64_t>(q.rows[0][0])) continue;
      int64_t lo = std::get<int64_t>(q.rows[0][0]), hi = std::get<int64_t>(q.rows[0][1]);
      int64_t upto = lo + std::max<int64_t>(1, (hi - lo + 1) / 5) - 1;
      auto c =
          CORAL_TRY(store_->Query("SELECT count(*) FROM " + table + " WHERE seq <= ?", {upto}));
      result.rows_by_size += std::get<int64_t>(c.rows[0][0]);
      CORAL_TRY(DeleteRecordingSeq(table, "seq <= ?", upto));
    }
    CORAL_TRY(store_->Execute("CHECKPOINT"));
    CORAL_LOG_WARN("agent store: {} MB used, over the cap of {} MB; pruned the oldest rows early",
                   used >> 20, max_bytes >> 20);
  }
  return result;
}

}  // namespace coral::agent

#include "agent/store/agent_store.h"

#include <algorithm>
#include <filesystem>
#include <limits>

#include "agent/store/agent_schema.h"
#include "base/log.h"

namespace coral::agent {

using storage::Value;

Result<std::unique_ptr<AgentStore>> AgentStore::Open(const std::string& url, const Clock& clock,
                                                     StagingOptions staging) {
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
  if (!staging.journal_dir.empty()) {
    for (const auto& table : staging.tables) CORAL_TRY(agent->CheckTable(table));
    if (staging.flush_rows == 0) return InvalidArgument("agent store: flush_rows must be > 0");
    agent->staging_ = std::move(staging);
    agent->journal_ =
        CORAL_TRY(storage::ColumnJournal::Open(agent->staging_.journal_dir, "staged"));
    // Segments left by the last run hold rows promised but perhaps not
    // stored: store what DuckDB lacks (rows carry their seq) before anything
    // else is staged.
    for (const auto& table : agent->staging_.tables) {
      agent->stored_seq_[table] = agent->last_seq_[table];
    }
    agent->closed_segments_ = agent->journal_->ClosedSegments();
    if (!agent->closed_segments_.empty()) {
      CORAL_TRY(agent->StoreStaged(std::numeric_limits<size_t>::max()));
    }
    for (const auto& [table, seq] : agent->stored_seq_) {
      agent->last_seq_[table] = std::max(agent->last_seq_[table], seq);
    }
    agent->flusher_ = std::thread([a = agent.get()] { a->FlushLoop(); });
  }
  return agent;
}

AgentStore::~AgentStore() {
  {
    std::lock_guard lock(stage_mutex_);
    stopping_ = true;
  }
  stage_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  if (Status s = Flush(); !s.ok()) {
    CORAL_LOG_WARN("agent store: staged rows stay in the journal for the next start: {}",
                   s.ToString());
  }
}

bool AgentStore::IsStaged(const std::string& table) const {
  return journal_ != nullptr &&
         std::find(staging_.tables.begin(), staging_.tables.end(), table) != staging_.tables.end();
}

namespace {

// Appends rows [from, to) of src to dst (same table and columns, or dst empty).
void AppendRows(const storage::ColumnBatch& src, size_t from, size_t to,
                storage::ColumnBatch* dst) {
  using storage::ColumnType;
  if (dst->columns.empty()) {
    dst->table = src.table;
    for (const auto& c : src.columns) dst->columns.emplace_back(c.name(), c.type());
  }
  for (size_t c = 0; c < src.columns.size(); ++c) {
    const storage::ColumnValues& in = src.columns[c];
    storage::ColumnValues& out = dst->columns[c];
    for (size_t r = from; r < to; ++r) {
      if (in.is_null(r)) {
        out.AddNull();
        continue;
      }
      switch (in.type()) {
        case ColumnType::kInt64:
          out.AddInt(in.ints()[r]);
          break;
        case ColumnType::kTimestamp:
          out.AddTimestamp(storage::Timestamp{in.ints()[r]});
          break;
        case ColumnType::kBool:
          out.AddBool(in.ints()[r] != 0);
          break;
        case ColumnType::kDouble:
          out.AddDouble(in.doubles()[r]);
          break;
        case ColumnType::kString:
          out.AddString(in.strings()[r]);
          break;
        case ColumnType::kNull:
          out.AddNull();
          break;
      }
    }
  }
}

}  // namespace

Result<size_t> AgentStore::StoreStaged(size_t max_rows) {
  // Rows are appended a few thousand at a time, so neither the decoded views
  // nor DuckDB's appender buffer hold much; the one transaction makes them
  // land together, in sequence order.
  constexpr size_t kAppendRows = 16'384;
  std::map<std::string, int64_t> stored = stored_seq_;
  int64_t skipped_bytes = 0;
  size_t rows = 0;
  uint64_t stop_offset = 0;   // where the next flush resumes, in the segment it stopped in
  size_t whole_segments = 0;  // read to their end: removable once committed
  CORAL_TRY(store_->Transaction([&](storage::Store& txn) -> Status {
    std::map<std::string, storage::ColumnBatch> batches;
    std::vector<std::unique_ptr<std::string>> held;  // the text the batches view
    size_t held_rows = 0;
    auto append = [&]() -> Status {
      for (auto& [table, batch] : batches) {
        if (batch.rows() > 0) CORAL_TRY(txn.AppendColumns(batch));
      }
      batches.clear();
      held.clear();
      held_rows = 0;
      return Status::Ok();
    };
    auto take = [&](uint64_t offset, std::unique_ptr<std::string> payload) -> Result<bool> {
      stop_offset = offset;
      if (rows == max_rows) return false;
      storage::ColumnBatch record;
      CORAL_TRY(storage::DecodeJournalPayload(*payload, &record));
      if (record.rows() == 0 || record.columns[0].name() != "seq" || !IsStaged(record.table)) {
        return Corruption("journal record for '" + record.table + "' holds no staged rows");
      }
      // A record's rows have consecutive sequences. Those DuckDB has were
      // stored by an earlier flush that stopped inside this segment, or
      // before a crash that left the segment behind.
      int64_t first = record.columns[0].ints().front();
      int64_t& last = stored[record.table];
      size_t from = first > last ? 0
                                 : static_cast<size_t>(std::min<int64_t>(
                                       last - first + 1, static_cast<int64_t>(record.rows())));
      size_t to = from + std::min(record.rows() - from, max_rows - rows);
      if (from == to) return true;
      AppendRows(record, from, to, &batches[record.table]);
      last = first + static_cast<int64_t>(to) - 1;
      rows += to - from;
      held_rows += to - from;
      held.push_back(std::move(payload));
      if (held_rows >= kAppendRows) CORAL_TRY(append());
      return to == record.rows();  // else max_rows is reached inside this record
    };
    for (uint64_t id : closed_segments_) {
      bool whole = true;
      uint64_t start = whole_segments == 0 ? resume_offset_ : 0;
      skipped_bytes += CORAL_TRY(journal_->ReadSegment(
          id, start, [&](uint64_t offset, std::unique_ptr<std::string> payload) -> Result<bool> {
            bool more = CORAL_TRY(take(offset, std::move(payload)));
            whole = whole && more;
            return more;
          }));
      if (!whole) break;
      ++whole_segments;
    }
    return append();
  }));
  stored_seq_ = std::move(stored);
  bool stopped_inside = whole_segments < closed_segments_.size();
  uint64_t last_whole = whole_segments > 0 ? closed_segments_[whole_segments - 1] : 0;
  closed_segments_.erase(closed_segments_.begin(),
                         closed_segments_.begin() + static_cast<ptrdiff_t>(whole_segments));
  if (whole_segments > 0) resume_offset_ = 0;
  if (stopped_inside) resume_offset_ = stop_offset;
  if (whole_segments > 0) {
    // The rows are committed, so a segment left behind holds only rows DuckDB
    // has: the next removal (which takes every older segment) or the next
    // start (which skips them by seq) deals with it.
    if (Status s = journal_->RemoveThrough(last_whole); !s.ok()) {
      CORAL_LOG_WARN("agent store: {}; the stored segment is removed later", s.ToString());
    }
  }
  if (skipped_bytes > 0) {
    // Only a crash leaves a record cut short, and a request is answered only
    // once its record is whole on disk.
    CORAL_LOG_WARN(
        "agent store: skipped {} bytes of a journal record cut short by a crash "
        "(its request was never answered)",
        skipped_bytes);
  }
  return rows;
}

void AgentStore::AddSeqAndTs(storage::ColumnBatch& batch, int64_t first) {
  using storage::ColumnType;
  size_t rows = batch.rows();
  storage::ColumnValues seq("seq", ColumnType::kInt64), ts("ts", ColumnType::kTimestamp);
  seq.Reserve(rows);
  ts.Reserve(rows);
  storage::Timestamp now{ToUnixMicros(clock_.Now())};
  for (size_t i = 0; i < rows; ++i) {
    seq.AddInt(first + static_cast<int64_t>(i));
    ts.AddTimestamp(now);
  }
  batch.columns.insert(batch.columns.begin(), {std::move(seq), std::move(ts)});
}

Status AgentStore::StageColumns(storage::ColumnBatch batch) {
  CORAL_TRY(CheckTable(batch.table));
  if (!IsStaged(batch.table)) return AppendColumns(std::move(batch));
  CORAL_TRY(batch.Check());
  const size_t rows = batch.rows();
  if (rows == 0) return Status::Ok();
  std::unique_lock lock(stage_mutex_);
  bool room = stage_cv_.wait_for(lock, std::chrono::seconds(10), [&] {
    return stopping_ || staged_rows_ + flushing_rows_ < 2 * staging_.flush_rows;
  });
  if (stopping_) return Unavailable("agent store: closing");
  if (!room) {
    return Unavailable("agent store: " + std::to_string(staged_rows_ + flushing_rows_) +
                       " staged rows still wait for DuckDB; try again later");
  }
  int64_t first = 0;
  {
    std::lock_guard seq_lock(append_mutex_);
    first = last_seq_[batch.table] + 1;
  }
  AddSeqAndTs(batch, first);
  auto end = CORAL_TRY(journal_->Append(storage::EncodeJournalRecord(batch)));
  {
    std::lock_guard seq_lock(append_mutex_);
    last_seq_[batch.table] = first + static_cast<int64_t>(rows) - 1;
  }
  bool was_empty = staged_rows_ + flushing_rows_ == 0;
  if (was_empty) oldest_pending_ = std::chrono::steady_clock::now();
  staged_rows_ += rows;
  if (was_empty || staged_rows_ + flushing_rows_ >= staging_.flush_rows) stage_cv_.notify_all();
  lock.unlock();
  // Outside the lock, so requests arriving meanwhile share the next sync. If
  // it fails the rows are still staged (and stored unless the host crashes
  // first) while the client hears of an error: a retry may store them twice.
  return journal_->Sync(end);
}

Status AgentStore::Flush() { return FlushRows(std::numeric_limits<size_t>::max()); }

Status AgentStore::FlushRows(size_t max_rows) {
  if (journal_ == nullptr) return Status::Ok();
  std::lock_guard flush_lock(flush_mutex_);
  size_t limit = 0;
  {
    std::lock_guard lock(stage_mutex_);
    if (staged_rows_ > 0) {
      // Later records go to a new segment; this one goes once it is stored.
      closed_segments_.push_back(CORAL_TRY(journal_->Rotate()));
      flushing_rows_ += std::exchange(staged_rows_, 0);
    }
    limit = std::min(max_rows, flushing_rows_);
  }
  Result<size_t> stored = limit == 0 ? Result<size_t>(size_t{0}) : StoreStaged(limit);
  std::lock_guard lock(stage_mutex_);
  if (stored.ok()) flushing_rows_ -= std::min(flushing_rows_, *stored);
  retry_ = !stored.ok();
  stage_cv_.notify_all();
  return stored.status().WithContext("agent store: storing staged rows");
}

void AgentStore::FlushLoop() {
  const size_t group = staging_.flush_rows;
  std::unique_lock lock(stage_mutex_);
  while (!stopping_) {
    auto now = std::chrono::steady_clock::now();
    size_t pending = staged_rows_ + flushing_rows_;
    bool aged = pending > 0 && now - oldest_pending_ >= staging_.flush_after;
    bool full = pending >= group;
    if (!aged && !full && !retry_) {
      auto wake =
          pending > 0 ? oldest_pending_ + staging_.flush_after : now + std::chrono::hours(1);
      stage_cv_.wait_until(lock, wake);
      continue;
    }
    lock.unlock();
    // Whole groups of flush_rows while rows keep coming (DuckDB writes each
    // as a row group, never to be rewritten); everything once the oldest row
    // has waited flush_after.
    Status s = aged || retry_ ? Flush() : FlushRows(pending / group * group);
    lock.lock();
    if (staged_rows_ + flushing_rows_ == 0 || aged) oldest_pending_ = now;
    if (!s.ok()) {
      CORAL_LOG_WARN("agent store: {}; retrying in {} ms", s.ToString(),
                     staging_.flush_after.count());
      stage_cv_.wait_for(lock, staging_.flush_after, [&] { return stopping_; });
    }
  }
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
  if (IsStaged(table)) return InvalidArgument("agent store: " + table + " takes StageColumns");
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
  if (IsStaged(batch.table)) {
    return InvalidArgument("agent store: " + batch.table + " takes StageColumns");
  }
  CORAL_TRY(batch.Check());
  size_t rows = batch.rows();
  if (rows == 0) return Status::Ok();
  std::lock_guard lock(append_mutex_);
  int64_t first = last_seq_[batch.table] + 1;
  AddSeqAndTs(batch, first);
  CORAL_TRY(store_->AppendColumns(batch));
  last_seq_[batch.table] = first + static_cast<int64_t>(rows) - 1;
  return Status::Ok();
}

Result<TablePage> AgentStore::Read(const std::string& table, int64_t after_seq, int limit) {
  CORAL_TRY(CheckTable(table));
  if (limit <= 0 || limit > 100'000) {
    return InvalidArgument("agent store: limit must be 1..100000, got " + std::to_string(limit));
  }
  if (IsStaged(table)) CORAL_TRY(Flush());  // a reader sees every row promised so far
  // Table names are checked against the fixed list above, so splicing is safe.
  // The bounds first: every sequence up to `newest` is committed by then
  // (rows are written in sequence order, each write in one transaction), so
  // the range below holds every row still stored in it.
  auto bounds = CORAL_TRY(store_->Query("SELECT min(seq), max(seq) FROM " + table));
  const int64_t oldest = storage::IntOr(bounds.rows.at(0).at(0));
  const int64_t newest = storage::IntOr(bounds.rows.at(0).at(1));
  // Rows retention removed are skipped, not paged through.
  const int64_t from = std::max(after_seq, oldest - 1);
  const int64_t to = std::max(from, std::min(from + limit, newest));
  auto rows =
      CORAL_TRY(store_->Query("SELECT * FROM " + table + " WHERE seq > ? AND seq <= ? ORDER BY seq",
                              {from, to}, {.max_bytes = kPageBytes}));
  TablePage page;
  page.table = table;
  page.columns = rows.columns;
  page.oldest_seq = oldest;
  // A range cut short by the byte budget goes on after its last row; a whole
  // one after its end, even when rows in it are gone (a gap).
  page.next_seq = rows.truncated ? std::get<int64_t>(rows.rows.back()[0]) : to;
  page.more = page.next_seq < newest;
  page.rows = std::move(rows.rows);
  return page;
}

Result<int64_t> AgentStore::UsedBytes() {
  auto rows = CORAL_TRY(
      store_->Query("SELECT block_size, used_blocks, wal_size FROM pragma_database_size()"));
  if (rows.rows.empty()) return int64_t{0};
  auto as_int = [](const Value& v) -> int64_t {
    return std::holds_alternative<int64_t>(v) ? std::get<int64_t>(v) : 0;
  };
  int64_t used = as_int(rows.rows[0][0]) * as_int(rows.rows[0][1]);
  if (journal_) {
    // Staged rows not in DuckDB yet take disk too. A segment removed while
    // we list counts for nothing.
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(journal_->dir(), ec)) {
      std::error_code size_ec;
      auto size = entry.file_size(size_ec);
      if (!size_ec) used += static_cast<int64_t>(size);
    }
  }
  return used;
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

// The agent's rolling local store: a DuckDB file under the agent home.
// Append() gives each row the next sequence id of its table. The rows carry
// their sequence, so after a crash the counter resumes from the largest one
// stored; pruning records the largest sequence it deletes in seq_state in the
// same transaction as the delete, so after retention empties a table the
// sequence still only moves forward. Readers page through a table with
// Read(after_seq).
//
// Staged tables (the spans) take rows through StageColumns(): the rows get
// their sequence at once and are written to a ColumnJournal beside the DuckDB
// file, synced, and held in memory; a background thread writes what is staged
// to DuckDB in one transaction once `flush_rows` rows wait or the oldest has
// waited `flush_after`. DuckDB stores a large append several times cheaper
// than many small ones (it writes whole row groups without copying them to
// its WAL), which is what lets the agent keep up with OTLP. Read() of a staged
// table writes what is staged first, so a reader always sees every row it
// was promised. After a crash, Open() replays the journal; the rows carry
// their sequence, so rows the store already has are skipped, not doubled.
//
// Thread-safety: safe to share; appends are serialized, reads run alongside.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/duration.h"
#include "storage/column_journal.h"
#include "storage/store.h"

namespace coral::agent {

struct TablePage {
  std::string table;
  std::vector<storage::Column> columns;
  std::vector<std::vector<storage::Value>> rows;
  int64_t next_seq = 0;    // pass as after_seq to continue
  bool more = false;       // rows remain after this page
  int64_t oldest_seq = 0;  // the smallest seq still stored (0 when empty): a reader whose
                           // cursor is below oldest_seq - 1 lost rows to retention
};

struct PruneResult {
  int64_t rows_by_age = 0;
  int64_t rows_by_size = 0;
};

struct StagingOptions {
  std::filesystem::path journal_dir;  // empty: no staging; StageColumns appends at once
  std::vector<std::string> tables;    // the tables written only through StageColumns
  // While rows keep coming they are written in whole groups of flush_rows:
  // DuckDB's row group, which it writes once, compressed, bypassing its WAL.
  // A smaller or odd write leaves a small row group that its checkpoints
  // rewrite, and costs about three times the CPU a row.
  size_t flush_rows = 122'880;
  // Everything staged is written once its oldest row waited this long
  // (readers of a staged table flush first, so this only bounds how much a
  // restart replays).
  Duration flush_after = std::chrono::seconds(10);
};

class AgentStore {
 public:
  // url: duckdb:///path or duckdb://:memory:
  static Result<std::unique_ptr<AgentStore>> Open(const std::string& url,
                                                  const Clock& clock = SystemClock::Get(),
                                                  StagingOptions staging = {});
  ~AgentStore();

  // Appends rows (columns exclude seq and ts; every row gets ts = now).
  Status Append(const std::string& table, const std::vector<std::string>& columns,
                std::vector<std::vector<storage::Value>> rows);
  // The same for rows held column by column (batch.columns exclude seq and
  // ts): the hot path, with no Value per cell.
  Status AppendColumns(storage::ColumnBatch batch);
  // For staged tables: the rows are durable (journaled) when this returns and
  // readable after the next flush. Waits while twice flush_rows rows are
  // staged or being flushed, so memory stays bounded when DuckDB falls behind.
  // Without staging, the same as AppendColumns.
  Status StageColumns(storage::ColumnBatch batch);
  // Writes every staged row to DuckDB now.
  Status Flush();
  // The rows after after_seq: at most `limit`, and no more than about
  // kPageBytes of them (at least one row; well under gRPC's default 4 MB
  // message for clients left at it). A page costs DuckDB the memory of
  // its own rows, whatever the backlog: it reads a range of sequences, never
  // sorting the table (DuckDB's top-N over a table of wide rows ran out of
  // the agent's 64 MB at a few hundred thousand spans).
  Result<TablePage> Read(const std::string& table, int64_t after_seq, int limit);
  static constexpr size_t kPageBytes = 2 << 20;
  // Deletes rows older than retention, then oldest rows while the store uses
  // more than max_bytes (UsedBytes).
  Result<PruneResult> Prune(Duration retention, int64_t max_bytes);
  // Disk in use: the DuckDB file's used blocks and the journal's segments.
  Result<int64_t> UsedBytes();
  int64_t LastSeq(const std::string& table);

  storage::Store& store() { return *store_; }

 private:
  AgentStore(std::unique_ptr<storage::Store> store, const Clock& clock)
      : store_(std::move(store)), clock_(clock) {}
  Status CheckTable(const std::string& table) const;
  bool IsStaged(const std::string& table) const;
  // Gives the rows their seq and ts columns (first, like the tables have them).
  void AddSeqAndTs(storage::ColumnBatch& batch, int64_t first);
  // Flushes at most max_rows of what is staged.
  Status FlushRows(size_t max_rows);
  // Writes up to max_rows journaled rows that DuckDB does not have yet, from
  // the closed segments in order, in one transaction; deletes the segments
  // read to their end. Returns the rows written.
  Result<size_t> StoreStaged(size_t max_rows);
  void FlushLoop();
  // Deletes the rows of `table` matching `where` (one `?` for param), first
  // recording the largest seq deleted in seq_state, in one transaction.
  Status DeleteRecordingSeq(const std::string& table, const std::string& where,
                            const storage::Value& param);

  std::unique_ptr<storage::Store> store_;
  const Clock& clock_;
  std::mutex append_mutex_;  // guards last_seq_ and serializes appends
  std::map<std::string, int64_t> last_seq_;

  StagingOptions staging_;
  std::unique_ptr<storage::ColumnJournal> journal_;  // null without staging

  // Flushing, one at a time so segments are stored in sequence order.
  std::mutex flush_mutex_;
  std::vector<uint64_t> closed_segments_;  // journaled, not yet stored; oldest first
  uint64_t resume_offset_ = 0;  // in the first of them: the record the last flush stopped in
  std::map<std::string, int64_t> stored_seq_;  // the largest seq in DuckDB, by staged table

  std::mutex stage_mutex_;  // guards the journal's writes and what follows
  std::condition_variable stage_cv_;
  size_t staged_rows_ = 0;                                // in the segment being written
  size_t flushing_rows_ = 0;                              // in closed segments, not yet stored
  std::chrono::steady_clock::time_point oldest_pending_;  // when the oldest of those came
  bool retry_ = false;                                    // the last flush failed
  bool stopping_ = false;
  std::thread flusher_;
};

}  // namespace coral::agent

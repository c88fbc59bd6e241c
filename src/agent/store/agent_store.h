// The agent's rolling local store: a DuckDB file under the agent home.
// Append() gives each row the next sequence id of its table. The rows carry
// their sequence, so after a crash the counter resumes from the largest one
// stored; pruning records the largest sequence it deletes in seq_state in the
// same transaction as the delete, so after retention empties a table the
// sequence still only moves forward. Readers page through a table with
// Read(after_seq).
//
// Thread-safety: safe to share; appends are serialized, reads run alongside.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/duration.h"
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

class AgentStore {
 public:
  // url: duckdb:///path or duckdb://:memory:
  static Result<std::unique_ptr<AgentStore>> Open(const std::string& url,
                                                  const Clock& clock = SystemClock::Get());

  // Appends rows (columns exclude seq and ts; every row gets ts = now).
  Status Append(const std::string& table, const std::vector<std::string>& columns,
                std::vector<std::vector<storage::Value>> rows);
  // The same for rows held column by column (batch.columns exclude seq and
  // ts): the hot path, with no Value per cell.
  Status AppendColumns(storage::ColumnBatch batch);
  Result<TablePage> Read(const std::string& table, int64_t after_seq, int limit);
  // Deletes rows older than retention, then oldest rows while the file uses
  // more than max_bytes.
  Result<PruneResult> Prune(Duration retention, int64_t max_bytes);
  Result<int64_t> UsedBytes();
  int64_t LastSeq(const std::string& table);

  storage::Store& store() { return *store_; }

 private:
  AgentStore(std::unique_ptr<storage::Store> store, const Clock& clock)
      : store_(std::move(store)), clock_(clock) {}
  Status CheckTable(const std::string& table) const;
  // Deletes the rows of `table` matching `where` (one `?` for param), first
  // recording the largest seq deleted in seq_state, in one transaction.
  Status DeleteRecordingSeq(const std::string& table, const std::string& where,
                            const storage::Value& param);

  std::unique_ptr<storage::Store> store_;
  const Clock& clock_;
  std::mutex append_mutex_;  // guards last_seq_ and serializes appends
  std::map<std::string, int64_t> last_seq_;
};

}  // namespace coral::agent

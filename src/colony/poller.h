// The colony's poller: pulls every agent's tables into the colony store, by
// cursor. The checkpoint of (agent, table) is the largest seq of that agent
// already in the colony table, read back from the store itself, so rows and
// checkpoint are one write: a crash of either side never loses or duplicates
// a row.
//
// Pulls: an agent is pulled in rounds of one page per table that has more,
// up to max_batches_per_table rounds per poll. Each page's rows are staged
// in memory, in chunks of at most flush_rows rows per table, and the
// agent's in-memory cursor moves past them. The agent still holds staged
// rows: a colony crash loses none, they are pulled again from max(seq).
//
// Writes: staged rows are written in one transaction (the summarizer's note
// of the minutes they touch first), with one append per chunk:
//   - a table's full chunks as soon as it has one (flush_rows is DuckDB's
//     row group: a whole one is written straight to the file rather than
//     through the WAL, ~2x cheaper; bench/colony_scale);
//   - everything when the poll cycle is over (no agent queued or being
//     pulled), and on Stop;
//   - everything of a table whose oldest staged row waited flush_delay (an
//     agent that hangs keeps a cycle open); checked by a thread of Start's.
// A chunk is a prefix of its table's staged rows, so it holds a prefix of
// each agent's: max(seq) stays an exact cursor whichever chunks landed. A
// failed write drops the staged rows of its tables, and every agent among
// them, written or dropped, reads its checkpoint back from the store; a page
// pulled from a checkpoint that moved meanwhile is dropped, not staged.
// An agent that comes back is caught up from what its retention still holds;
// rows it already pruned are counted as lost.
//
// Scheduling: every interval each agent not already being pulled goes on a
// queue served by `concurrency` workers, so a slow or dead agent holds one
// worker for at most its call deadline and never stalls the others.
//
// Thread-safety: Start/Stop from the owner; Stats from any thread; PollAgent
// from any thread, but never twice at once for one agent (the scheduler
// keeps to that).
#pragma once

#include <chrono>
#include <climits>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "coral/v1/agent.grpc.pb.h"
#include "storage/column_batch.h"
#include "storage/store.h"

namespace coral::analysis {
class Summarizer;
}

namespace coral::colony {

using analysis::Summarizer;

struct PollTarget {
  std::string agent_id;
  std::string address;  // its AgentService, mesh-ip:port
};

// Where pages of agent rows come from.
class AgentSource {
 public:
  virtual ~AgentSource() = default;
  virtual Result<coral::v1::QueryTableResponse> Pull(const PollTarget& target,
                                                     const std::string& table, int64_t after_seq,
                                                     int limit) = 0;
};

// One AgentService.QueryTable call: the page of `table` after `after_seq`.
// A non-empty `bearer` goes in the authorization header (an agent's local
// API; over the mesh the client certificate is the credential).
Result<coral::v1::QueryTableResponse> QueryAgentTable(coral::v1::AgentService::Stub& stub,
                                                      const PollTarget& target,
                                                      const std::string& table, int64_t after_seq,
                                                      int limit, std::chrono::milliseconds deadline,
                                                      const std::string& bearer = "");

// The real one: AgentService.QueryTable over the mesh with the colony's
// client certificate.
class GrpcAgentSource final : public AgentSource {
 public:
  GrpcAgentSource(std::string ca_pem, std::string cert_pem, std::string key_pem,
                  std::chrono::milliseconds deadline = std::chrono::seconds(10));
  Result<coral::v1::QueryTableResponse> Pull(const PollTarget& target, const std::string& table,
                                             int64_t after_seq, int limit) override;

 private:
  const std::string ca_pem_, cert_pem_, key_pem_;
  const std::chrono::milliseconds deadline_;
  std::mutex mu_;                                                                // guards stubs_
  std::map<std::string, std::shared_ptr<coral::v1::AgentService::Stub>> stubs_;  // by address
};

struct PollerOptions {
  std::chrono::milliseconds interval{15'000};
  int concurrency = 4;
  int batch_rows = 5'000;
  // Pages per table per poll of an agent, so one busy table cannot starve
  // the rest.
  int max_batches_per_table = 20;
  // Rows per staged chunk: DuckDB's row group (see above).
  int flush_rows = 122'880;
  // The longest a pulled row waits to be written while a cycle is open
  // (once Start()ed; PollAgent alone writes when its cycle is over).
  std::chrono::milliseconds flush_delay{5'000};
};

struct AgentPollStats {
  WallTime last_ok{};
  std::string last_error;
  int failures = 0;          // polls that failed since the last that worked
  WallTime failing_since{};  // when the first of them ended
  int64_t rows_pulled = 0;   // pulled and written
  int64_t rows_lost = 0;     // pruned by the agent's retention before we pulled them
};

class Poller {
 public:
  // summarizer (may be null) hears of every batch's time range before the
  // batch is written, and that the write is over after.
  Poller(storage::Store& store, AgentSource& source, PollerOptions options,
         Summarizer* summarizer = nullptr, const Clock& clock = SystemClock::Get());
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Pulls every table of one agent until it is caught up or the round's
  // bound. The last poll of a cycle to finish writes what is staged; an
  // error is its own pull's, or that of a write it made.
  Status PollAgent(const PollTarget& target);
  void Start(std::function<std::vector<PollTarget>()> targets);
  void Stop();
  std::map<std::string, AgentPollStats> Stats();

 private:
  struct Chunk;  // staged rows of one table
  enum class FlushWhen { kFull, kOld, kAny };

  Result<int64_t> Checkpoint(const std::string& agent_id, const std::string& table);
  // Pulls the page after the checkpoint and stages it; true when the agent
  // has more. Sets `full` when a chunk of the table is full.
  Result<bool> PullPage(const PollTarget& target, const std::string& table, bool& full);
  // Stages `rows` (every column of the table, views into the page) of the
  // page pulled after `after`, unless the checkpoint moved meanwhile.
  bool Stage(const std::string& agent_id, const storage::ColumnBatch& rows, int64_t after,
             int64_t last_seq);
  // Writes the staged chunks `when` says (full ones, those of tables whose
  // oldest row waited flush_delay, or all) in one transaction.
  Status Flush(FlushWhen when);
  void SchedulerMain();
  void WorkerMain();
  void FlusherMain();

  storage::Store& store_;
  AgentSource& source_;
  const PollerOptions options_;
  Summarizer* const summarizer_;
  const Clock& clock_;
  std::function<std::vector<PollTarget>()> targets_;

  std::mutex checkpoint_mu_;  // guards checkpoints_, loaded_tables_, unsure_, stages_
  // (agent, table): the last seq written or staged.
  std::map<std::pair<std::string, std::string>, int64_t> checkpoints_;
  std::set<std::string> loaded_tables_;  // every agent's checkpoint read from the store
  std::set<std::pair<std::string, std::string>> unsure_;  // a write failed: read it back
  // By table, oldest first; only the last chunk is not full.
  std::map<std::string, std::deque<std::unique_ptr<Chunk>>> stages_;

  std::mutex write_mu_;  // held by the one Flush writing at a time

  std::mutex mu_;  // guards queue_, in_flight_, polling_, stats_, stopping_
  std::condition_variable cv_;
  std::deque<PollTarget> queue_;
  std::set<std::string> in_flight_;  // agent ids queued or being pulled
  int polling_ = 0;                  // PollAgent calls under way
  std::map<std::string, AgentPollStats> stats_;
  bool stopping_ = false;
  std::thread scheduler_;
  std::thread flusher_;
  std::vector<std::thread> workers_;
};

}  // namespace coral::colony

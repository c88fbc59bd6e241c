// The colony's poller: pulls every agent's tables into the colony store, by
// cursor. The checkpoint of (agent, table) is the largest seq of that agent
// already in the colony table, read back from the store itself, so rows and
// checkpoint are one write: a crash of either side never loses or duplicates
// a row.
//
// Writes: an agent is pulled in rounds of one page per table that has more;
// a round is written at once. Rounds of agents pulled at the same time go
// together (group commit): the first worker to reach the store writes
// every round queued by then in one transaction, with one append per table
// (atomic on DuckDB; on ClickHouse each table's insert is atomic, and a
// failed one leaves the checkpoints to be read back). The summarizer's note
// of the minutes the rows touch goes first in the same transaction.
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

namespace coral::colony {

class Summarizer;

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
  // Batches per table per round, so one busy table cannot starve the rest.
  int max_batches_per_table = 20;
};

struct AgentPollStats {
  WallTime last_ok{};
  std::string last_error;
  int64_t rows_pulled = 0;
  int64_t rows_lost = 0;  // pruned by the agent's retention before we pulled them
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

  // Pulls every table of one agent until it is caught up or the round's bound.
  Status PollAgent(const PollTarget& target);
  void Start(std::function<std::vector<PollTarget>()> targets);
  void Stop();
  std::map<std::string, AgentPollStats> Stats();

 private:
  // Rows of one agent's round, to be written together.
  struct Write {
    struct Page {
      std::string table;
      int64_t last_seq;
      // The agent's answer, which the batch's strings point into, and the
      // rows as the colony stores them (agent_id points at the target's,
      // which outlives the write).
      std::unique_ptr<const coral::v1::QueryTableResponse> source;
      storage::ColumnBatch batch;  // moved out by the writer
    };
    std::vector<Page> pages;
    int64_t rows = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN;  // times that place rows in minutes
    Status status;                           // set with done, by the writer
    bool done = false;
  };

  Result<int64_t> Checkpoint(const std::string& agent_id, const std::string& table);
  // Pulls the page after the checkpoint into `into`; true when there is more.
  Result<bool> PullPage(const PollTarget& target, const std::string& table, Write& into);
  // Writes `write`, with whatever other rounds are waiting; returns once it
  // is written (or failed).
  Status Commit(Write& write);
  Status WriteGroup(std::vector<Write*>& group);
  void SchedulerMain();
  void WorkerMain();

  storage::Store& store_;
  AgentSource& source_;
  const PollerOptions options_;
  Summarizer* const summarizer_;
  const Clock& clock_;
  std::function<std::vector<PollTarget>()> targets_;

  std::mutex checkpoint_mu_;  // guards checkpoints_, loaded_tables_, unsure_
  std::map<std::pair<std::string, std::string>, int64_t> checkpoints_;  // (agent, table)
  std::set<std::string> loaded_tables_;  // every agent's checkpoint read from the store
  std::set<std::pair<std::string, std::string>> unsure_;  // a write failed: read it back

  std::mutex write_mu_;  // guards write_queue_, writing_ and the queued Writes
  std::condition_variable write_cv_;
  std::vector<Write*> write_queue_;
  bool writing_ = false;

  std::mutex mu_;  // guards queue_, in_flight_, stats_, stopping_
  std::condition_variable cv_;
  std::deque<PollTarget> queue_;
  std::set<std::string> in_flight_;  // agent ids queued or being pulled
  std::map<std::string, AgentPollStats> stats_;
  bool stopping_ = false;
  std::thread scheduler_;
  std::vector<std::thread> workers_;
};

}  // namespace coral::colony

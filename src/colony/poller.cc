#include "colony/poller.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <iterator>
#include <optional>

#include "analysis/summarizer.h"
#include "analysis/telemetry_schema.h"
#include "base/log.h"
#include "net/grpc_server.h"

namespace coral::colony {

using analysis::FindTelemetryTable;
using analysis::TelemetryTable;
using analysis::TelemetryTables;

namespace {

// Adds a cell from the agent to a colony column: times and booleans become
// integers (see telemetry_schema.h), an integer fills a double column too.
// False when the cell's kind does not fit the column. A string is a view into
// `v`.
bool AddColonyValue(const coral::v1::Value& v, storage::ColumnValues& column) {
  using storage::ColumnType;
  const ColumnType type = column.type();
  switch (v.kind_case()) {
    case coral::v1::Value::kBoolValue:
      if (type != ColumnType::kInt64) return false;
      column.AddInt(v.bool_value() ? 1 : 0);
      return true;
    case coral::v1::Value::kIntValue:
      if (type == ColumnType::kDouble) {
        column.AddDouble(static_cast<double>(v.int_value()));
        return true;
      }
      if (type != ColumnType::kInt64) return false;
      column.AddInt(v.int_value());
      return true;
    case coral::v1::Value::kDoubleValue:
      if (type != ColumnType::kDouble) return false;
      column.AddDouble(v.double_value());
      return true;
    case coral::v1::Value::kStringValue:
      if (type != ColumnType::kString) return false;
      column.AddString(v.string_value());
      return true;
    case coral::v1::Value::kTimestampMicros:
      if (type != ColumnType::kInt64) return false;
      column.AddInt(v.timestamp_micros());
      return true;
    default:
      column.AddNull();
      return true;
  }
}

constexpr int kMaxPageMessageBytes = 32 << 20;

// The name of the field a Value holds, for errors ("string_value").
std::string KindName(const coral::v1::Value& v) {
  const auto* field = v.GetDescriptor()->FindFieldByNumber(v.kind_case());
  return field == nullptr ? "nothing" : field->name();
}

}  // namespace

GrpcAgentSource::GrpcAgentSource(std::string ca_pem, std::string cert_pem, std::string key_pem,
                                 std::chrono::milliseconds deadline)
    : ca_pem_(std::move(ca_pem)),
      cert_pem_(std::move(cert_pem)),
      key_pem_(std::move(key_pem)),
      deadline_(deadline) {}

Result<coral::v1::QueryTableResponse> QueryAgentTable(coral::v1::AgentService::Stub& stub,
                                                      const PollTarget& target,
                                                      const std::string& table, int64_t after_seq,
                                                      int limit, std::chrono::milliseconds deadline,
                                                      const std::string& bearer) {
  coral::v1::QueryTableRequest req;
  req.set_table(table);
  req.set_after_seq(after_seq);
  req.set_limit(limit);
  coral::v1::QueryTableResponse out;
  grpc::ClientContext ctx;
  if (!bearer.empty()) ctx.AddMetadata("authorization", "Bearer " + bearer);
  ctx.set_deadline(std::chrono::system_clock::now() + deadline);
  CORAL_TRY(
      net::FromGrpc(stub.QueryTable(&ctx, req, &out),
                    "pull " + table + " from agent " + target.agent_id + " at " + target.address));
  return out;
}

Result<coral::v1::QueryTableResponse> GrpcAgentSource::Pull(const PollTarget& target,
                                                            const std::string& table,
                                                            int64_t after_seq, int limit) {
  std::shared_ptr<coral::v1::AgentService::Stub> stub;
  {
    std::lock_guard lock(mu_);
    auto& slot = stubs_[target.address];
    if (!slot) {
      // A page holds about 2 MiB of values (AgentStore::kPageBytes) and at
      // least one row, which may be larger: room for both.
      grpc::ChannelArguments args;
      args.SetMaxReceiveMessageSize(kMaxPageMessageBytes);
      slot = coral::v1::AgentService::NewStub(grpc::CreateCustomChannel(
          target.address, net::ChannelCredentials(ca_pem_, cert_pem_, key_pem_), args));
    }
    stub = slot;
  }
  return QueryAgentTable(*stub, target, table, after_seq, limit, deadline_);
}

Poller::Poller(storage::Store& store, AgentSource& source, PollerOptions options,
               Summarizer* summarizer, const Clock& clock)
    : store_(store), source_(source), options_(options), summarizer_(summarizer), clock_(clock) {}

Poller::~Poller() { Stop(); }

Result<int64_t> Poller::Checkpoint(const std::string& agent_id, const std::string& table) {
  std::pair<std::string, std::string> key{agent_id, table};
  bool loaded = false;
  {
    std::lock_guard lock(checkpoint_mu_);
    if (auto it = checkpoints_.find(key); it != checkpoints_.end()) return it->second;
    loaded = loaded_tables_.count(table) > 0;
    // The poller is the table's only writer: once every agent's checkpoint
    // in it is known, an agent not among them has no rows there yet, unless
    // a failed write left it unsure.
    if (loaded && !unsure_.count(key)) return checkpoints_[key] = 0;
  }
  if (!loaded) {
    // Every agent's checkpoint in one scan, rather than one scan per agent.
    auto rows =
        CORAL_TRY(store_.Query("SELECT agent_id, max(seq) FROM " + table + " GROUP BY agent_id"));
    std::lock_guard lock(checkpoint_mu_);
    for (const auto& r : rows.rows) {
      const auto* agent = std::get_if<std::string>(&r[0]);
      const auto* last = std::get_if<int64_t>(&r[1]);
      if (agent == nullptr || last == nullptr) continue;
      // A write since the scan began has put a newer checkpoint, or a failed
      // one left the agent unsure: either way the scan is stale for it.
      std::pair<std::string, std::string> seen{*agent, table};
      if (!unsure_.count(seen)) checkpoints_.emplace(std::move(seen), *last);
    }
    loaded_tables_.insert(table);
    if (auto it = checkpoints_.find(key); it != checkpoints_.end()) return it->second;
    if (!unsure_.count(key)) return checkpoints_[key] = 0;
  }
  auto rows =
      CORAL_TRY(store_.Query("SELECT max(seq) FROM " + table + " WHERE agent_id = ?", {agent_id}));
  int64_t last = 0;
  if (!rows.rows.empty()) {
    if (const auto* v = std::get_if<int64_t>(&rows.rows[0][0])) last = *v;
  }
  std::lock_guard lock(checkpoint_mu_);
  unsure_.erase(key);
  checkpoints_[key] = last;
  return last;
}

namespace {

// Text that stays where it is until the chunk goes: the staged rows' strings
// point into it.
class StagedText {
 public:
  std::string_view Copy(std::string_view text) {
    if (text.empty()) return {};
    if (text.size() > kBlock / 4) {  // big text gets a block of its own
      big_.push_back(std::make_unique<char[]>(text.size()));
      std::memcpy(big_.back().get(), text.data(), text.size());
      return {big_.back().get(), text.size()};
    }
    if (blocks_.empty() || used_ + text.size() > kBlock) {
      blocks_.push_back(std::make_unique<char[]>(kBlock));
      used_ = 0;
    }
    char* at = blocks_.back().get() + used_;
    std::memcpy(at, text.data(), text.size());
    used_ += text.size();
    return {at, text.size()};
  }

 private:
  static constexpr size_t kBlock = 1 << 20;
  std::vector<std::unique_ptr<char[]>> blocks_, big_;
  size_t used_ = 0;
};

}  // namespace

struct Poller::Chunk {
  explicit Chunk(const TelemetryTable& schema) : rows{schema.name, {}} {
    for (size_t c = 0; c < schema.columns.size(); ++c) {
      rows.columns.emplace_back(schema.columns[c], schema.types[c]);
    }
  }
  storage::ColumnBatch rows;  // every column of the table, in order
  StagedText text;
  // Rows per agent; agent_id cells point at the keys.
  std::map<std::string, int64_t, std::less<>> agents;
  std::chrono::steady_clock::time_point since;  // when its first row was staged
};

Result<bool> Poller::PullPage(const PollTarget& target, const std::string& table, bool& full) {
  const TelemetryTable* schema = FindTelemetryTable(table);
  if (schema == nullptr) return Internal("no colony table for agent table " + table);
  int64_t after = CORAL_TRY(Checkpoint(target.agent_id, table));
  const coral::v1::QueryTableResponse page =
      CORAL_TRY(source_.Pull(target, table, after, options_.batch_rows));
  if (after > 0 && page.oldest_seq() > after + 1) {
    int64_t lost = page.oldest_seq() - after - 1;
    CORAL_LOG_WARN("colony: agent {} pruned {} rows of {} before they were pulled", target.agent_id,
                   lost, table);
    std::lock_guard lock(mu_);
    stats_[target.agent_id].rows_lost += lost;
  }
  if (page.rows_size() == 0) {
    // A gap in the agent's sequence (rows it removed): step over it, moving
    // the cursor as a page of no rows would.
    if (!page.more() || page.next_seq() <= after) return false;
    return Stage(target.agent_id, storage::ColumnBatch{table, {}}, after, page.next_seq());
  }

  // Agent columns onto colony columns: same name, or name + "_us" for times.
  // Columns this colony does not know (a newer agent) are left out; those
  // the agent does not send (an older one) are NULL.
  const int rows = page.rows_size();
  storage::ColumnBatch out{table, {}};
  std::vector<int> source_index;  // per colony column: the page's, or -1
  for (size_t c = 0; c < schema->columns.size(); ++c) {
    out.columns.emplace_back(schema->columns[c], schema->types[c]);
    out.columns.back().Reserve(rows);
    int found = -1;
    for (int i = 0; i < page.columns_size() && found < 0 && c > 0; ++i) {
      const std::string& name = page.columns(i);
      if (schema->columns[c] == name || schema->columns[c] == name + "_us") found = i;
    }
    source_index.push_back(found);
  }
  int seq_column = -1;
  for (int i = 0; i < page.columns_size(); ++i) {
    if (page.columns(i) == "seq") seq_column = i;
  }
  if (seq_column < 0)
    return Internal("agent " + target.agent_id + " sent " + table + " without seq");
  int64_t last_seq = after;
  for (const auto& row : page.rows()) {
    int64_t seq = seq_column < row.values_size() ? row.values(seq_column).int_value() : 0;
    if (seq <= last_seq) {
      return Internal("agent " + target.agent_id + " sent " + table + " seq " +
                      std::to_string(seq) + " after " + std::to_string(last_seq));
    }
    last_seq = seq;
    out.columns[0].AddString(target.agent_id);
    for (size_t c = 1; c < source_index.size(); ++c) {
      int i = source_index[c];
      storage::ColumnValues& column = out.columns[c];
      if (i < 0 || i >= row.values_size()) {
        column.AddNull();
      } else if (!AddColonyValue(row.values(i), column)) {
        return InvalidArgument("agent " + target.agent_id + " sent " + table + "." +
                               page.columns(i) + " as " + KindName(row.values(i)) +
                               ", which the colony stores as " +
                               std::string(storage::ColumnTypeName(column.type())));
      }
    }
  }
  if (!Stage(target.agent_id, out, after, last_seq)) return false;
  std::lock_guard lock(checkpoint_mu_);
  const auto& chunks = stages_[table];
  full = !chunks.empty() && chunks.front()->rows.rows() >= size_t(options_.flush_rows);
  return page.more();
}

bool Poller::Stage(const std::string& agent_id, const storage::ColumnBatch& rows, int64_t after,
                   int64_t last_seq) {
  const TelemetryTable& schema = *FindTelemetryTable(rows.table);
  const size_t flush_rows = std::max(1, options_.flush_rows);
  std::lock_guard lock(checkpoint_mu_);
  // A failed write since the pull made the cursor unsure: the page may not
  // follow what is in the store.
  auto cursor = checkpoints_.find({agent_id, rows.table});
  if (cursor == checkpoints_.end() || cursor->second != after) return false;
  cursor->second = last_seq;
  auto& chunks = stages_[rows.table];
  for (size_t r = 0; r < rows.rows();) {
    if (chunks.empty() || chunks.back()->rows.rows() >= flush_rows) {
      chunks.push_back(std::make_unique<Chunk>(schema));
      chunks.back()->since = std::chrono::steady_clock::now();
    }
    Chunk& chunk = *chunks.back();
    const size_t n = std::min(rows.rows() - r, flush_rows - chunk.rows.rows());
    auto agent = chunk.agents.try_emplace(agent_id, 0).first;
    agent->second += static_cast<int64_t>(n);
    for (size_t c = 0; c < rows.columns.size(); ++c) {
      const storage::ColumnValues& from = rows.columns[c];
      storage::ColumnValues& to = chunk.rows.columns[c];
      for (size_t i = r; i < r + n; ++i) {
        if (c == 0) {
          to.AddString(agent->first);
        } else if (from.is_null(i)) {
          to.AddNull();
        } else if (from.type() == storage::ColumnType::kString) {
          to.AddString(chunk.text.Copy(from.strings()[i]));
        } else if (from.type() == storage::ColumnType::kDouble) {
          to.AddDouble(from.doubles()[i]);
        } else {
          to.AddInt(from.ints()[i]);
        }
      }
    }
    r += n;
  }
  return true;
}

Status Poller::Flush(FlushWhen when) {
  std::lock_guard write_lock(write_mu_);
  std::map<std::string, std::vector<std::unique_ptr<Chunk>>> taken;  // by table
  {
    std::lock_guard lock(checkpoint_mu_);
    const auto now = std::chrono::steady_clock::now();
    for (auto& [table, chunks] : stages_) {
      size_t n = 0;
      if (when == FlushWhen::kAny || (when == FlushWhen::kOld && !chunks.empty() &&
                                      now - chunks.front()->since >= options_.flush_delay)) {
        n = chunks.size();
      } else if (when == FlushWhen::kFull) {
        while (n < chunks.size() && chunks[n]->rows.rows() >= size_t(options_.flush_rows)) ++n;
      }
      for (size_t i = 0; i < n; ++i) {
        taken[table].push_back(std::move(chunks.front()));
        chunks.pop_front();
      }
    }
  }
  if (taken.empty()) return Status::Ok();

  // The minutes the summarizer has to redo.
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (const auto& [table, chunks] : taken) {
    std::string_view time = Summarizer::TimeColumn(table);
    for (const auto& chunk : chunks) {
      for (const storage::ColumnValues& column : chunk->rows.columns) {
        if (column.name() != time) continue;
        for (size_t r = 0; r < column.size(); ++r) {
          if (column.is_null(r)) continue;
          lo = std::min(lo, column.ints()[r]);
          hi = std::max(hi, column.ints()[r]);
        }
      }
    }
  }
  std::optional<int64_t> ticket;
  Status status = store_.Transaction([&](storage::Store& txn) -> Status {
    if (summarizer_ != nullptr && lo <= hi) {
      auto noted = summarizer_->Noting(lo, hi, txn);
      if (!noted.ok()) return noted.status().WithContext("note the rows' minutes");
      ticket = *noted;
    }
    for (const auto& [table, chunks] : taken) {
      for (const auto& chunk : chunks) {
        CORAL_TRY(txn.AppendColumns(chunk->rows).WithContext("store " + table));
      }
    }
    return Status::Ok();
  });
  if (ticket) summarizer_->Written(*ticket);

  std::map<std::string, int64_t> agents;  // written, or to read back
  for (const auto& [table, chunks] : taken) {
    for (const auto& chunk : chunks) {
      for (const auto& [agent, rows] : chunk->agents) agents[agent] += rows;
    }
  }
  if (!status.ok()) {
    status = status.WithContext("store the rows pulled");
    CORAL_LOG_WARN("colony: {}", status.message());
    // Whether it landed is for the store to say. Rows staged after it would
    // not follow what is there: drop them, and read every cursor back.
    std::lock_guard lock(checkpoint_mu_);
    for (const auto& [table, chunks] : taken) {
      std::set<std::string> unsure;
      for (const auto& chunk : chunks) {
        for (const auto& [agent, rows] : chunk->agents) unsure.insert(agent);
      }
      for (const auto& chunk : stages_[table]) {
        for (const auto& [agent, rows] : chunk->agents) unsure.insert(agent);
      }
      stages_[table].clear();
      for (const std::string& agent : unsure) {
        checkpoints_.erase({agent, table});
        unsure_.insert({agent, table});
      }
    }
  }
  std::lock_guard lock(mu_);
  for (const auto& [agent, rows] : agents) {
    AgentPollStats& s = stats_[agent];
    if (status.ok()) {
      s.rows_pulled += rows;
    } else {
      s.last_error = status.message();
    }
  }
  return status;
}

Status Poller::PollAgent(const PollTarget& target) {
  {
    std::lock_guard lock(mu_);
    ++polling_;
  }
  Status result = Status::Ok();
  std::vector<std::string> tables;
  for (const auto& t : TelemetryTables()) tables.push_back(t.name);
  // Rounds of one page per table that has more.
  for (int round = 0; round < options_.max_batches_per_table && !tables.empty(); ++round) {
    std::vector<std::string> more;
    for (const std::string& table : tables) {
      bool full = false;
      auto has_more = PullPage(target, table, full);
      if (full) {
        Status written = Flush(FlushWhen::kFull);
        if (result.ok() && !written.ok()) result = written;
      }
      if (!has_more.ok()) {
        // What was pulled before is still written.
        if (result.ok()) result = has_more.status();
        break;
      }
      if (*has_more) more.push_back(table);
    }
    if (!result.ok()) break;
    tables = std::move(more);
  }
  bool cycle_over = false;
  {
    std::lock_guard lock(mu_);
    cycle_over = --polling_ == 0 && queue_.empty();
  }
  if (cycle_over) {
    Status written = Flush(FlushWhen::kAny);
    if (result.ok() && !written.ok()) result = written;
  }
  std::lock_guard lock(mu_);
  AgentPollStats& s = stats_[target.agent_id];
  if (result.ok()) {
    s.last_ok = clock_.Now();
    s.last_error.clear();
    s.failures = 0;
    s.failing_since = {};
  } else {
    if (s.failures++ == 0) s.failing_since = clock_.Now();
    if (s.last_error != result.message()) {
      CORAL_LOG_WARN("colony: pulling agent {}: {}", target.agent_id, result.message());
    }
    s.last_error = result.message();
  }
  return result;
}

void Poller::Start(std::function<std::vector<PollTarget>()> targets) {
  targets_ = std::move(targets);
  for (int i = 0; i < std::max(1, options_.concurrency); ++i) {
    workers_.emplace_back([this] { WorkerMain(); });
  }
  scheduler_ = std::thread([this] { SchedulerMain(); });
  flusher_ = std::thread([this] { FlusherMain(); });
}

void Poller::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  if (flusher_.joinable()) flusher_.join();
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
  workers_.clear();
  (void)Flush(FlushWhen::kAny);  // its failure is logged, and the agents still hold the rows
}

std::map<std::string, AgentPollStats> Poller::Stats() {
  std::lock_guard lock(mu_);
  return stats_;
}

void Poller::SchedulerMain() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    std::vector<PollTarget> targets = targets_();
    lock.lock();
    for (auto& t : targets) {
      if (in_flight_.insert(t.agent_id).second) queue_.push_back(std::move(t));
    }
    cv_.notify_all();
    cv_.wait_for(lock, options_.interval, [this] { return stopping_; });
  }
}

void Poller::FlusherMain() {
  const auto tick = std::max(std::chrono::milliseconds(10), options_.flush_delay / 4);
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, tick, [this] { return stopping_; })) {
    lock.unlock();
    (void)Flush(FlushWhen::kOld);  // a failure is logged and in the agents' stats
    lock.lock();
  }
}

void Poller::WorkerMain() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    PollTarget target = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    (void)PollAgent(target);
    lock.lock();
    in_flight_.erase(target.agent_id);
  }
}

}  // namespace coral::colony

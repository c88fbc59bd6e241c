#include "colony/poller.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <climits>
#include <iterator>
#include <optional>

#include "base/log.h"
#include "colony/summarizer.h"
#include "colony/telemetry_schema.h"
#include "net/grpc_server.h"

namespace coral::colony {

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
      slot = coral::v1::AgentService::NewStub(grpc::CreateChannel(
          target.address, net::ChannelCredentials(ca_pem_, cert_pem_, key_pem_)));
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
    auto rows = CORAL_TRY(
        store_.Query("SELECT agent_id, max(seq) FROM " + table + " GROUP BY agent_id"));
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

Result<bool> Poller::PullPage(const PollTarget& target, const std::string& table, Write& into) {
  const TelemetryTable* schema = FindTelemetryTable(table);
  if (schema == nullptr) return Internal("no colony table for agent table " + table);
  int64_t after = CORAL_TRY(Checkpoint(target.agent_id, table));
  auto pulled = std::make_unique<coral::v1::QueryTableResponse>(
      CORAL_TRY(source_.Pull(target, table, after, options_.batch_rows)));
  const coral::v1::QueryTableResponse& page = *pulled;
  if (after > 0 && page.oldest_seq() > after + 1) {
    int64_t lost = page.oldest_seq() - after - 1;
    CORAL_LOG_WARN("colony: agent {} pruned {} rows of {} before they were pulled", target.agent_id,
                   lost, table);
    std::lock_guard lock(mu_);
    stats_[target.agent_id].rows_lost += lost;
  }
  if (page.rows_size() == 0) return false;

  // Agent columns onto colony columns: same name, or name + "_us" for times.
  // Columns this colony does not know (a newer agent) are left out.
  const int rows = page.rows_size();
  storage::ColumnBatch out{table, {}};
  out.columns.emplace_back("agent_id", storage::ColumnType::kString);
  std::vector<int> source_index;
  for (int i = 0; i < page.columns_size(); ++i) {
    const std::string& name = page.columns(i);
    for (const std::string& candidate : {name, name + "_us"}) {
      if (candidate == "agent_id") continue;
      auto at = std::find(schema->columns.begin(), schema->columns.end(), candidate);
      if (at != schema->columns.end()) {
        out.columns.emplace_back(candidate, schema->types[at - schema->columns.begin()]);
        source_index.push_back(i);
        break;
      }
    }
  }
  for (auto& column : out.columns) column.Reserve(rows);
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
    for (size_t c = 0; c < source_index.size(); ++c) {
      int i = source_index[c];
      storage::ColumnValues& column = out.columns[c + 1];
      if (i >= row.values_size()) {
        column.AddNull();
      } else if (!AddColonyValue(row.values(i), column)) {
        return InvalidArgument("agent " + target.agent_id + " sent " + table + "." +
                               page.columns(i) + " as " + KindName(row.values(i)) +
                               ", which the colony stores as " +
                               std::string(storage::ColumnTypeName(column.type())));
      }
    }
  }
  // The minutes the summarizer has to redo.
  for (const storage::ColumnValues& column : out.columns) {
    if (column.name() != Summarizer::TimeColumn(table)) continue;
    for (int r = 0; r < rows; ++r) {
      if (column.is_null(r)) continue;
      into.lo = std::min(into.lo, column.ints()[r]);
      into.hi = std::max(into.hi, column.ints()[r]);
    }
  }
  into.rows += rows;
  bool more = page.more();
  into.pages.push_back({table, last_seq, std::move(pulled), std::move(out)});
  return more;
}

Status Poller::Commit(Write& write) {
  std::unique_lock lock(write_mu_);
  write_queue_.push_back(&write);
  while (!write.done) {
    if (writing_) {
      write_cv_.wait(lock);
      continue;
    }
    // Lead: write everything queued so far, this one included.
    writing_ = true;
    std::vector<Write*> group;
    group.swap(write_queue_);
    lock.unlock();
    Status status = WriteGroup(group);
    lock.lock();
    for (Write* w : group) {
      w->status = status;
      w->done = true;
    }
    writing_ = false;
    write_cv_.notify_all();
  }
  return write.status;
}

Status Poller::WriteGroup(std::vector<Write*>& group) {
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  // One append per table and column list: pages of many agents together.
  std::vector<storage::ColumnBatch> merged;
  for (Write* w : group) {
    lo = std::min(lo, w->lo);
    hi = std::max(hi, w->hi);
    for (Write::Page& page : w->pages) {
      auto same = std::find_if(merged.begin(), merged.end(), [&](const storage::ColumnBatch& b) {
        if (b.table != page.batch.table || b.columns.size() != page.batch.columns.size()) {
          return false;
        }
        for (size_t c = 0; c < b.columns.size(); ++c) {
          if (b.columns[c].name() != page.batch.columns[c].name()) return false;
        }
        return true;
      });
      if (same == merged.end()) {
        merged.push_back(std::move(page.batch));
      } else {
        for (size_t c = 0; c < same->columns.size(); ++c) {
          same->columns[c].Extend(page.batch.columns[c]);
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
    for (const storage::ColumnBatch& batch : merged) {
      CORAL_TRY(txn.AppendColumns(batch).WithContext("store " + batch.table));
    }
    return Status::Ok();
  });
  if (ticket) summarizer_->Written(*ticket);
  return status;
}

Status Poller::PollAgent(const PollTarget& target) {
  int64_t pulled = 0;
  Status result = Status::Ok();
  std::vector<std::string> tables;
  for (const auto& t : TelemetryTables()) tables.push_back(t.name);
  // Rounds of one page per table that has more, each written at once.
  for (int round = 0; round < options_.max_batches_per_table && !tables.empty(); ++round) {
    Write write;
    std::vector<std::string> more;
    for (const std::string& table : tables) {
      auto has_more = PullPage(target, table, write);
      if (!has_more.ok()) {
        result = has_more.status();
        break;
      }
      if (*has_more) more.push_back(table);
    }
    if (!write.pages.empty()) {
      // What was pulled is written even when a later pull failed.
      Status written = Commit(write);
      std::lock_guard lock(checkpoint_mu_);
      for (const Write::Page& page : write.pages) {
        if (written.ok()) {
          checkpoints_[{target.agent_id, page.table}] = page.last_seq;
        } else {
          // Whether it landed is for the store to say: read it back next time.
          checkpoints_.erase({target.agent_id, page.table});
          unsure_.insert({target.agent_id, page.table});
        }
      }
      if (written.ok()) {
        pulled += write.rows;
      } else if (result.ok()) {
        result = written.WithContext("store the rows of agent " + target.agent_id);
      }
    }
    if (!result.ok()) break;
    tables = std::move(more);
  }
  std::lock_guard lock(mu_);
  AgentPollStats& s = stats_[target.agent_id];
  s.rows_pulled += pulled;
  if (result.ok()) {
    s.last_ok = clock_.Now();
    s.last_error.clear();
  } else {
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
}

void Poller::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
  workers_.clear();
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

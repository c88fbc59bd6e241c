#include "analysis/summarizer.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "analysis/telemetry_schema.h"
#include "base/log.h"

namespace coral::analysis {

namespace {

using storage::IntOr;
using storage::TextOr;
using storage::Value;

bool IsLoopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address.rfind("::ffff:127.", 0) == 0;
}

// Keyed by minute; service_latency_histograms has blocks too and is kept apart.
const char* const kSummaryTables[] = {"service_minutes",   "service_latency_minutes",
                                      "operation_minutes", "error_minutes",
                                      "host_minutes",      "topology_minutes"};
const char* const kHistogramTable = "service_latency_histograms";

}  // namespace

std::string SummaryDialect::Minute(const std::string& col) const { return Floor(col, kMinuteUs); }

std::string SummaryDialect::Floor(const std::string& col, int64_t unit_us) const {
  std::string unit = std::to_string(unit_us);
  return clickhouse_ ? "intDiv(" + col + ", " + unit + ") * " + unit
                     : "(" + col + " // " + unit + ") * " + unit;
}

std::string SummaryDialect::PercentileMs(const std::string& col, double p) const {
  std::string rank = "ceil(" + std::to_string(p) + " * count(" + col + "))";
  return clickhouse_ ? "arraySort(groupArray(" + col + "))[toUInt64(" + rank + ")] / 1e6"
                     : "list_sort(list(" + col + "))[CAST(" + rank + " AS BIGINT)] / 1e6";
}

std::string SummaryDialect::Bucket(const std::string& ns_col) const {
  std::string b = "floor(8 * log2(greatest(" + ns_col + " / 1000.0, 1.0)))";
  return clickhouse_ ? "ifNull(toInt64(" + b + "), 0)" : "ifNull(CAST(" + b + " AS BIGINT), 0)";
}

std::string SummaryDialect::HistogramText(const std::string& bucket_col,
                                          const std::string& requests_col) const {
  return clickhouse_ ? "arrayStringConcat(groupArray(concat(toString(" + bucket_col +
                           "), ':', toString(" + requests_col + "))), ' ')"
                     : "string_agg(CAST(" + bucket_col + " AS VARCHAR) || ':' || CAST(" +
                           requests_col + " AS VARCHAR), ' ' ORDER BY " + bucket_col + ")";
}

std::string SummaryDialect::Read(const std::string& table) const {
  return clickhouse_ ? table + " FINAL" : table;
}

int64_t LatencyBucketOf(double micros) {
  return static_cast<int64_t>(std::floor(8 * std::log2(std::max(micros, 1.0))));
}

double LatencyBucketUpperMs(int64_t bucket) {
  return std::exp2(static_cast<double>(bucket + 1) / 8) / 1000.0;
}

Summarizer::Summarizer(storage::Store& store, SummarizerOptions options, const Clock& clock)
    : store_(store), dialect_(store.backend()), options_(options), clock_(clock) {}

Summarizer::~Summarizer() { Stop(); }

std::string_view Summarizer::TimeColumn(std::string_view table) {
  if (table == "spans") return "start_time_us";
  if (table == "host_metrics" || table == "connections") return "ts_us";
  return "";
}

Status Summarizer::LoadState() {
  std::lock_guard lock(mu_);
  if (loaded_) return Status::Ok();
  auto noted = CORAL_TRY(store_.Query("SELECT max(noted_us) FROM summary_dirty"));
  auto done = CORAL_TRY(store_.Query("SELECT max(done_us) FROM summary_progress"));
  last_noted_ = std::max(last_noted_, IntOr(noted.rows.at(0).at(0)));
  done_ = IntOr(done.rows.at(0).at(0));
  loaded_ = true;
  return Status::Ok();
}

Result<int64_t> Summarizer::Noting(int64_t min_us, int64_t max_us) {
  return Noting(min_us, max_us, store_);
}

Result<int64_t> Summarizer::Noting(int64_t min_us, int64_t max_us, storage::Store& in) {
  CORAL_TRY(LoadState());
  // The ticket is in flight before its note is written, so a Run() never
  // marks it done before both the note and the batch are in; the write
  // itself happens outside the lock (many workers note at once).
  int64_t ticket;
  {
    std::lock_guard lock(mu_);
    ticket = std::max(ToUnixMicros(clock_.Now()), last_noted_ + 1);
    last_noted_ = ticket;
    in_flight_.insert(ticket);
  }
  Status noted = in.Append(storage::Batch{
      "summary_dirty", {"noted_us", "from_us", "to_us"}, {{ticket, min_us, max_us}}});
  if (!noted.ok()) {
    Written(ticket);
    return noted;
  }
  return ticket;
}

void Summarizer::Written(int64_t ticket) {
  std::lock_guard lock(mu_);
  in_flight_.erase(ticket);
}

Status Summarizer::Run() {
  std::lock_guard run(run_mu_);
  CORAL_TRY(LoadState());
  int64_t cutoff, done;
  {
    std::lock_guard lock(mu_);
    cutoff = in_flight_.empty() ? last_noted_ : *in_flight_.begin() - 1;
    done = done_;
  }
  if (cutoff <= done) return Status::Ok();
  auto notes = CORAL_TRY(
      store_.Query("SELECT from_us, to_us FROM summary_dirty WHERE noted_us > ? AND noted_us <= ? "
                   "ORDER BY from_us, to_us",
                   {done, cutoff}));
  // Whole minutes, within what raw retention still holds, merged.
  int64_t now = ToUnixMicros(clock_.Now());
  int64_t oldest =
      FloorMinute(
          now -
          std::chrono::duration_cast<std::chrono::microseconds>(options_.raw_retention).count()) +
      kMinuteUs;
  int64_t newest = FloorMinute(now) + 24 * 60 * kMinuteUs;  // agents with clocks ahead
  std::vector<std::pair<int64_t, int64_t>> ranges;
  for (const auto& row : notes.rows) {
    int64_t from = std::max(FloorMinute(IntOr(row[0])), oldest);
    int64_t to = std::min(FloorMinute(IntOr(row[1])) + kMinuteUs, newest);
    if (from >= to) continue;
    if (!ranges.empty() && from <= ranges.back().second) {
      ranges.back().second = std::max(ranges.back().second, to);
    } else {
      ranges.push_back({from, to});
    }
  }
  for (const auto& [from, to] : ranges) {
    for (int64_t at = from; at < to; at += 60 * kMinuteUs) {
      CORAL_TRY(Recompute(at, std::min(to, at + 60 * kMinuteUs)));
    }
  }
  CORAL_TRY(store_.Append(storage::Batch{"summary_progress", {"done_us"}, {{cutoff}}}));
  std::lock_guard lock(mu_);
  done_ = cutoff;
  return Status::Ok();
}

Status Summarizer::Recompute(int64_t from_us, int64_t to_us) {
  from_us = FloorMinute(from_us);
  to_us = FloorMinute(to_us + kMinuteUs - 1);
  int64_t gen = ToUnixMicros(clock_.Now());
  auto body = [&](storage::Store& s) -> Status {
    if (!dialect_.clickhouse()) {
      for (const char* table : kSummaryTables) {
        CORAL_TRY(s.Execute(
            "DELETE FROM " + std::string(table) + " WHERE minute_us >= ? AND minute_us < ?",
            {from_us, to_us}));
      }
    }
    CORAL_TRY(ServiceMinutes(s, from_us, to_us, gen));
    CORAL_TRY(LatencyHistograms(s, from_us, to_us, gen));
    CORAL_TRY(HostMinutes(s, from_us, to_us, gen));
    CORAL_TRY(SpanEdges(s, from_us, to_us, gen));
    return TcpEdges(s, from_us, to_us, gen);
  };
  return store_.Transaction(body).WithContext("summarize minutes " +
                                              FormatRfc3339(FromUnixMicros(from_us)) + " to " +
                                              FormatRfc3339(FromUnixMicros(to_us)));
}

Status Summarizer::ServiceMinutes(storage::Store& s, int64_t from_us, int64_t to_us, int64_t gen) {
  const std::string where =
      " FROM spans WHERE kind = 'server' AND duration_ns IS NOT NULL AND start_time_us >= ? "
      "AND start_time_us < ? GROUP BY m, svc";
  const std::string m = dialect_.Minute("start_time_us") + " AS m, ifNull(service_name, '') AS svc";
  CORAL_TRY(s.Execute(
      "INSERT INTO service_minutes (minute_us, service_name, requests, errors, sum_ms, max_ms, "
      "p50_ms, p95_ms, p99_ms, gen) SELECT " +
          m +
          ", count(*), sum(CASE WHEN status_code = 'error' THEN 1 ELSE 0 END), "
          "sum(duration_ns) / 1e6, max(duration_ns) / 1e6, " +
          dialect_.PercentileMs("duration_ns", 0.5) + ", " +
          dialect_.PercentileMs("duration_ns", 0.95) + ", " +
          dialect_.PercentileMs("duration_ns", 0.99) + ", " + std::to_string(gen) + where,
      {from_us, to_us}));
  CORAL_TRY(s.Execute(
      "INSERT INTO service_latency_minutes (minute_us, service_name, bucket, requests, gen) "
      "SELECT " +
          m + ", " + dialect_.Bucket("duration_ns") + " AS b, count(*), " + std::to_string(gen) +
          where + ", b",
      {from_us, to_us}));
  // Per operation, so that evidence never scans raw spans.
  CORAL_TRY(s.Execute(
      "INSERT INTO operation_minutes (minute_us, service_name, operation, requests, errors, "
      "sum_ms, max_ms, gen) SELECT " +
          m +
          ", ifNull(name, '') AS op, count(*), sum(CASE WHEN status_code = 'error' THEN 1 "
          "ELSE 0 END), sum(duration_ns) / 1e6, max(duration_ns) / 1e6, " +
          std::to_string(gen) + where + ", op",
      {from_us, to_us}));
  return s.Execute(
      "INSERT INTO error_minutes (minute_us, service_name, message, errors, gen) SELECT " + m +
          ", ifNull(status_message, '') AS msg, count(*), " + std::to_string(gen) +
          " FROM spans WHERE kind = 'server' AND status_code = 'error' AND start_time_us >= ? "
          "AND start_time_us < ? GROUP BY m, svc, msg",
      {from_us, to_us});
}

Status Summarizer::LatencyHistograms(storage::Store& s, int64_t from_us, int64_t to_us,
                                     int64_t gen) {
  // The minutes recomputed, and every block touching them, whole, from the
  // minute rows (those just written and the block's others).
  int64_t first = FloorLatencyBlock(from_us);
  int64_t end = FloorLatencyBlock(to_us - 1) + kLatencyBlockUs;
  const std::string table = kHistogramTable;
  if (!dialect_.clickhouse()) {
    CORAL_TRY(s.Execute(
        "DELETE FROM " + table + " WHERE minutes = 1 AND minute_us >= ? AND minute_us < ?",
        {from_us, to_us}));
    CORAL_TRY(s.Execute(
        "DELETE FROM " + table + " WHERE minutes = 10 AND minute_us >= ? AND minute_us < ?",
        {first, end}));
  }
  const std::string insert =
      "INSERT INTO " + table + " (minute_us, minutes, service_name, buckets, gen) SELECT ";
  const std::string latency = dialect_.Read("service_latency_minutes");
  CORAL_TRY(s.Execute(insert + "minute_us, 1, service_name, " +
                          dialect_.HistogramText("bucket", "requests") + ", " +
                          std::to_string(gen) + " FROM " + latency +
                          " WHERE minute_us >= ? AND minute_us < ? GROUP BY minute_us, "
                          "service_name",
                      {from_us, to_us}));
  return s.Execute(insert + "blk, 10, service_name, " + dialect_.HistogramText("bucket", "n") +
                       ", " + std::to_string(gen) + " FROM (SELECT " +
                       dialect_.Floor("minute_us", kLatencyBlockUs) +
                       " AS blk, service_name, bucket, sum(requests) AS n FROM " + latency +
                       " WHERE minute_us >= ? AND minute_us < ? GROUP BY blk, service_name, "
                       "bucket) AS b GROUP BY blk, service_name",
                   {first, end});
}

Status Summarizer::HostMinutes(storage::Store& s, int64_t from_us, int64_t to_us, int64_t gen) {
  auto avg = [](const std::string& cond) { return "avg(CASE WHEN " + cond + " THEN value END)"; };
  return s.Execute(
      "INSERT INTO host_minutes (minute_us, agent_id, samples, cpu_percent, cpu_max_percent, "
      "mem_used_percent, mem_used_bytes, load_1m, disk_used_percent, disk_read_bytes_per_s, "
      "disk_write_bytes_per_s, net_rx_bytes_per_s, net_tx_bytes_per_s, gen) "
      "SELECT m, agent_id, max(n), max(cpu), max(cpu_max), max(mem_pct), max(mem_used), "
      "max(load1), max(disk_pct), sum(disk_rd), sum(disk_wr), sum(net_rx), sum(net_tx), " +
          std::to_string(gen) + " FROM (SELECT " + dialect_.Minute("ts_us") +
          " AS m, agent_id, resource, "
          "count(CASE WHEN name = 'cpu.percent' AND resource = 'total' THEN 1 END) AS n, " +
          avg("name = 'cpu.percent' AND resource = 'total'") +
          " AS cpu, max(CASE WHEN name = 'cpu.percent' AND resource = 'total' THEN value END) "
          "AS cpu_max, 100 * " +
          avg("name = 'mem.used_bytes'") + " / " + avg("name = 'mem.total_bytes'") +
          " AS mem_pct, " + avg("name = 'mem.used_bytes'") + " AS mem_used, " +
          avg("name = 'load.1m'") + " AS load1, 100 * " + avg("name = 'disk.used_bytes'") + " / " +
          avg("name = 'disk.total_bytes'") + " AS disk_pct, " +
          avg("name = 'disk.read_bytes_per_s'") + " AS disk_rd, " +
          avg("name = 'disk.write_bytes_per_s'") + " AS disk_wr, " +
          avg("name = 'net.rx_bytes_per_s' AND resource <> 'lo'") + " AS net_rx, " +
          avg("name = 'net.tx_bytes_per_s' AND resource <> 'lo'") +
          " AS net_tx FROM host_metrics WHERE ts_us >= ? AND ts_us < ? "
          "GROUP BY m, agent_id, resource) AS r GROUP BY m, agent_id",
      {from_us, to_us});
}

Status Summarizer::SpanEdges(storage::Store& s, int64_t from_us, int64_t to_us, int64_t gen) {
  // A callee's server span starts after its caller's client span, at most a
  // few minutes later.
  int64_t callee_to = to_us + 5 * kMinuteUs;
  return s.Execute(
      "INSERT INTO topology_minutes (minute_us, source, target, via, calls, errors, sum_ms, "
      "max_ms, gen) SELECT m, src, dst, 'span', count(*), sum(err), sum(dur) / 1e6, "
      "max(dur) / 1e6, " +
          std::to_string(gen) +
          " FROM (SELECT ifNull(trace_id, '') AS tid, ifNull(span_id, '') "
          "AS jid, ifNull(service_name, '') AS src, " +
          dialect_.Minute("start_time_us") +
          " AS m, duration_ns AS dur, CASE WHEN status_code = 'error' THEN 1 ELSE 0 END AS err "
          "FROM spans WHERE kind = 'client' AND start_time_us >= ? AND start_time_us < ?) AS c " +
          (dialect_.clickhouse() ? "ANY INNER JOIN" : "INNER JOIN") +
          " (SELECT DISTINCT ifNull(trace_id, '') AS tid, ifNull(parent_span_id, '') AS jid, "
          "ifNull(service_name, '') AS dst FROM spans WHERE kind = 'server' AND parent_span_id "
          "IS NOT NULL AND start_time_us >= ? AND start_time_us < ?) AS s USING (tid, jid) "
          "WHERE src <> dst GROUP BY m, src, dst",
      {from_us, to_us, from_us, callee_to});
}

Status Summarizer::TcpEdges(storage::Store& s, int64_t from_us, int64_t to_us, int64_t gen) {
  // Who listens where: services seen in the window or shortly before it.
  auto services = CORAL_TRY(
      s.Query("SELECT DISTINCT agent_id, ifNull(name, '') AS n, ifNull(port, 0) AS p FROM services "
              "WHERE ts_us >= ? AND ts_us < ? ORDER BY agent_id, n, p",
              {from_us - 10 * kMinuteUs, to_us}));
  std::map<std::pair<std::string, int64_t>, std::string> listener;  // (agent, port) -> name
  std::map<int64_t, std::set<std::string>> names_on_port;
  std::map<int64_t, std::set<std::string>> agents_on_port;
  for (const auto& row : services.rows) {
    std::string agent = TextOr(row[0]), name = TextOr(row[1]);
    int64_t port = IntOr(row[2]);
    if (name.empty() || port <= 0) continue;
    listener.emplace(std::pair{agent, port}, name);
    names_on_port[port].insert(name);
    agents_on_port[port].insert(agent);
  }
  auto conns = CORAL_TRY(s.Query(
      "SELECT " + dialect_.Minute("ts_us") +
          " AS m, agent_id, ifNull(process, '') AS proc, ifNull(remote_address, '') AS ra, "
          "ifNull(remote_port, 0) AS rp, ifNull(local_port, 0) AS lp FROM connections WHERE "
          "ts_us >= ? AND ts_us < ? AND remote_port > 0 GROUP BY m, agent_id, proc, ra, rp, lp",
      {from_us, to_us}));
  std::map<std::tuple<int64_t, std::string, std::string>, int64_t> calls;
  for (const auto& row : conns.rows) {
    int64_t minute = IntOr(row[0]);
    std::string agent = TextOr(row[1]), source = TextOr(row[2]), remote = TextOr(row[3]);
    int64_t remote_port = IntOr(row[4]), local_port = IntOr(row[5]);
    if (source.empty() || listener.contains({agent, local_port})) continue;  // the accepting side
    std::string target;
    if (IsLoopback(remote)) {
      if (auto it = listener.find({agent, remote_port}); it != listener.end()) target = it->second;
    } else if (auto it = names_on_port.find(remote_port);
               it != names_on_port.end() && it->second.size() == 1) {
      target = *it->second.begin();  // one service fleet-wide listens there
    }
    if (target.empty() || target == source) continue;
    ++calls[{minute, source, target}];
  }
  if (calls.empty()) return Status::Ok();
  storage::Batch batch{
      "topology_minutes", {"minute_us", "source", "target", "via", "calls", "errors", "gen"}, {}};
  for (const auto& [key, n] : calls) {
    const auto& [minute, source, target] = key;
    batch.rows.push_back({minute, source, target, std::string("tcp"), n, int64_t{0}, gen});
  }
  return s.Append(batch);
}

Status Summarizer::Prune() {
  std::lock_guard run(run_mu_);
  int64_t now = ToUnixMicros(clock_.Now());
  auto micros = [](auto d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  };
  int64_t raw_cutoff = now - micros(options_.raw_retention);
  int64_t summary_cutoff = FloorLatencyBlock(now - micros(options_.summary_retention));
  auto prune = [&](const std::string& table, const std::string& column, int64_t cutoff) -> Status {
    auto old = CORAL_TRY(
        store_.Query("SELECT count(*) FROM " + table + " WHERE " + column + " < ?", {cutoff}));
    int64_t n = IntOr(old.rows.at(0).at(0));
    if (n == 0) return Status::Ok();
    if (dialect_.clickhouse()) {
      // A mutation, applied in the background; one at a time per table.
      auto pending = CORAL_TRY(store_.Query(
          "SELECT count(*) FROM system.mutations WHERE database = currentDatabase() AND "
          "table = ? AND is_done = 0",
          {table}));
      if (IntOr(pending.rows.at(0).at(0)) > 0) return Status::Ok();
      CORAL_TRY(
          store_.Execute("ALTER TABLE " + table + " DELETE WHERE " + column + " < ?", {cutoff}));
    } else {
      CORAL_TRY(store_.Execute("DELETE FROM " + table + " WHERE " + column + " < ?", {cutoff}));
    }
    CORAL_LOG_INFO("colony: pruned {} rows of {} past retention", n, table);
    return Status::Ok();
  };
  for (const auto& t : TelemetryTables()) CORAL_TRY(prune(t.name, "ts_us", raw_cutoff));
  for (const char* t : kSummaryTables) CORAL_TRY(prune(t, "minute_us", summary_cutoff));
  CORAL_TRY(prune(kHistogramTable, "minute_us", summary_cutoff));
  int64_t done;
  {
    std::lock_guard lock(mu_);
    done = done_;
  }
  // Notes already summarized, kept an hour for whoever looks.
  CORAL_TRY(
      prune("summary_dirty", "noted_us", std::min(done, now - micros(std::chrono::hours(1)))));
  return prune("summary_progress", "done_us", done);
}

void Summarizer::Start() {
  thread_ = std::thread([this] { Main(); });
}

void Summarizer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Summarizer::Main() {
  WallTime next_prune = clock_.Now();
  std::string last_error;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    Status s = Run();
    if (s.ok() && clock_.Now() >= next_prune) {
      s = Prune();
      next_prune = clock_.Now() + options_.prune_every;
    }
    if (!s.ok() && s.message() != last_error) {
      CORAL_LOG_WARN("colony: summaries: {}", s.message());
    }
    last_error = s.ok() ? "" : s.message();
    lock.lock();
    cv_.wait_for(lock, options_.interval, [this] { return stopping_; });
  }
}

}  // namespace coral::analysis

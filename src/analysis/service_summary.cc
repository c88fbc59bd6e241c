#include "analysis/service_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <vector>

#include "analysis/summarizer.h"

namespace coral::analysis {

namespace {

using storage::Value;

int64_t IntOf(const Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  return 0;
}
std::optional<double> DoubleOf(const Value& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  return std::nullopt;
}
std::string TextOf(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return "";
}

std::string Ms(double ms) {
  char buf[32];
  if (ms >= 1000) {
    std::snprintf(buf, sizeof(buf), "%.2f s", ms / 1000);
  } else if (ms >= 10) {
    std::snprintf(buf, sizeof(buf), "%.0f ms", ms);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f ms", ms);
  }
  return buf;
}
std::string Pct(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f%%", fraction * 100);
  return buf;
}

struct Window {
  int64_t from, to;  // minute_us in [from, to)
};

// Per-service figures of one window.
struct Figures {
  int64_t requests = 0, errors = 0;
  double sum_ms = 0;
  std::optional<double> max_ms;
  std::vector<int64_t> buckets;  // requests per latency bucket (the index)
  int64_t bucketed = 0;          // their sum

  void Add(int64_t bucket, int64_t n) {
    // Buckets are 8 * log2(µs), 0 to ~500; clamped in case of odd rows.
    auto b = static_cast<size_t>(std::clamp<int64_t>(bucket, 0, 1023));
    if (b >= buckets.size()) buckets.resize(b + 1);
    buckets[b] += n;
    bucketed += n;
  }
  double error_rate() const {
    return requests == 0 ? 0 : static_cast<double>(errors) / static_cast<double>(requests);
  }
  std::optional<double> Percentile(double p) const {
    if (bucketed <= 0) return std::nullopt;
    auto rank = static_cast<int64_t>(std::ceil(p * static_cast<double>(bucketed)));
    int64_t seen = 0;
    for (size_t b = 0; b < buckets.size(); ++b) {
      seen += buckets[b];
      if (seen >= rank) {
        double upper = LatencyBucketUpperMs(static_cast<int64_t>(b));
        return max_ms ? std::min(upper, *max_ms) : upper;
      }
    }
    return std::nullopt;
  }
};

std::string ServiceFilter(const SummaryRequest& r) {
  return r.service.empty() ? "" : " AND service_name = ?";
}
storage::Params WithService(storage::Params p, const SummaryRequest& r) {
  if (!r.service.empty()) p.push_back(r.service);
  return p;
}

// The figures of each service over a window. The queries do not sort: the
// maps do.
Result<std::map<std::string, Figures>> LoadFigures(storage::Store& store, const SummaryDialect& d,
                                                   const SummaryRequest& r, Window w) {
  std::map<std::string, Figures> out;
  auto totals = CORAL_TRY(store.Query(
      "SELECT service_name, sum(requests), sum(errors), sum(sum_ms), max(max_ms) FROM " +
          d.Read("service_minutes") + " WHERE minute_us >= ? AND minute_us < ?" + ServiceFilter(r) +
          " GROUP BY service_name",
      WithService({w.from, w.to}, r)));
  for (const auto& row : totals.rows) {
    Figures& f = out[TextOf(row[0])];
    f.requests = IntOf(row[1]);
    f.errors = IntOf(row[2]);
    f.sum_ms = DoubleOf(row[3]).value_or(0);
    f.max_ms = DoubleOf(row[4]);
  }
  // The window's whole 10-minute blocks, and the minutes before and after
  // them (or every minute when no block fits).
  int64_t blocks_from = std::min(FloorLatencyBlock(w.from + kLatencyBlockUs - 1), w.to);
  int64_t blocks_to = std::max(blocks_from, FloorLatencyBlock(w.to));
  auto histograms = CORAL_TRY(store.Query(
      "SELECT service_name, buckets FROM " + d.Read("service_latency_histograms") +
          " WHERE ((minutes = 10 AND minute_us >= ? AND minute_us < ?) OR (minutes = 1 AND "
          "((minute_us >= ? AND minute_us < ?) OR (minute_us >= ? AND minute_us < ?))))" +
          ServiceFilter(r),
      WithService({blocks_from, blocks_to, w.from, blocks_from, blocks_to, w.to}, r)));
  static const std::string kNoName;
  for (const auto& row : histograms.rows) {  // a few thousand rows for 400 services over an hour
    const auto* name = std::get_if<std::string>(&row[0]);
    const auto* text = std::get_if<std::string>(&row[1]);
    Figures& f = out.try_emplace(name ? *name : kNoName).first->second;
    if (text && !ForEachLatencyBucket(*text, [&f](int64_t b, int64_t n) { f.Add(b, n); })) {
      return Corruption("service_latency_histograms: malformed buckets '" + text->substr(0, 80) +
                        "' for service " + (name ? *name : kNoName));
    }
  }
  return out;
}

struct Health {
  bool healthy = true;
  std::string reason;
  int64_t since_us = 0;
};

// The latest health event of each service (the failing one if any agent's
// check of it fails).
// Events are transitions: the latest may be older than the window, but not
// older than raw retention (24 h), which bounds the scan.
Result<std::map<std::string, Health>> LoadHealth(storage::Store& store, const SummaryRequest& r,
                                                 int64_t now_us) {
  auto rows = CORAL_TRY(store.Query(
      "SELECT service, argMax(healthy, seq), argMax(reason, seq), max(ts_us) FROM health_events "
      "WHERE service IS NOT NULL AND ts_us >= ?" +
          std::string(r.service.empty() ? "" : " AND service = ?") +
          " GROUP BY agent_id, service ORDER BY service, agent_id",
      WithService({now_us - int64_t{24} * 3600 * 1'000'000}, r)));
  std::map<std::string, Health> out;
  for (const auto& row : rows.rows) {
    Health h{IntOf(row[1]) != 0, TextOf(row[2]), IntOf(row[3])};
    auto [it, inserted] = out.emplace(TextOf(row[0]), h);
    if (!inserted && it->second.healthy && !h.healthy) it->second = h;
  }
  return out;
}

// Evidence lines a finding asks for: the top operations of its service over
// the window (by errors, or by time taken).
struct OperationEvidence {
  size_t finding;
  std::string service;
  bool by_errors;
};

std::string InList(size_t n) {
  std::string list = "(";
  for (size_t i = 0; i < n; ++i) list += i ? ", ?" : "?";
  return list + ")";
}

// Fills in the operation evidence every finding asked for, with one query
// over the per-operation minutes (requests, errors, average and maximum
// latency) and one over the error messages.
Status AddOperationEvidence(storage::Store& store, const SummaryDialect& d, Window w,
                            const std::vector<OperationEvidence>& wanted,
                            std::vector<coral::v1::Finding>& findings) {
  if (wanted.empty()) return Status::Ok();
  std::set<std::string> services, failing;
  for (const auto& e : wanted) {
    services.insert(e.service);
    if (e.by_errors) failing.insert(e.service);
  }
  storage::Params params{w.from, w.to};
  params.insert(params.end(), services.begin(), services.end());
  auto rows = CORAL_TRY(store.Query(
      "SELECT service_name, operation, sum(requests), sum(errors), sum(sum_ms), max(max_ms) "
      "FROM " +
          d.Read("operation_minutes") + " WHERE minute_us >= ? AND minute_us < ? AND " +
          "service_name IN " + InList(services.size()) + " GROUP BY service_name, operation",
      params));
  std::map<std::string, std::map<std::string, Figures>> ops;  // service -> operation
  for (const auto& row : rows.rows) {
    Figures& f = ops[TextOf(row[0])][TextOf(row[1])];
    f.requests = IntOf(row[2]);
    f.errors = IntOf(row[3]);
    f.sum_ms = DoubleOf(row[4]).value_or(0);
    f.max_ms = DoubleOf(row[5]);
  }
  std::map<std::string, std::vector<std::string>> messages;  // service -> lines
  if (!failing.empty()) {
    storage::Params p{w.from, w.to};
    p.insert(p.end(), failing.begin(), failing.end());
    auto rows = CORAL_TRY(store.Query(
        "SELECT service_name, message, sum(errors) AS n FROM " + d.Read("error_minutes") +
            " WHERE minute_us >= ? AND minute_us < ? AND service_name IN " +
            InList(failing.size()) +
            " GROUP BY service_name, message "
            "ORDER BY service_name, n DESC, message",
        p));
    for (const auto& row : rows.rows) {
      auto& lines = messages[TextOf(row[0])];
      if (lines.size() == 3) continue;
      std::string msg = TextOf(row[1]);
      lines.push_back(std::to_string(IntOf(row[2])) + " x error " +
                      (msg.empty() ? "(no message)" : "'" + msg + "'"));
    }
  }
  for (const auto& e : wanted) {
    std::vector<std::pair<std::string, const Figures*>> top;
    for (const auto& [op, f] : ops[e.service]) {
      if (!e.by_errors || f.errors > 0) top.emplace_back(op, &f);
    }
    // The most errors, or the most time taken; then by name.
    auto key = [&](const Figures* f) {
      return e.by_errors ? static_cast<double>(f->errors) : f->sum_ms;
    };
    std::sort(top.begin(), top.end(), [&](const auto& a, const auto& b) {
      if (key(a.second) != key(b.second)) return key(a.second) > key(b.second);
      return a.first < b.first;
    });
    if (top.size() > 3) top.resize(3);
    coral::v1::Finding& finding = findings[e.finding];
    for (const auto& [op, f] : top) {
      double avg = f->requests > 0 ? f->sum_ms / static_cast<double>(f->requests) : 0;
      std::string line = "operation '" + op + "': " + std::to_string(f->requests) +
                         " requests, avg " + Ms(avg) + ", max " + Ms(f->max_ms.value_or(0));
      if (f->errors > 0) {
        line += ", " + std::to_string(f->errors) + (f->errors == 1 ? " error" : " errors");
      }
      finding.add_evidence(line);
    }
    if (e.by_errors) {
      for (const auto& line : messages[e.service]) finding.add_evidence(line);
    }
  }
  return Status::Ok();
}

int SeverityRank(const std::string& s) { return s == "critical" ? 0 : s == "warning" ? 1 : 2; }

}  // namespace

Result<coral::v1::GetSummaryResponse> Summarize(storage::Store& store, const SummaryRequest& r,
                                                WallTime now) {
  SummaryDialect d(store.backend());
  int64_t now_us = ToUnixMicros(now);
  int64_t since = std::chrono::duration_cast<std::chrono::microseconds>(r.since).count();
  Window w{FloorMinute(now_us - since), FloorMinute(now_us) + kMinuteUs};
  Window prev{w.from - (w.to - w.from), w.from};
  double seconds = static_cast<double>(std::min(w.to, now_us) - w.from) / 1e6;

  auto current = CORAL_TRY(LoadFigures(store, d, r, w));
  auto before = CORAL_TRY(LoadFigures(store, d, r, prev));
  auto health = CORAL_TRY(LoadHealth(store, r, now_us));

  coral::v1::GetSummaryResponse out;
  out.set_from_unix_micros(w.from);
  out.set_to_unix_micros(now_us);
  out.set_backend(std::string(store.backend()));
  std::vector<coral::v1::Finding> findings;
  auto add = [&](std::string kind, std::string severity, std::string subject, std::string title,
                 std::vector<std::string> evidence) {
    coral::v1::Finding f;
    f.set_kind(std::move(kind));
    f.set_severity(std::move(severity));
    f.set_subject(std::move(subject));
    f.set_title(std::move(title));
    for (auto& e : evidence) f.add_evidence(std::move(e));
    findings.push_back(std::move(f));
  };

  std::set<std::string> names;
  for (const auto& [name, f] : current) names.insert(name);
  for (const auto& [name, h] : health) names.insert(name);

  std::vector<OperationEvidence> operation_evidence;
  std::set<std::string> slow;
  for (const auto& [name, f] : current) {
    auto p95 = f.Percentile(0.95);
    if (p95 && *p95 >= r.slow_ms) slow.insert(name);
  }
  // Calls between slow services over the window, for slow_dependency (a slow
  // service slow because of another: none unless two are slow).
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, double>> edges;
  if (slow.size() >= 2) {
    storage::Params params{w.from, w.to};
    for (int side = 0; side < 2; ++side) params.insert(params.end(), slow.begin(), slow.end());
    auto edge_rows = CORAL_TRY(store.Query(
        "SELECT source, target, sum(calls), sum(sum_ms) FROM " + d.Read("topology_minutes") +
            " WHERE via = 'span' AND minute_us >= ? AND minute_us < ? AND source IN " +
            InList(slow.size()) + " AND target IN " + InList(slow.size()) +
            " GROUP BY source, target",
        params));
    for (const auto& row : edge_rows.rows) {
      edges[{TextOf(row[0]), TextOf(row[1])}] = {IntOf(row[2]), DoubleOf(row[3]).value_or(0)};
    }
  }

  for (const auto& name : names) {
    const Figures& f = current[name];
    const Figures& b = before[name];
    auto* s = out.add_services();
    s->set_service(name);
    s->set_requests(f.requests);
    s->set_errors(f.errors);
    s->set_error_rate(f.error_rate());
    s->set_requests_per_s(seconds > 0 ? static_cast<double>(f.requests) / seconds : 0);
    auto p50 = f.Percentile(0.5), p95 = f.Percentile(0.95), p99 = f.Percentile(0.99);
    if (p50) s->set_p50_ms(*p50);
    if (p95) s->set_p95_ms(*p95);
    if (p99) s->set_p99_ms(*p99);
    if (f.requests > 0) s->set_avg_ms(f.sum_ms / static_cast<double>(f.requests));
    if (f.max_ms) s->set_max_ms(*f.max_ms);
    s->set_previous_requests(b.requests);
    s->set_previous_error_rate(b.error_rate());
    auto prev_p95 = b.Percentile(0.95);
    if (prev_p95) s->set_previous_p95_ms(*prev_p95);
    size_t first_finding = findings.size();

    if (auto h = health.find(name); h != health.end()) {
      s->set_health(h->second.healthy ? "passing" : "failing");
      s->set_health_reason(h->second.reason);
      s->set_health_since_unix_micros(h->second.since_us);
      if (!h->second.healthy) {
        add("failing_health_check", "critical", name,
            name + " fails its health check: " + h->second.reason,
            {"failing since " + FormatRfc3339(FromUnixMicros(h->second.since_us))});
      }
    }
    double rate = f.error_rate();
    if (f.errors >= 5 && rate >= 0.05) {
      bool spike = b.requests == 0 || rate >= 2 * b.error_rate();
      std::vector<std::string> evidence = {
          std::to_string(f.errors) + " of " + std::to_string(f.requests) + " requests failed (" +
          Pct(rate) + "); the window before: " +
          (b.requests == 0 ? "no requests"
                           : std::to_string(b.errors) + " of " + std::to_string(b.requests) + " (" +
                                 Pct(b.error_rate()) + ")")};
      operation_evidence.push_back({findings.size(), name, true});
      add(spike ? "error_spike" : "error_rate", rate >= 0.2 ? "critical" : "warning", name,
          name + (spike ? " errors rose to " : " keeps failing: ") + Pct(rate) + " of requests",
          evidence);
    }
    if (p95 && prev_p95 && f.requests >= 20 && b.requests >= 20 && *p95 >= 1.5 * *prev_p95 &&
        *p95 - *prev_p95 >= 50) {
      add("latency_regression", "warning", name,
          name + " got slower: p95 " + Ms(*p95) + ", was " + Ms(*prev_p95),
          {"p95 " + Ms(*p95) + " over " + std::to_string(f.requests) +
           " requests; the window "
           "before: p95 " +
           Ms(*prev_p95) + " over " + std::to_string(b.requests)});
    }
    if (slow.contains(name)) {
      // Where its time goes: a slow callee that takes most of it.
      std::string culprit;
      double share = 0;
      for (const auto& [edge, calls] : edges) {
        if (edge.first != name || !slow.contains(edge.second) || f.sum_ms <= 0) continue;
        double s_share = calls.second / f.sum_ms;
        if (s_share >= 0.5 && s_share > share) {
          share = s_share;
          culprit = edge.second;
        }
      }
      std::vector<std::string> evidence = {"p95 " + Ms(*p95) + ", p99 " + Ms(p99.value_or(0)) +
                                           " over " + std::to_string(f.requests) +
                                           " requests (slow from " + Ms(r.slow_ms) + ")"};
      if (!culprit.empty()) {
        const auto& calls = edges[{name, culprit}];
        evidence.push_back(
            std::to_string(calls.first) + " calls to " + culprit + " took " +
            Pct(std::min(share, 1.0)) + " of " + name + "'s time (avg " +
            Ms(calls.second / static_cast<double>(std::max<int64_t>(calls.first, 1))) +
            " per call)");
        add("slow_dependency", "info", name,
            name + " is slow because " + culprit + " is: look at " + culprit, evidence);
      } else {
        operation_evidence.push_back({findings.size(), name, false});
        add("slow_service", "warning", name, name + " is slow: p95 " + Ms(*p95), evidence);
      }
    }
    if (health.contains(name) && !health[name].healthy) {
      s->set_status("failing");
    } else {
      s->set_status(findings.size() > first_finding ? "degraded" : "ok");
    }
  }

  // Hosts, when no single service was asked about.
  if (r.service.empty()) {
    auto hosts = CORAL_TRY(store.Query(
        "SELECT agent_id, avg(cpu_percent), max(mem_used_percent), max(disk_used_percent) FROM " +
            d.Read("host_minutes") +
            " WHERE minute_us >= ? AND minute_us < ? GROUP BY agent_id ORDER BY agent_id",
        {w.from, w.to}));
    for (const auto& row : hosts.rows) {
      std::string agent = TextOf(row[0]);
      auto name = r.host_names.find(agent);
      std::string host = name == r.host_names.end() ? agent : name->second + " (" + agent + ")";
      std::vector<std::string> evidence;
      auto check = [&](const char* what, std::optional<double> v) {
        if (v && *v >= 90) evidence.push_back(std::string(what) + " " + Pct(*v / 100));
      };
      check("CPU (average)", DoubleOf(row[1]));
      check("memory used (peak minute)", DoubleOf(row[2]));
      check("fullest disk", DoubleOf(row[3]));
      if (!evidence.empty())
        add("saturated_host", "warning", host, host + " is saturated", evidence);
    }
  }

  CORAL_TRY(AddOperationEvidence(store, d, w, operation_evidence, findings));
  std::stable_sort(findings.begin(), findings.end(), [](const auto& a, const auto& b) {
    return SeverityRank(a.severity()) < SeverityRank(b.severity());
  });
  for (auto& f : findings) *out.add_findings() = std::move(f);
  return out;
}

Result<storage::RowSet> Topology(storage::Store& store, std::chrono::milliseconds since,
                                 WallTime now) {
  SummaryDialect d(store.backend());
  int64_t now_us = ToUnixMicros(now);
  int64_t from =
      FloorMinute(now_us - std::chrono::duration_cast<std::chrono::microseconds>(since).count());
  // (ClickHouse would read an alias named like a column inside the other
  // aggregates, hence the inner names.)
  return store.Query(
      "SELECT source, target, via, c AS calls, e AS errors, t / c AS avg_ms, m AS max_ms FROM "
      "(SELECT source, target, via, sum(calls) AS c, sum(errors) AS e, sum(sum_ms) AS t, "
      "max(max_ms) AS m FROM " +
          d.Read("topology_minutes") +
          " WHERE minute_us >= ? GROUP BY source, target, via) AS edges "
          "ORDER BY source, target, via",
      {from});
}

Result<storage::RowSet> Services(storage::Store& store, const SummaryRequest& request,
                                 WallTime now) {
  auto summary = CORAL_TRY(Summarize(store, request, now));
  int64_t from = ToUnixMicros(now) -
                 std::chrono::duration_cast<std::chrono::microseconds>(request.since).count();
  storage::Params params{from};
  if (!request.service.empty()) params.push_back(request.service);
  auto seen = CORAL_TRY(store.Query(
      "SELECT name, agent_id, port, source, max(ts_us) AS last_us FROM services WHERE ts_us >= ?" +
          std::string(request.service.empty() ? "" : " AND name = ?") +
          " GROUP BY name, agent_id, port, source ORDER BY name, agent_id, port",
      params));
  struct Where {
    std::set<std::string> hosts, sources;
    std::set<int64_t> ports;
    int64_t last_us = 0;
  };
  std::map<std::string, Where> where;
  for (const auto& row : seen.rows) {
    Where& w = where[TextOf(row[0])];
    std::string agent = TextOf(row[1]);
    auto name = request.host_names.find(agent);
    w.hosts.insert(name == request.host_names.end() ? agent : name->second);
    if (const auto* port = std::get_if<int64_t>(&row[2])) w.ports.insert(*port);
    w.sources.insert(TextOf(row[3]));
    if (const auto* last = std::get_if<int64_t>(&row[4])) w.last_us = std::max(w.last_us, *last);
  }
  std::map<std::string, const coral::v1::ServiceSummary*> health;
  for (const auto& s : summary.services()) health[s.service()] = &s;
  std::set<std::string> names;
  for (const auto& [name, w] : where) names.insert(name);
  for (const auto& [name, s] : health) names.insert(name);

  using storage::ColumnType;
  storage::RowSet out;
  out.columns = {{"service", ColumnType::kString},        {"status", ColumnType::kString},
                 {"requests_per_s", ColumnType::kDouble}, {"error_pct", ColumnType::kDouble},
                 {"p95_ms", ColumnType::kDouble},         {"health", ColumnType::kString},
                 {"hosts", ColumnType::kString},          {"ports", ColumnType::kString},
                 {"source", ColumnType::kString},         {"last_seen_us", ColumnType::kInt64}};
  auto join = [](const auto& set) {
    std::string text;
    for (const auto& v : set) {
      if constexpr (std::is_same_v<std::decay_t<decltype(v)>, int64_t>) {
        text += (text.empty() ? "" : ",") + std::to_string(v);
      } else {
        text += (text.empty() ? "" : ",") + v;
      }
    }
    return text.empty() ? Value{} : Value{text};
  };
  for (const std::string& name : names) {
    const coral::v1::ServiceSummary* s = health.contains(name) ? health[name] : nullptr;
    auto w = where.find(name);
    bool listening = w != where.end();
    out.rows.push_back(
        {name,
         // Seen listening, no spans: nothing says it is unwell.
         s ? Value{s->status()} : Value{std::string("ok")},
         s ? Value{s->requests_per_s()} : Value{}, s ? Value{100.0 * s->error_rate()} : Value{},
         s && s->has_p95_ms() ? Value{s->p95_ms()} : Value{},
         s && !s->health().empty() ? Value{s->health()} : Value{},
         listening ? join(w->second.hosts) : Value{}, listening ? join(w->second.ports) : Value{},
         listening ? join(w->second.sources) : Value{std::string("spans")},
         listening ? Value{w->second.last_us} : Value{}});
  }
  return out;
}

Result<storage::RowSet> Hosts(storage::Store& store, std::chrono::milliseconds since, WallTime now,
                              const std::map<std::string, std::string>& names) {
  SummaryDialect d(store.backend());
  int64_t now_us = ToUnixMicros(now);
  int64_t from =
      FloorMinute(now_us - std::chrono::duration_cast<std::chrono::microseconds>(since).count());
  auto rows = CORAL_TRY(store.Query(
      "SELECT agent_id, max(minute_us) AS last_minute_us, avg(cpu_percent) AS cpu_percent, "
      "max(cpu_max_percent) AS cpu_max_percent, avg(mem_used_percent) AS mem_used_percent, "
      "max(disk_used_percent) AS disk_used_percent, avg(load_1m) AS load_1m, "
      "avg(disk_read_bytes_per_s) AS disk_read_bytes_per_s, avg(disk_write_bytes_per_s) AS "
      "disk_write_bytes_per_s, avg(net_rx_bytes_per_s) AS net_rx_bytes_per_s, "
      "avg(net_tx_bytes_per_s) AS net_tx_bytes_per_s FROM " +
          d.Read("host_minutes") + " WHERE minute_us >= ? GROUP BY agent_id ORDER BY agent_id",
      {from}));
  // The hostname goes second.
  rows.columns.insert(rows.columns.begin() + 1, {"hostname", storage::ColumnType::kString});
  for (auto& row : rows.rows) {
    auto name = names.find(TextOf(row[0]));
    row.insert(row.begin() + 1, name == names.end() ? Value{} : Value{name->second});
  }
  return rows;
}

}  // namespace coral::analysis

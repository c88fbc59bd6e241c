// colony_scale: a simulated fleet polled by the real colony pipeline (Poller,
// Summarizer, Summarize) on one backend, printing one line of JSON:
//   backfill   the fleet's last `history_min` minutes pulled as fast as the
//              colony can (rows/s ingested, poll cycles, simulator share),
//              with the summarizer running beside it as in the colony, then
//              one summarizer run to catch up;
//   steady     `steady_cycles` poll cycles of 15 s of fleet data each: time to
//              pull all agents once, then the summarizer run after it;
//   query      `query_runs` runs of the 1 h summary (Summarize, since=1h, the
//              whole fleet): p50 / p99 / max latency;
//   rss        this process's VmHWM / VmRSS, and clickhouse-server's when it
//              is our child.
//
// The agents are simulated in-process: an AgentSource that builds the pages
// an agent's QueryTable would answer (same columns, seq order, `more`,
// `oldest_seq`) on demand from (agent, table, seq) with a stateless hash, so
// nothing is stored twice and no gRPC is involved (neither TLS nor protobuf
// serialization is measured). The CPU time spent building pages is measured
// and reported on its own.
//
// Fleet shape (per agent): `services` services, each replicated on `replicas`
// agents (distinct names = agents * services / replicas); spans at
// `spans_per_s` as traces of three spans (root server span, a client span, the
// callee's server span, lognormal durations); processes 200 rows, services
// one row each and connections two per service every 10 s; host metrics 40
// rows plus two per service every 15 s; health events when a check changes.
// One service (fleet-wide) is slow, one fails 8% of its requests, one has a
// failing health check, so the summary has findings to explain.
//
//   colony_scale --backend duckdb|clickhouse [--agents 200] [--services 20]
//                [--replicas 10] [--spans-per-s 50] [--history-min 60]
//                [--steady-cycles 4] [--query-runs 50] [--concurrency 4]
//                [--dir /tmp] [--clickhouse-url clickhouse://...]
//                [--keep-store FILE.duckdb]   keep the DuckDB store (and the
//                                             simulated now, FILE.duckdb.horizon)
//                [--memory-limit 512MB]       DuckDB's memory_limit, as a colony
//                                             sets it in storage.url (default:
//                                             the colony's, a quarter of RAM)
//   colony_scale --query-probe 1 --keep-store FILE.duckdb [--query-runs 50]
//                the 1 h summary on a kept store, with its slowest statements
//
// Thread-safety: the simulator is stateless apart from atomics (the horizon
// and counters); the poller's workers call it concurrently.
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "analysis/service_summary.h"
#include "analysis/summarizer.h"
#include "analysis/telemetry_schema.h"
#include "base/log.h"
#include "base/temp_dir.h"
#include "colony/poller.h"
#include "storage/clickhouse/clickhouse_test_server.h"
#include "storage/store.h"

namespace coral::bench {
namespace {

using namespace std::chrono_literals;
using colony::PollTarget;

constexpr int64_t kSecondUs = 1'000'000;
constexpr int kProcessesPerTick = 200;
constexpr int kHostRows = 40;

struct Options {
  std::string backend = "duckdb";
  int agents = 200;
  int services = 20;
  int replicas = 10;
  double spans_per_s = 50;
  int history_min = 60;
  int steady_cycles = 4;
  int query_runs = 50;
  int concurrency = 4;
  std::string dir = "/tmp";
  std::string clickhouse_url;
  bool append_probe = false;
  std::string keep_store;    // a DuckDB file kept after the run (with PATH.horizon)
  std::string memory_limit;  // DuckDB's, when not the colony's default
  bool query_probe = false;
};

uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
uint64_t Hash(uint64_t a, uint64_t b, uint64_t c = 0) { return Mix(Mix(Mix(a) ^ b) ^ c); }
double Unit(uint64_t h) { return static_cast<double>(h >> 11) / 9007199254740992.0; }
// A standard normal from a hash (Box-Muller).
double Normal(uint64_t h) {
  double u1 = std::max(Unit(h), 1e-12), u2 = Unit(Mix(h));
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
}
void AppendHex(uint64_t v, int digits, std::string* out) {
  static const char kDigits[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out->push_back(kDigits[(v >> (4 * i)) & 15]);
}
std::string Hex(uint64_t v, int digits) {
  std::string s;
  s.reserve(digits);
  AppendHex(v, digits, &s);
  return s;
}

const char* const kWords[] = {"checkout", "cart",   "catalog", "payments", "shipping",
                              "users",    "auth",   "search",  "reviews",  "inventory",
                              "pricing",  "orders", "emails",  "ads",      "recommend",
                              "currency", "quotes", "ledger",  "fraud",    "gateway"};
const char* const kRoutes[] = {"GET /api/v1/items/{id}", "POST /api/v1/items", "GET /api/v1/items",
                               "PUT /api/v1/items/{id}", "GET /healthz"};
const char* const kSystemProcesses[] = {"systemd", "sshd",    "containerd", "kubelet",
                                        "dockerd", "chronyd", "journald",   "rsyslogd",
                                        "cron",    "kworker", "bash",       "node_exporter"};

enum class Table { kProcesses, kServices, kConnections, kHostMetrics, kHealth, kSpans, kOther };
Table TableOf(const std::string& name) {
  if (name == "processes") return Table::kProcesses;
  if (name == "services") return Table::kServices;
  if (name == "connections") return Table::kConnections;
  if (name == "host_metrics") return Table::kHostMetrics;
  if (name == "health_events") return Table::kHealth;
  if (name == "spans") return Table::kSpans;
  return Table::kOther;  // metric_points, log_records: not simulated
}

struct HealthEvent {
  int64_t ts_us;
  int service;  // index on the agent
  bool healthy;
  const char* reason;
};

// The fleet, as the agents' QueryTable would answer.
class Fleet final : public colony::AgentSource {
 public:
  Fleet(const Options& o, int64_t t0_us) : o_(o), t0_(t0_us) {
    int groups = (o.agents + o.replicas - 1) / o.replicas;
    for (int g = 0; g < groups; ++g) {
      for (int j = 0; j < o.services; ++j) {
        names_.push_back(std::string(kWords[j % 20]) + "-" + std::to_string(g) +
                         (j >= 20 ? "-" + std::to_string(j / 20) : ""));
        // Median latency 2-40 ms; one slow service fleet-wide.
        median_ms_.push_back(g == 0 && j == 3 ? 350.0 : 2.0 + Unit(Hash(g, j, 1)) * 38);
        error_rate_.push_back(g == 0 && j == 5 ? 0.08 : 0.002);
      }
    }
    for (int a = 0; a < o.agents; ++a) {
      std::string host = "host-" + std::to_string(a);
      std::vector<std::string> resources;
      for (int j = 0; j < o.services; ++j) {
        resources.push_back("{\"service.name\":\"" + Name(a, j) + "\",\"host.name\":\"" + host +
                            "\",\"service.version\":\"1." + std::to_string(j % 7) +
                            ".3\",\"telemetry.sdk.language\":\"go\",\"deployment.environment\":"
                            "\"prod\"}");
      }
      resource_.push_back(std::move(resources));
      // Every service healthy at the start; on group 0, service 7 fails from
      // 10 minutes before the end of history and service 9 flaps every 10 minutes.
      std::vector<HealthEvent> events;
      for (int j = 0; j < o.services; ++j) events.push_back({t0_ + Offset(a), j, true, "HTTP 200"});
      if (a / o.replicas == 0 && o.services > 9) {
        int64_t end = t0_ + int64_t{o.history_min} * 60 * kSecondUs;
        for (int64_t t = t0_ + 600 * kSecondUs; t < end + 3600 * kSecondUs; t += 600 * kSecondUs) {
          events.push_back({t + Offset(a), 9, false, "HTTP 503"});
          events.push_back({t + 30 * kSecondUs + Offset(a), 9, true, "HTTP 200"});
        }
        events.push_back({end - 600 * kSecondUs + Offset(a), 7, false, "timeout after 2s"});
        std::stable_sort(events.begin(), events.end(),
                         [](const auto& x, const auto& y) { return x.ts_us < y.ts_us; });
      }
      health_.push_back(std::move(events));
    }
  }

  int distinct_services() const { return static_cast<int>(names_.size()); }
  void SetHorizon(int64_t us) { horizon_.store(us); }
  int64_t horizon() const { return horizon_.load(); }
  double simulator_cpu_s() const { return static_cast<double>(sim_cpu_ns_.load()) / 1e9; }
  int64_t pulls() const { return pulls_.load(); }

  // Rows of (agent, table) with ts <= horizon.
  int64_t Available(int agent, Table t, int64_t horizon) const {
    int64_t since = horizon - t0_ - Offset(agent);
    if (since < 0) return 0;
    switch (t) {
      case Table::kProcesses:
        return (since / (10 * kSecondUs) + 1) * kProcessesPerTick;
      case Table::kServices:
        return (since / (10 * kSecondUs) + 1) * o_.services;
      case Table::kConnections:
        return (since / (10 * kSecondUs) + 1) * 2 * o_.services;
      case Table::kHostMetrics:
        return (since / (15 * kSecondUs) + 1) * (kHostRows + 2 * o_.services);
      case Table::kHealth: {
        const auto& e = health_[agent];
        return std::upper_bound(e.begin(), e.end(), horizon,
                                [](int64_t h, const HealthEvent& x) { return h < x.ts_us; }) -
               e.begin();
      }
      case Table::kSpans: {
        // Trace n is exported 2 s after it starts.
        if (since < 2 * kSecondUs) return 0;
        return ((since - 2 * kSecondUs) / TraceGapUs() + 1) * 3;
      }
      case Table::kOther:
        return 0;
    }
    return 0;
  }

  Result<coral::v1::QueryTableResponse> Pull(const PollTarget& target, const std::string& table,
                                             int64_t after_seq, int limit) override {
    timespec start{}, end{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
    int agent = std::stoi(target.address);
    Table t = TableOf(table);
    coral::v1::QueryTableResponse out;
    out.set_table(table);
    for (const char* c : Columns(t)) out.add_columns(c);
    int64_t available = Available(agent, t, horizon_.load());
    out.set_oldest_seq(available > 0 ? 1 : 0);
    int64_t n = std::clamp<int64_t>(available - after_seq, 0, limit);
    out.mutable_rows()->Reserve(static_cast<int>(n));
    for (int64_t seq = after_seq + 1; seq <= after_seq + n; ++seq) {
      coral::v1::Row* row = out.add_rows();
      row->add_values()->set_int_value(seq);
      FillRow(agent, t, seq, row);
    }
    out.set_more(after_seq + n < available);
    out.set_next_seq(after_seq + n);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end);
    sim_cpu_ns_ += (end.tv_sec - start.tv_sec) * 1'000'000'000LL + (end.tv_nsec - start.tv_nsec);
    ++pulls_;
    return out;
  }

 private:
  int64_t Offset(int agent) const { return static_cast<int64_t>(Hash(agent, 99) % kSecondUs); }
  int64_t TraceGapUs() const { return static_cast<int64_t>(3e6 / o_.spans_per_s); }
  int Global(int agent, int j) const { return (agent / o_.replicas) * o_.services + j; }
  const std::string& Name(int agent, int j) const { return names_[Global(agent, j)]; }

  static std::vector<const char*> Columns(Table t) {
    switch (t) {
      case Table::kProcesses:
        return {"seq",       "ts",      "pid",          "ppid",       "name",
                "exe",       "cmdline", "username",     "started_at", "cpu_percent",
                "rss_bytes", "cgroup",  "container_id", "netns"};
      case Table::kServices:
        return {"seq",      "ts",      "name",   "pid",         "port",  "transport",
                "protocol", "address", "source", "health_path", "netns", "container_id"};
      case Table::kConnections:
        return {"seq",
                "ts",
                "pid",
                "process",
                "local_address",
                "local_port",
                "remote_address",
                "remote_port",
                "state",
                "bytes_sent",
                "bytes_received",
                "method",
                "netns",
                "event"};
      case Table::kHostMetrics:
        return {"seq", "ts", "name", "resource", "value"};
      case Table::kHealth:
        return {"seq", "ts", "service", "port", "healthy", "reason", "status_code", "latency_ms"};
      case Table::kSpans:
        return {
            "seq",          "ts",          "trace_id",       "span_id",    "parent_span_id",
            "service_name", "name",        "kind",           "start_time", "end_time",
            "duration_ns",  "status_code", "status_message", "attributes", "resource_attributes",
            "event_count",  "link_count",  "scope_name"};
      case Table::kOther:
        return {"seq", "ts"};
    }
    return {};
  }

  void FillRow(int agent, Table t, int64_t seq, coral::v1::Row* row) const {
    auto i64 = [row](int64_t v) { row->add_values()->set_int_value(v); };
    auto f64 = [row](double v) { row->add_values()->set_double_value(v); };
    auto str = [row](std::string v) { row->add_values()->set_string_value(std::move(v)); };
    auto time = [row](int64_t v) { row->add_values()->set_timestamp_micros(v); };
    auto null = [row] { row->add_values(); };
    int64_t i = seq - 1;
    int64_t base = t0_ + Offset(agent);
    int pid_base = 1000 + agent % 17;
    switch (t) {
      case Table::kProcesses: {
        int64_t tick = i / kProcessesPerTick;
        int k = static_cast<int>(i % kProcessesPerTick);
        time(base + tick * 10 * kSecondUs);
        bool service = k < o_.services;
        std::string name = service ? Name(agent, k) : kSystemProcesses[k % 12];
        i64(pid_base + k * 7);
        i64(k < 3 ? 0 : 1);
        str(name);
        str("/usr/bin/" + name);
        str("/usr/bin/" + name + " --config /etc/" + name + "/config.yaml --log-level info");
        str(service ? "app" : "root");
        time(t0_ - 86'400 * kSecondUs + k * kSecondUs);
        f64(service ? 5 + 20 * Unit(Hash(agent, seq, 2)) : Unit(Hash(agent, seq, 2)));
        i64(service ? 200'000'000 + k * 1'000'000 : 8'000'000 + k * 10'000);
        str(service ? "/kubepods/pod-" + Hex(Hash(agent, k), 8) + "/" + name
                    : "/system.slice/" + name + ".service");
        if (service) {
          str(Hex(Hash(agent, k, 3), 16) + Hex(Hash(agent, k, 4), 16));
        } else {
          null();
        }
        i64(4026531840 + (service ? k : 0));
        return;
      }
      case Table::kServices: {
        int64_t tick = i / o_.services;
        int j = static_cast<int>(i % o_.services);
        time(base + tick * 10 * kSecondUs);
        str(Name(agent, j));
        i64(pid_base + j * 7);
        i64(8000 + j);
        str("tcp");
        str("http");
        str("0.0.0.0");
        str("otel");
        str("/healthz");
        i64(4026531840 + j);
        str(Hex(Hash(agent, j, 3), 16) + Hex(Hash(agent, j, 4), 16));
        return;
      }
      case Table::kConnections: {
        // Per service: the accepting side of a call to it, and its own call
        // out to another service on this host over loopback.
        int64_t tick = i / (2 * o_.services);
        int k = static_cast<int>(i % (2 * o_.services));
        int j = k / 2;
        bool inbound = k % 2 == 0;
        int callee = (j * 7 + 3) % o_.services;
        if (callee == j) callee = (j + 1) % o_.services;
        time(base + tick * 10 * kSecondUs);
        i64(pid_base + j * 7);
        str(Name(agent, j));
        str("127.0.0.1");
        i64(inbound ? 8000 + j : 40000 + static_cast<int64_t>(Hash(agent, tick, k) % 20000));
        str("127.0.0.1");
        i64(inbound ? 40000 + static_cast<int64_t>(Hash(agent, tick, k) % 20000) : 8000 + callee);
        str("established");
        i64(static_cast<int64_t>(Hash(agent, seq, 5) % 10'000'000));
        i64(static_cast<int64_t>(Hash(agent, seq, 6) % 10'000'000));
        str("sock_diag");
        i64(4026531840 + j);
        str("snapshot");
        return;
      }
      case Table::kHostMetrics: {
        int per_tick = kHostRows + 2 * o_.services;
        int64_t tick = i / per_tick;
        int k = static_cast<int>(i % per_tick);
        time(base + tick * 15 * kSecondUs);
        double u = Unit(Hash(agent, seq, 7));
        if (k >= kHostRows) {
          int j = (k - kHostRows) / 2;
          bool cpu = (k - kHostRows) % 2 == 0;
          str(cpu ? "service.cpu_percent" : "service.rss_bytes");
          str(Name(agent, j));
          f64(cpu ? 5 + 20 * u : 2e8 + 1e8 * u);
          return;
        }
        // Host rows: cpu (9), memory (3+3), load (3), disks (6+4), network (12).
        static const std::pair<const char*, const char*> kHost[kHostRows] = {
            {"cpu.percent", "total"},
            {"cpu.percent", "cpu0"},
            {"cpu.percent", "cpu1"},
            {"cpu.percent", "cpu2"},
            {"cpu.percent", "cpu3"},
            {"cpu.percent", "cpu4"},
            {"cpu.percent", "cpu5"},
            {"cpu.percent", "cpu6"},
            {"cpu.percent", "cpu7"},
            {"mem.total_bytes", "total"},
            {"mem.available_bytes", "total"},
            {"mem.used_bytes", "total"},
            {"mem.cgroup_limit_bytes", "/kubepods"},
            {"mem.cgroup_limit_bytes", "/system.slice"},
            {"mem.cgroup_limit_bytes", "/user.slice"},
            {"load.1m", "total"},
            {"load.5m", "total"},
            {"load.15m", "total"},
            {"disk.total_bytes", "/"},
            {"disk.used_bytes", "/"},
            {"disk.available_bytes", "/"},
            {"disk.total_bytes", "/data"},
            {"disk.used_bytes", "/data"},
            {"disk.available_bytes", "/data"},
            {"disk.read_bytes_per_s", "sda"},
            {"disk.write_bytes_per_s", "sda"},
            {"disk.read_bytes_per_s", "sdb"},
            {"disk.write_bytes_per_s", "sdb"},
            {"net.rx_bytes_per_s", "eth0"},
            {"net.rx_packets_per_s", "eth0"},
            {"net.rx_errors", "eth0"},
            {"net.tx_bytes_per_s", "eth0"},
            {"net.tx_packets_per_s", "eth0"},
            {"net.tx_errors", "eth0"},
            {"net.rx_bytes_per_s", "lo"},
            {"net.rx_packets_per_s", "lo"},
            {"net.rx_errors", "lo"},
            {"net.tx_bytes_per_s", "lo"},
            {"net.tx_packets_per_s", "lo"},
            {"net.tx_errors", "lo"}};
        str(kHost[k].first);
        str(kHost[k].second);
        const std::string_view name = kHost[k].first;
        double total = 64e9;
        if (name == "cpu.percent") {
          f64(20 + 50 * u);
        } else if (name.starts_with("mem.") ||
                   (name.starts_with("disk.") && name.ends_with("bytes"))) {
          f64(name.find("used") != std::string_view::npos ? total * (0.4 + 0.2 * u) : total);
        } else if (name.starts_with("load.")) {
          f64(2 + 4 * u);
        } else {
          f64(1e6 * u);
        }
        return;
      }
      case Table::kHealth: {
        const HealthEvent& e = health_[agent][i];
        time(e.ts_us);
        str(Name(agent, e.service));
        i64(8000 + e.service);
        row->add_values()->set_bool_value(e.healthy);
        str(e.reason);
        if (e.healthy) {
          i64(200);
        } else {
          null();
        }
        f64(1 + 3 * Unit(Hash(agent, seq, 8)));
        return;
      }
      case Table::kSpans: {
        int64_t n = i / 3;
        int part = static_cast<int>(i % 3);  // 0 root server, 1 its client, 2 callee server
        int64_t start = base + n * TraceGapUs();
        time(start + 2 * kSecondUs);
        int s1 = static_cast<int>(Hash(agent, n, 10) % o_.services);
        int s2 = (s1 * 7 + 3) % o_.services;
        if (s2 == s1) s2 = (s1 + 1) % o_.services;
        auto duration_ns = [&](int j, uint64_t salt) {
          double ms = median_ms_[Global(agent, j)] * std::exp(0.6 * Normal(Hash(agent, n, salt)));
          return static_cast<int64_t>(ms * 1e6);
        };
        int64_t callee_ns = duration_ns(s2, 11);
        int64_t client_ns = callee_ns + 300'000;
        int64_t root_ns = client_ns + duration_ns(s1, 12);
        uint64_t trace_hi = Hash(agent, n, 13), trace_lo = Hash(agent, n, 14);
        uint64_t root_id = Hash(agent, n, 15), client_id = Hash(agent, n, 16),
                 callee_id = Hash(agent, n, 17);
        int j = part == 2 ? s2 : s1;
        int64_t begin = start + (part == 0 ? 0 : 1000);
        int64_t ns = part == 0 ? root_ns : part == 1 ? client_ns : callee_ns;
        bool error = Unit(Hash(agent, n, 18 + part)) < error_rate_[Global(agent, j)];
        int route = static_cast<int>(Hash(agent, n, 21) % 5);
        std::string trace_id;
        trace_id.reserve(32);
        AppendHex(trace_hi, 16, &trace_id);
        AppendHex(trace_lo, 16, &trace_id);
        str(std::move(trace_id));
        str(Hex(part == 0 ? root_id : part == 1 ? client_id : callee_id, 16));
        if (part == 0) {
          null();
        } else {
          str(Hex(part == 1 ? root_id : client_id, 16));
        }
        str(Name(agent, j));
        str(part == 1 ? "HTTP " + std::string(kRoutes[route]).substr(0, 4) : kRoutes[route]);
        str(part == 1 ? "client" : "server");
        time(begin);
        time(begin + ns / 1000);
        i64(ns);
        str(error ? "error" : "unset");
        if (error) {
          str("upstream returned 503");
        } else {
          null();
        }
        std::string attrs = "{\"http.method\":\"";
        attrs += std::string_view(kRoutes[route]).substr(0, kRoutes[route][0] == 'P' ? 4 : 3);
        attrs += "\",\"http.route\":\"";
        attrs += kRoutes[route];
        attrs += "\",\"http.status_code\":";
        attrs += error ? "503" : "200";
        attrs += ",\"net.peer.port\":";
        attrs += std::to_string(8000 + (part == 1 ? s2 : s1));
        attrs += "}";
        str(std::move(attrs));
        str(resource_[agent][j]);
        i64(error ? 1 : 0);
        i64(0);
        str("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp");
        return;
      }
      case Table::kOther:
        time(base);
        return;
    }
  }

  const Options& o_;
  const int64_t t0_;
  std::vector<std::string> names_;  // by global service index
  std::vector<double> median_ms_;
  std::vector<double> error_rate_;
  std::vector<std::vector<std::string>> resource_;  // [agent][service]
  std::vector<std::vector<HealthEvent>> health_;    // [agent], by time
  std::atomic<int64_t> horizon_{0};
  std::atomic<int64_t> sim_cpu_ns_{0};
  std::atomic<int64_t> pulls_{0};
};

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// The store the colony uses, timed: where the wall time of polling and
// summarizing goes (summed over threads, so it can exceed the elapsed time).
class TimedStore final : public storage::ForwardingStore {
 public:
  explicit TimedStore(std::unique_ptr<storage::Store> inner)
      : ForwardingStore(*inner), inner_(std::move(inner)) {}

  Status Execute(std::string_view sql, const storage::Params& params) override {
    Timer t(&execute_ns_);
    return inner_->Execute(sql, params);
  }
  Result<storage::RowSet> Query(std::string_view sql, const storage::Params& params,
                                const storage::QueryOptions& options) override {
    auto start = std::chrono::steady_clock::now();
    Timer t(&query_ns_);
    auto rows = inner_->Query(sql, params, options);
    if (by_statement_) {
      double ms = Seconds(std::chrono::steady_clock::now() - start) * 1e3;
      std::lock_guard lock(mu_);
      auto& [calls, total] = statements_[std::string(sql.substr(0, 90))];
      ++calls;
      total += ms;
    }
    return rows;
  }
  Status Append(const storage::Batch& batch) override {
    bool note = batch.table == "summary_dirty";
    Timer t(note ? &note_ns_ : &append_ns_);
    return inner_->Append(batch);
  }
  Status AppendColumns(const storage::ColumnBatch& batch) override {
    Timer t(&append_ns_);
    return inner_->AppendColumns(batch);
  }
  // The poller's writes (transactions that append agent rows) count as
  // appends; the summarizer's recomputes (the others) apart.
  Status Transaction(const std::function<Status(Store&)>& body) override {
    auto start = std::chrono::steady_clock::now();
    bool appended = false;
    Status status = inner_->Transaction([&](Store& txn) {
      InTransaction timed(txn, *this, &appended);
      return body(timed);
    });
    (appended ? append_ns_ : transaction_ns_) +=
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                             start)
            .count();
    return status;
  }

  // Times each query statement (by its first characters) from now on.
  void TimeStatements() { by_statement_ = true; }
  // The statements that took longest in all, as JSON: [[ms per call, calls, sql], ...].
  std::string SlowestStatements(size_t n) {
    std::lock_guard lock(mu_);
    std::vector<std::pair<double, std::string>> all;
    for (const auto& [sql, figures] : statements_) {
      std::string quoted;
      for (char c : sql) {
        if (c == '"' || c == '\\') quoted += '\\';
        quoted += c;
      }
      char buf[64];
      std::snprintf(buf, sizeof(buf), "[%.2f,%d,\"", figures.second / figures.first, figures.first);
      all.push_back({figures.second, buf + quoted + "\"]"});
    }
    std::sort(all.rbegin(), all.rend());
    std::string out = "[";
    for (size_t i = 0; i < std::min(n, all.size()); ++i) out += (i ? "," : "") + all[i].second;
    return out + "]";
  }

  struct Figures {
    double append_s, note_s, query_s, execute_s, transaction_s;
  };
  Figures Take() {
    auto s = [](std::atomic<int64_t>& ns) { return static_cast<double>(ns.exchange(0)) / 1e9; };
    return {s(append_ns_), s(note_ns_), s(query_ns_), s(execute_ns_), s(transaction_ns_)};
  }

 private:
  struct Timer {
    explicit Timer(std::atomic<int64_t>* into)
        : into(into), start(std::chrono::steady_clock::now()) {}
    ~Timer() {
      *into += std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count();
    }
    std::atomic<int64_t>* into;
    std::chrono::steady_clock::time_point start;
  };
  // A transaction's store: notes timed as notes, appends flagged.
  class InTransaction final : public storage::ForwardingStore {
   public:
    InTransaction(Store& txn, TimedStore& outer, bool* appended)
        : ForwardingStore(txn), outer_(outer), appended_(appended) {}
    Status Append(const storage::Batch& batch) override {
      if (analysis::FindTelemetryTable(batch.table) != nullptr) *appended_ = true;
      if (batch.table != "summary_dirty") return inner().Append(batch);
      Timer t(&outer_.note_ns_);
      return inner().Append(batch);
    }
    Status AppendColumns(const storage::ColumnBatch& batch) override {
      if (analysis::FindTelemetryTable(batch.table) != nullptr) *appended_ = true;
      return inner().AppendColumns(batch);
    }

   private:
    TimedStore& outer_;
    bool* appended_;
  };

  std::unique_ptr<storage::Store> inner_;
  std::atomic<bool> by_statement_{false};
  std::mutex mu_;                                             // guards statements_
  std::map<std::string, std::pair<int, double>> statements_;  // sql -> calls, ms
  std::atomic<int64_t> append_ns_{0}, note_ns_{0}, query_ns_{0}, execute_ns_{0}, transaction_ns_{0};
};

std::string Breakdown(const TimedStore::Figures& f, double sim_s) {
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "{\"simulator_cpu_s\":%.2f,\"append_s\":%.2f,\"summary_note_s\":%.2f,"
                "\"query_s\":%.2f,\"execute_s\":%.2f,\"summarizer_tx_s\":%.2f}",
                sim_s, f.append_s, f.note_s, f.query_s, f.execute_s, f.transaction_s);
  return buf;
}

// kB of a /proc/<pid>/status field, or -1.
int64_t StatusKb(const std::string& pid, const char* field) {
  std::ifstream in("/proc/" + pid + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field, 0) == 0) return std::atoll(line.c_str() + std::strlen(field) + 1);
  }
  return -1;
}

// The clickhouse-server we started (a child of this process), or "".
std::string ClickHouseChildPid() {
  std::string self = std::to_string(::getpid());
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return "";
  std::string found;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
    std::string stat;
    std::getline(in, stat);
    size_t close = stat.rfind(')');
    if (close == std::string::npos || stat.find("clickhouse") == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string state, ppid;
    rest >> state >> ppid;
    if (ppid == self) found = e->d_name;
  }
  ::closedir(d);
  return found;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

int64_t CountRows(storage::Store& store) {
  int64_t total = 0;
  for (const auto& t : analysis::TelemetryTables()) {
    auto rows = store.Query("SELECT count(*) FROM " + t.name);
    CORAL_CHECK(rows.ok(), "count " + t.name + ": " + rows.status().ToString());
    total += std::get<int64_t>(rows->rows[0][0]);
  }
  return total;
}

struct Cycle {
  double seconds = 0;
  int64_t rows = 0;
  int failures = 0;
};

// Pulls every agent once, `concurrency` at a time, as the poller's workers do.
Cycle PollAll(colony::Poller& poller, const std::vector<PollTarget>& targets, int concurrency) {
  std::atomic<size_t> next{0};
  std::atomic<int> failures{0};
  auto before = poller.Stats();
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < concurrency; ++w) {
    workers.emplace_back([&] {
      for (size_t i; (i = next++) < targets.size();) {
        Status s = poller.PollAgent(targets[i]);
        if (!s.ok()) {
          if (failures++ == 0) std::fprintf(stderr, "poll failed: %s\n", s.ToString().c_str());
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  Cycle c;
  c.seconds = Seconds(std::chrono::steady_clock::now() - start);
  c.failures = failures.load();
  for (const auto& [id, s] : poller.Stats()) {
    auto b = before.find(id);
    c.rows += s.rows_pulled - (b == before.end() ? 0 : b->second.rows_pulled);
  }
  return c;
}

// The same spans pages appended the way the poller does (a row-wise Batch,
// one Value per cell) and column by column (ColumnBatch, DuckDB's data-chunk
// path): how much of the ingest cost is the row-wise append itself.
int AppendProbe(const Options& o) {
  TempDir dir{(std::filesystem::path(o.dir) / "coral-colony-probe").string()};
  auto opened = storage::OpenStore("duckdb://" + (dir.path() / "probe.duckdb").string());
  CORAL_CHECK(opened.ok(), opened.status().ToString());
  std::unique_ptr<storage::Store> store = std::move(*opened);
  CORAL_CHECK(store->Migrate(analysis::TelemetryMigrations()).ok(), "migrate");
  const int64_t t0 = ToUnixMicros(SystemClock::Get().Now()) - 3600 * kSecondUs;
  Fleet fleet(o, t0);
  fleet.SetHorizon(t0 + 3600 * kSecondUs);
  const analysis::TelemetryTable* schema = analysis::FindTelemetryTable("spans");
  constexpr int kPages = 20, kRows = 5000;
  std::vector<storage::Batch> batches;
  for (int p = 0; p < kPages; ++p) {
    auto page = fleet.Pull({"agent-0000", std::to_string(p % o.agents)}, "spans",
                           int64_t{p} * kRows, kRows);
    CORAL_CHECK(page.ok(), "pull");
    // As the poller maps them: agent_id first, times to *_us.
    storage::Batch b{"spans", {"agent_id"}, {}};
    std::vector<int> index;
    for (int i = 0; i < page->columns_size(); ++i) {
      for (const std::string& c : {page->columns(i), page->columns(i) + "_us"}) {
        if (std::find(schema->columns.begin(), schema->columns.end(), c) != schema->columns.end()) {
          b.columns.push_back(c);
          index.push_back(i);
          break;
        }
      }
    }
    for (const auto& row : page->rows()) {
      std::vector<storage::Value> values;
      values.reserve(index.size() + 1);
      values.emplace_back(std::string("agent-probe"));
      for (int i : index) {
        const auto& v = row.values(i);
        switch (v.kind_case()) {
          case coral::v1::Value::kIntValue:
            values.push_back(v.int_value());
            break;
          case coral::v1::Value::kTimestampMicros:
            values.push_back(v.timestamp_micros());
            break;
          case coral::v1::Value::kDoubleValue:
            values.push_back(v.double_value());
            break;
          case coral::v1::Value::kStringValue:
            values.push_back(v.string_value());
            break;
          default:
            values.emplace_back();  // NULL
        }
      }
      b.rows.push_back(std::move(values));
    }
    batches.push_back(std::move(b));
  }
  auto timed = [&](auto append) {
    auto start = std::chrono::steady_clock::now();
    for (const auto& b : batches) CORAL_CHECK(append(b).ok(), "append");
    return static_cast<double>(kPages * kRows) / Seconds(std::chrono::steady_clock::now() - start);
  };
  double rows_per_s = timed([&](const storage::Batch& b) { return store->Append(b); });
  double columns_per_s = timed([&](const storage::Batch& b) {
    storage::ColumnBatch cb{b.table, {}};
    for (size_t c = 0; c < b.columns.size(); ++c) {
      storage::ColumnType type = storage::ColumnType::kString;
      for (const auto& row : b.rows) {
        if (std::holds_alternative<int64_t>(row[c])) type = storage::ColumnType::kInt64;
        if (std::holds_alternative<double>(row[c])) type = storage::ColumnType::kDouble;
        if (!std::holds_alternative<std::monostate>(row[c])) break;
      }
      cb.columns.emplace_back(b.columns[c], type);
      cb.columns.back().Reserve(b.rows.size());
      for (const auto& row : b.rows) {
        const auto& v = row[c];
        if (const auto* i = std::get_if<int64_t>(&v)) {
          cb.columns.back().AddInt(*i);
        } else if (const auto* d = std::get_if<double>(&v)) {
          cb.columns.back().AddDouble(*d);
        } else if (const auto* str = std::get_if<std::string>(&v)) {
          cb.columns.back().AddString(*str);
        } else {
          cb.columns.back().AddNull();
        }
      }
    }
    return store->AppendColumns(cb);
  });
  std::printf(
      "{\"probe\":\"spans append into duckdb\",\"pages\":%d,\"rows_per_page\":%d,"
      "\"row_batch_rows_per_s\":%.0f,\"column_batch_rows_per_s\":%.0f}\n",
      kPages, kRows, rows_per_s, columns_per_s);
  return 0;
}

// The 1 h summary again, on a store a run kept (--keep-store): for working
// on the summary's queries without pulling the fleet again.
int QueryProbe(const Options& o) {
  int64_t horizon = 0;
  std::ifstream(o.keep_store + ".horizon") >> horizon;
  CORAL_CHECK(horizon > 0, "no " + o.keep_store + ".horizon: keep a store with a full run first");
  auto opened = storage::OpenStore(analysis::TelemetryStoreUrl("duckdb://" + o.keep_store));
  CORAL_CHECK(opened.ok(), opened.status().ToString());
  auto store = std::make_unique<TimedStore>(std::move(*opened));
  CORAL_CHECK(store->Migrate(analysis::TelemetryMigrations()).ok(), "migrate");
  store->TimeStatements();
  std::vector<double> query_ms;
  for (int k = 0; k < o.query_runs + 3; ++k) {
    auto q0 = std::chrono::steady_clock::now();
    auto summary =
        analysis::Summarize(*store, analysis::SummaryRequest{.since = 1h}, FromUnixMicros(horizon));
    CORAL_CHECK(summary.ok(), "summary: " + summary.status().ToString());
    if (k >= 3) query_ms.push_back(Seconds(std::chrono::steady_clock::now() - q0) * 1e3);
  }
  std::printf("{\"query_p50_ms\":%.1f,\"query_p99_ms\":%.1f,\"summary_statements\":%s}\n",
              Percentile(query_ms, 0.5), Percentile(query_ms, 0.99),
              store->SlowestStatements(10).c_str());
  return 0;
}

int Run(const Options& o) {
  std::unique_ptr<storage::ClickHouseTestServer> server;
  TempDir dir{(std::filesystem::path(o.dir) / "coral-colony-scale").string()};
  // As the colony opens it.
  std::string url = analysis::TelemetryStoreUrl(
      "duckdb://" +
      (o.keep_store.empty() ? (dir.path() / "colony.duckdb").string() : o.keep_store) +
      (o.memory_limit.empty() ? "" : "?memory_limit=" + o.memory_limit));
  if (o.backend == "clickhouse") {
    if (!o.clickhouse_url.empty()) {
      url = o.clickhouse_url;
    } else {
      auto started = storage::ClickHouseTestServer::Start();
      if (!started.ok()) {
        std::printf("{\"backend\":\"clickhouse\",\"skipped\":\"%s\"}\n",
                    started.status().message().c_str());
        return started.status().code() == StatusCode::kNotFound ? 0 : 1;
      }
      server = std::move(*started);
      url = server->NewDatabaseUrl();
    }
  }
  auto opened = storage::OpenStore(url);
  CORAL_CHECK(opened.ok(), "open " + url + ": " + opened.status().ToString());
  auto store = std::make_unique<TimedStore>(std::move(*opened));
  CORAL_CHECK(store->Migrate(analysis::TelemetryMigrations()).ok(), "migrate");

  const int64_t now_us = ToUnixMicros(SystemClock::Get().Now());
  const int64_t t0 = now_us - now_us % (60 * kSecondUs) - int64_t{o.history_min} * 60 * kSecondUs;
  Fleet fleet(o, t0);
  std::vector<PollTarget> targets;
  for (int a = 0; a < o.agents; ++a) {
    char id[32];
    std::snprintf(id, sizeof(id), "agent-%04d", a);
    targets.push_back({id, std::to_string(a)});
  }

  analysis::Summarizer summarizer(*store, {.interval = 10s});
  colony::Poller poller(*store, fleet, {.concurrency = o.concurrency}, &summarizer);

  // Backfill: the last history_min minutes, pulled as fast as the colony can,
  // the summarizer running beside it every 10 s as in the colony.
  int64_t horizon = t0 + int64_t{o.history_min} * 60 * kSecondUs;
  fleet.SetHorizon(horizon);
  summarizer.Start();
  auto start = std::chrono::steady_clock::now();
  std::vector<Cycle> backfill;
  int64_t backfill_rows = 0;
  double sim_before = fleet.simulator_cpu_s();
  for (int round = 0; round < 100; ++round) {
    Cycle c = PollAll(poller, targets, o.concurrency);
    CORAL_CHECK(c.failures == 0, "polling failed during backfill");
    backfill.push_back(c);
    backfill_rows += c.rows;
    std::fprintf(stderr, "backfill cycle %d: %lld rows in %.1f s\n", round,
                 static_cast<long long>(c.rows), c.seconds);
    if (c.rows == 0) break;
  }
  double backfill_s = Seconds(std::chrono::steady_clock::now() - start);
  double backfill_sim_s = fleet.simulator_cpu_s() - sim_before;
  summarizer.Stop();
  std::string backfill_breakdown = Breakdown(store->Take(), backfill_sim_s);
  start = std::chrono::steady_clock::now();
  CORAL_CHECK(summarizer.Run().ok(), "summarizer catch-up");
  double catchup_s = Seconds(std::chrono::steady_clock::now() - start);
  std::string catchup_breakdown = Breakdown(store->Take(), 0);
  std::fprintf(stderr, "backfill: %lld rows in %.1f s; summarizer catch-up %.1f s\n",
               static_cast<long long>(backfill_rows), backfill_s, catchup_s);

  // Steady state: 15 s of fleet data per cycle, then the summarizer's run.
  std::vector<double> cycle_s, summarize_s;
  int64_t steady_rows = 0;
  double steady_sim_s = 0;
  for (int k = 0; k < o.steady_cycles; ++k) {
    horizon += 15 * kSecondUs;
    fleet.SetHorizon(horizon);
    double sim = fleet.simulator_cpu_s();
    Cycle c = PollAll(poller, targets, o.concurrency);
    CORAL_CHECK(c.failures == 0, "polling failed");
    steady_sim_s += fleet.simulator_cpu_s() - sim;
    cycle_s.push_back(c.seconds);
    steady_rows += c.rows;
    auto s0 = std::chrono::steady_clock::now();
    CORAL_CHECK(summarizer.Run().ok(), "summarizer run");
    summarize_s.push_back(Seconds(std::chrono::steady_clock::now() - s0));
    std::fprintf(stderr, "steady cycle %d: %lld rows in %.2f s, summarizer %.2f s\n", k,
                 static_cast<long long>(c.rows), c.seconds, summarize_s.back());
  }

  std::string steady_breakdown = Breakdown(store->Take(), steady_sim_s);

  // The 1 h summary over the whole fleet, at the simulated now.
  std::vector<double> query_ms;
  store->TimeStatements();
  int services_seen = 0, findings = 0;
  for (int k = 0; k < o.query_runs + 3; ++k) {
    auto q0 = std::chrono::steady_clock::now();
    auto summary =
        analysis::Summarize(*store, analysis::SummaryRequest{.since = 1h}, FromUnixMicros(horizon));
    double ms = Seconds(std::chrono::steady_clock::now() - q0) * 1e3;
    CORAL_CHECK(summary.ok(), "summary: " + summary.status().ToString());
    if (k >= 3) query_ms.push_back(ms);  // the first runs warm caches
    services_seen = summary->services_size();
    findings = summary->findings_size();
  }

  int64_t stored = CountRows(*store);
  if (!o.keep_store.empty()) {
    std::ofstream(o.keep_store + ".horizon") << horizon << "\n";
  }
  std::string ch_pid = server ? ClickHouseChildPid() : "";
  std::string self = std::to_string(::getpid());
  auto mb = [](int64_t kb) { return kb < 0 ? -1.0 : static_cast<double>(kb) / 1024; };
  double steady_total_s = 0;
  for (double s : cycle_s) steady_total_s += s;
  std::printf(
      "{\"backend\":\"%s\",\"agents\":%d,\"services_per_agent\":%d,\"distinct_services\":%d,"
      "\"spans_per_s_per_agent\":%g,\"history_min\":%d,\"concurrency\":%d,"
      "\"backfill_rows\":%lld,\"backfill_s\":%.2f,\"backfill_rows_per_s\":%.0f,"
      "\"backfill_cycles\":%zu,\"backfill_sim_cpu_s\":%.2f,\"summarizer_catchup_s\":%.2f,"
      "\"steady_cycles\":%zu,\"steady_rows_per_cycle\":%lld,\"cycle_p50_s\":%.3f,"
      "\"cycle_max_s\":%.3f,\"steady_rows_per_s\":%.0f,\"steady_sim_cpu_s\":%.2f,"
      "\"summarizer_run_p50_s\":%.3f,\"summarizer_run_max_s\":%.3f,"
      "\"query_runs\":%zu,\"query_p50_ms\":%.1f,\"query_p99_ms\":%.1f,\"query_max_ms\":%.1f,"
      "\"summary_services\":%d,\"summary_findings\":%d,\"rows_stored\":%lld,"
      "\"store_memory_limit\":\"%s\",\"rss_peak_mb\":%.0f,\"rss_end_mb\":%.0f,"
      "\"server_rss_peak_mb\":%.0f,"
      "\"server_rss_end_mb\":%.0f,\"backfill_time\":%s,\"catchup_time\":%s,"
      "\"steady_time\":%s,\"summary_statements\":%s}\n",
      o.backend.c_str(), o.agents, o.services, fleet.distinct_services(), o.spans_per_s,
      o.history_min, o.concurrency, static_cast<long long>(backfill_rows), backfill_s,
      static_cast<double>(backfill_rows) / backfill_s, backfill.size(), backfill_sim_s, catchup_s,
      cycle_s.size(), static_cast<long long>(cycle_s.empty() ? 0 : steady_rows / o.steady_cycles),
      Percentile(cycle_s, 0.5), Percentile(cycle_s, 1.0),
      steady_total_s > 0 ? static_cast<double>(steady_rows) / steady_total_s : 0, steady_sim_s,
      Percentile(summarize_s, 0.5), Percentile(summarize_s, 1.0), query_ms.size(),
      Percentile(query_ms, 0.5), Percentile(query_ms, 0.99), Percentile(query_ms, 1.0),
      services_seen, findings, static_cast<long long>(stored),
      o.backend != "duckdb"    ? "-"
      : o.memory_limit.empty() ? analysis::DefaultStoreMemoryLimit().c_str()
                               : o.memory_limit.c_str(),
      mb(StatusKb(self, "VmHWM:")), mb(StatusKb(self, "VmRSS:")),
      ch_pid.empty() ? -1.0 : mb(StatusKb(ch_pid, "VmHWM:")),
      ch_pid.empty() ? -1.0 : mb(StatusKb(ch_pid, "VmRSS:")), backfill_breakdown.c_str(),
      catchup_breakdown.c_str(), steady_breakdown.c_str(), store->SlowestStatements(6).c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace coral::bench

int main(int argc, char** argv) {
  coral::bench::Options o;
  for (int i = 1; i < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::printf(
          "usage: colony_scale --backend duckdb|clickhouse [--agents N] [--services N]\n"
          "         [--replicas N] [--spans-per-s X] [--history-min N] [--steady-cycles N]\n"
          "         [--query-runs N] [--concurrency N] [--dir DIR] [--clickhouse-url URL]\n"
          "         [--keep-store FILE.duckdb] [--memory-limit 512MB]\n"
          "       colony_scale --query-probe 1 --keep-store FILE.duckdb [--query-runs N]\n"
          "A simulated fleet polled by the real colony pipeline; prints one line of JSON.\n"
          "bench/colony_scale.sh runs it on both backends and prints a table; the top of\n"
          "bench/colony_scale.cc describes the fleet and every figure.\n");
      return 0;
    }
    if (i + 1 == argc) {
      std::fprintf(stderr, "colony_scale: %s needs a value (see --help)\n", flag.c_str());
      return 2;
    }
    std::string value = argv[i + 1];
    if (flag == "--backend") {
      o.backend = value;
    } else if (flag == "--agents") {
      o.agents = std::stoi(value);
    } else if (flag == "--services") {
      o.services = std::stoi(value);
    } else if (flag == "--replicas") {
      o.replicas = std::stoi(value);
    } else if (flag == "--spans-per-s") {
      o.spans_per_s = std::stod(value);
    } else if (flag == "--history-min") {
      o.history_min = std::stoi(value);
    } else if (flag == "--steady-cycles") {
      o.steady_cycles = std::stoi(value);
    } else if (flag == "--query-runs") {
      o.query_runs = std::stoi(value);
    } else if (flag == "--concurrency") {
      o.concurrency = std::stoi(value);
    } else if (flag == "--dir") {
      o.dir = value;
    } else if (flag == "--keep-store") {
      o.keep_store = value;
    } else if (flag == "--query-probe") {
      o.query_probe = value == "1";
    } else if (flag == "--append-probe") {
      o.append_probe = value == "1";
    } else if (flag == "--memory-limit") {
      o.memory_limit = value;
    } else if (flag == "--clickhouse-url") {
      o.clickhouse_url = value;
    } else {
      std::fprintf(stderr, "colony_scale: unknown flag %s (see --help)\n", flag.c_str());
      return 2;
    }
  }
  if (o.agents < 1 || o.services < 1 || o.replicas < 1 || o.spans_per_s <= 0 ||
      (o.backend != "duckdb" && o.backend != "clickhouse")) {
    std::fprintf(stderr, "colony_scale: bad options\n");
    return 2;
  }
  (void)coral::log::Init(coral::log::Level::kWarn);
  if (o.query_probe) return coral::bench::QueryProbe(o);
  return o.append_probe ? coral::bench::AppendProbe(o) : coral::bench::Run(o);
}

#include "analysis/summarizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>

#include "analysis/test_store.h"
#include "base/temp_dir.h"

namespace coral::analysis {
namespace {

using namespace std::chrono_literals;
using storage::Value;

// 2023-11-14T22:13:00Z, a minute boundary.
constexpr int64_t kM0 = 1'699'999'980'000'000;
static_assert(kM0 % kMinuteUs == 0);

// The definition, spelled out: the ceil(p * n)-th smallest (1-based).
double NearestRankMs(std::vector<int64_t> ns, double p) {
  std::sort(ns.begin(), ns.end());
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(ns.size())));
  return static_cast<double>(ns[rank - 1]) / 1e6;
}

class SummarizerTest : public ColonyStoreTest {
 protected:
  struct Span {
    std::string service, kind;
    int64_t start_us, duration_ns;
    std::string status = "unset";
    std::string trace_id = "t", span_id = "", parent = "";
  };
  void AddSpans(const std::string& agent, const std::vector<Span>& spans) {
    storage::Batch b{
        "spans",
        {"agent_id", "seq", "ts_us", "trace_id", "span_id", "parent_span_id", "service_name",
         "name", "kind", "start_time_us", "duration_ns", "status_code"},
        {}};
    for (const auto& s : spans) {
      Value parent = s.parent.empty() ? Value{} : Value{s.parent};
      b.rows.push_back({agent, ++seq_, s.start_us + 1000, s.trace_id,
                        s.span_id.empty() ? "s" + std::to_string(seq_) : s.span_id, parent,
                        s.service, std::string("GET /"), s.kind, s.start_us, s.duration_ns,
                        s.status});
    }
    ASSERT_TRUE(store_->Append(b).ok());
  }
  void AddMetrics(const std::string& agent, int64_t ts,
                  const std::vector<std::tuple<std::string, std::string, double>>& m) {
    storage::Batch b{"host_metrics", {"agent_id", "seq", "ts_us", "name", "resource", "value"}, {}};
    for (const auto& [name, resource, value] : m) {
      b.rows.push_back({agent, ++seq_, ts, name, resource, value});
    }
    ASSERT_TRUE(store_->Append(b).ok());
  }
  storage::RowSet Rows(const std::string& sql, const storage::Params& params = {}) {
    auto rows = store_->Query(sql, params);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? *rows : storage::RowSet{};
  }
  std::string Read(const std::string& table) {
    return SummaryDialect(store_->backend()).Read(table);
  }

  int64_t seq_ = 0;
  FakeClock clock_{FromUnixMicros(kM0 + 10 * kMinuteUs)};
};

TEST_P(SummarizerTest, ServiceMinutesFollowTheDefinitionsAndTheMinuteEdges) {
  std::vector<Span> spans;
  std::vector<int64_t> durations;
  for (int i = 1; i <= 20; ++i) {
    spans.push_back(
        {"api", "server", kM0 + i * 1'000'000, i * 1'000'000LL, i == 7 ? "error" : "ok"});
  }
  spans.push_back({"api", "client", kM0 + 5'000'000, 999'000'000});   // not a request
  spans.push_back({"api", "server", kM0 - 1, 5'000'000});             // the minute before
  spans.push_back({"api", "server", kM0 + kMinuteUs, 7'000'000});     // the minute after
  spans.push_back({"db", "server", kM0 + 2 * kMinuteUs, 1'000'000});  // outside the range
  AddSpans("a", spans);
  Summarizer summarizer(*store_, {}, clock_);
  ASSERT_TRUE(summarizer.Recompute(kM0 - kMinuteUs, kM0 + 2 * kMinuteUs).ok());

  auto rows = Rows(
      "SELECT minute_us, service_name, requests, errors, sum_ms, max_ms, p50_ms, "
      "p95_ms, p99_ms FROM " +
      Read("service_minutes") + " ORDER BY minute_us");
  ASSERT_EQ(rows.rows.size(), 3u);
  EXPECT_EQ(std::get<int64_t>(rows.rows[0][0]), kM0 - kMinuteUs);
  EXPECT_EQ(std::get<int64_t>(rows.rows[0][2]), 1);
  const auto& m0 = rows.rows[1];
  EXPECT_EQ(std::get<int64_t>(m0[0]), kM0);
  EXPECT_EQ(std::get<std::string>(m0[1]), "api");
  EXPECT_EQ(std::get<int64_t>(m0[2]), 20);
  EXPECT_EQ(std::get<int64_t>(m0[3]), 1);
  EXPECT_DOUBLE_EQ(std::get<double>(m0[4]), 210.0);
  EXPECT_DOUBLE_EQ(std::get<double>(m0[5]), 20.0);
  EXPECT_DOUBLE_EQ(std::get<double>(m0[6]), 10.0);  // ceil(0.5 * 20) = 10th
  EXPECT_DOUBLE_EQ(std::get<double>(m0[7]), 19.0);  // ceil(0.95 * 20) = 19th
  EXPECT_DOUBLE_EQ(std::get<double>(m0[8]), 20.0);  // ceil(0.99 * 20) = 20th
  EXPECT_EQ(std::get<int64_t>(rows.rows[2][0]), kM0 + kMinuteUs);
  EXPECT_DOUBLE_EQ(std::get<double>(rows.rows[2][6]), 7.0);
}

TEST_P(SummarizerTest, PercentilesOfRandomDurationsMatchTheReference) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> latency(std::log(40e6), 1.0);
  for (int n : {1, 2, 3, 99, 101, 1000}) {
    std::vector<Span> spans;
    std::vector<int64_t> ns;
    for (int i = 0; i < n; ++i) {
      ns.push_back(static_cast<int64_t>(latency(rng)));
      spans.push_back({"svc" + std::to_string(n), "server", kM0 + i, ns.back()});
    }
    AddSpans("a", spans);
    Summarizer summarizer(*store_, {}, clock_);
    ASSERT_TRUE(summarizer.Recompute(kM0, kM0 + kMinuteUs).ok());
    auto rows = Rows("SELECT p50_ms, p95_ms, p99_ms, requests FROM " + Read("service_minutes") +
                         " WHERE service_name = ?",
                     {"svc" + std::to_string(n)});
    ASSERT_EQ(rows.rows.size(), 1u) << n;
    EXPECT_DOUBLE_EQ(std::get<double>(rows.rows[0][0]), NearestRankMs(ns, 0.5)) << n;
    EXPECT_DOUBLE_EQ(std::get<double>(rows.rows[0][1]), NearestRankMs(ns, 0.95)) << n;
    EXPECT_DOUBLE_EQ(std::get<double>(rows.rows[0][2]), NearestRankMs(ns, 0.99)) << n;
    // Every request is in exactly one latency bucket, the one defined.
    auto buckets = Rows("SELECT bucket, requests FROM " + Read("service_latency_minutes") +
                            " WHERE service_name = ? ORDER BY bucket",
                        {"svc" + std::to_string(n)});
    std::map<int64_t, int64_t> expected;
    for (int64_t d : ns) ++expected[LatencyBucketOf(static_cast<double>(d) / 1000.0)];
    std::map<int64_t, int64_t> got;
    for (const auto& r : buckets.rows) got[std::get<int64_t>(r[0])] = std::get<int64_t>(r[1]);
    EXPECT_EQ(got, expected) << n;
  }
}

TEST(LatencyBuckets, UpperEdgeIsAtMostNinePercentAbove) {
  for (double us : {1.0, 1.5, 999.0, 1000.0, 12'345.0, 4.2e6}) {
    double upper_ms = LatencyBucketUpperMs(LatencyBucketOf(us));
    EXPECT_GT(upper_ms * 1000, us);
    EXPECT_LE(upper_ms * 1000, us * 1.0906);
  }
}

TEST_P(SummarizerTest, RecomputingAMinuteReplacesItsRows) {
  AddSpans("a", {{"api", "server", kM0 + 1, 1'000'000}});
  Summarizer summarizer(*store_, {}, clock_);
  ASSERT_TRUE(summarizer.Recompute(kM0, kM0 + kMinuteUs).ok());
  clock_.Advance(1s);
  AddSpans("b", {{"api", "server", kM0 + 2, 3'000'000, "error"}});
  ASSERT_TRUE(summarizer.Recompute(kM0, kM0 + kMinuteUs).ok());
  auto rows = Rows("SELECT requests, errors, max_ms FROM " + Read("service_minutes"));
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_EQ(std::get<int64_t>(rows.rows[0][0]), 2);
  EXPECT_EQ(std::get<int64_t>(rows.rows[0][1]), 1);
  EXPECT_DOUBLE_EQ(std::get<double>(rows.rows[0][2]), 3.0);
}

TEST_P(SummarizerTest, RunSummarizesWhatWasNotedOnceItsWriteIsOver) {
  Summarizer summarizer(*store_, {}, clock_);
  auto first = summarizer.Noting(kM0, kM0 + 1);
  ASSERT_TRUE(first.ok());
  clock_.Advance(1s);
  auto second = summarizer.Noting(kM0 + kMinuteUs, kM0 + kMinuteUs + 1);
  ASSERT_TRUE(second.ok());
  AddSpans("a", {{"api", "server", kM0 + 1, 1'000'000},
                 {"api", "server", kM0 + kMinuteUs + 1, 1'000'000}});
  summarizer.Written(*second);
  // The first write is still going on: nothing is summarized past it.
  ASSERT_TRUE(summarizer.Run().ok());
  auto count = [&] {
    auto rows = Rows("SELECT count(*) FROM " + Read("service_minutes"));
    return rows.rows.empty() ? -1 : std::get<int64_t>(rows.rows[0][0]);
  };
  EXPECT_EQ(count(), 0);
  summarizer.Written(*first);
  ASSERT_TRUE(summarizer.Run().ok());
  EXPECT_EQ(count(), 2);
}

TEST_P(SummarizerTest, NotesFromBeforeACrashAreSummarizedAfterTheRestart) {
  {
    Summarizer crashed(*store_, {}, clock_);
    ASSERT_TRUE(crashed.Noting(kM0, kM0 + 1).ok());
    AddSpans("a", {{"api", "server", kM0 + 1, 1'000'000}});
    // ... and the colony dies before Written() and Run().
  }
  clock_.Advance(1s);
  Summarizer restarted(*store_, {}, clock_);
  ASSERT_TRUE(restarted.Run().ok());
  auto rows = Rows("SELECT requests FROM " + Read("service_minutes"));
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_EQ(std::get<int64_t>(rows.rows[0][0]), 1);
  // Already summarized notes are not done again, new ones follow on.
  auto ticket = restarted.Noting(kM0 + kMinuteUs, kM0 + kMinuteUs);
  ASSERT_TRUE(ticket.ok());
  restarted.Written(*ticket);
  AddSpans("a", {{"api", "server", kM0 + kMinuteUs, 1'000'000}});
  ASSERT_TRUE(restarted.Run().ok());
  EXPECT_EQ(Rows("SELECT minute_us FROM " + Read("service_minutes")).rows.size(), 2u);
}

TEST_P(SummarizerTest, HostMinutesAverageTheSamples) {
  AddMetrics("a", kM0 + 1'000'000,
             {{"cpu.percent", "total", 10},
              {"cpu.percent", "cpu0", 99},
              {"mem.used_bytes", "total", 4e9},
              {"mem.total_bytes", "total", 8e9},
              {"disk.used_bytes", "/", 90},
              {"disk.total_bytes", "/", 100},
              {"disk.used_bytes", "/boot", 10},
              {"disk.total_bytes", "/boot", 100},
              {"net.rx_bytes_per_s", "eth0", 100},
              {"net.rx_bytes_per_s", "eth1", 50},
              {"net.rx_bytes_per_s", "lo", 1000}});
  AddMetrics("a", kM0 + 16'000'000,
             {{"cpu.percent", "total", 30}, {"net.rx_bytes_per_s", "eth0", 300}});
  Summarizer summarizer(*store_, {}, clock_);
  ASSERT_TRUE(summarizer.Recompute(kM0, kM0 + kMinuteUs).ok());
  auto rows = Rows(
      "SELECT agent_id, samples, cpu_percent, cpu_max_percent, mem_used_percent, "
      "disk_used_percent, net_rx_bytes_per_s, load_1m FROM " +
      Read("host_minutes"));
  ASSERT_EQ(rows.rows.size(), 1u);
  const auto& r = rows.rows[0];
  EXPECT_EQ(std::get<std::string>(r[0]), "a");
  EXPECT_EQ(std::get<int64_t>(r[1]), 2);
  EXPECT_DOUBLE_EQ(std::get<double>(r[2]), 20.0);
  EXPECT_DOUBLE_EQ(std::get<double>(r[3]), 30.0);
  EXPECT_DOUBLE_EQ(std::get<double>(r[4]), 50.0);
  EXPECT_DOUBLE_EQ(std::get<double>(r[5]), 90.0);
  EXPECT_DOUBLE_EQ(std::get<double>(r[6]), 250.0);  // eth0 avg 200 + eth1 50, lo left out
  EXPECT_TRUE(std::holds_alternative<std::monostate>(r[7]));
}

TEST_P(SummarizerTest, TopologyFromClientSpansAndFromConnections) {
  AddSpans("a", {{"frontend", "client", kM0 + 10, 40'000'000, "ok", "t1", "c1"},
                 {"frontend", "client", kM0 + 20, 60'000'000, "error", "t2", "c2"},
                 {"frontend", "client", kM0 + 30, 5'000'000, "ok", "t3", "c3"},  // uninstrumented
                 {"backend", "server", kM0 + 11, 39'000'000, "ok", "t1", "s1", "c1"},
                 {"backend", "server", kM0 + 21, 59'000'000, "error", "t2", "s2", "c2"}});
  storage::Batch services{"services", {"agent_id", "seq", "ts_us", "name", "pid", "port"}, {}};
  services.rows = {{"a", ++seq_, kM0, "frontend", int64_t{10}, int64_t{8781}},
                   {"a", ++seq_, kM0, "backend", int64_t{20}, int64_t{8782}},
                   {"b", ++seq_, kM0, "db", int64_t{30}, int64_t{5432}}};
  ASSERT_TRUE(store_->Append(services).ok());
  storage::Batch conns{"connections",
                       {"agent_id", "seq", "ts_us", "pid", "process", "local_address", "local_port",
                        "remote_address", "remote_port"},
                       {}};
  auto conn = [&](const char* agent, int64_t pid, const char* process, int64_t lport,
                  const char* raddr, int64_t rport, int64_t ts) {
    conns.rows.push_back({std::string(agent), ++seq_, ts, pid, std::string(process),
                          std::string("10.0.0.1"), lport, std::string(raddr), rport});
  };
  conn("a", 10, "frontend", 50000, "127.0.0.1", 8782, kM0 + 1);  // frontend -> backend
  conn("a", 10, "frontend", 50000, "127.0.0.1", 8782, kM0 + 2);  // the same one, seen again
  conn("a", 10, "frontend", 50001, "127.0.0.1", 8782, kM0 + 3);  // a second connection
  conn("a", 20, "backend", 8782, "127.0.0.1", 50000, kM0 + 1);   // the accepting side
  conn("a", 20, "backend", 40000, "10.0.0.2", 5432, kM0 + 4);    // backend -> db on b
  conn("a", 20, "backend", 40001, "10.0.0.9", 9999, kM0 + 4);    // nobody we know
  ASSERT_TRUE(store_->Append(conns).ok());
  Summarizer summarizer(*store_, {}, clock_);
  ASSERT_TRUE(summarizer.Recompute(kM0, kM0 + kMinuteUs).ok());
  auto rows = Rows("SELECT source, target, via, calls, errors, sum_ms, max_ms FROM " +
                   Read("topology_minutes") + " ORDER BY via, source, target");
  ASSERT_EQ(rows.rows.size(), 3u);
  EXPECT_EQ(std::get<std::string>(rows.rows[0][0]), "frontend");
  EXPECT_EQ(std::get<std::string>(rows.rows[0][1]), "backend");
  EXPECT_EQ(std::get<std::string>(rows.rows[0][2]), "span");
  EXPECT_EQ(std::get<int64_t>(rows.rows[0][3]), 2);
  EXPECT_EQ(std::get<int64_t>(rows.rows[0][4]), 1);
  EXPECT_DOUBLE_EQ(std::get<double>(rows.rows[0][5]), 100.0);
  EXPECT_DOUBLE_EQ(std::get<double>(rows.rows[0][6]), 60.0);
  EXPECT_EQ(std::get<std::string>(rows.rows[1][0]), "backend");
  EXPECT_EQ(std::get<std::string>(rows.rows[1][1]), "db");
  EXPECT_EQ(std::get<int64_t>(rows.rows[1][3]), 1);
  EXPECT_EQ(std::get<std::string>(rows.rows[2][0]), "frontend");
  EXPECT_EQ(std::get<std::string>(rows.rows[2][1]), "backend");
  EXPECT_EQ(std::get<std::string>(rows.rows[2][2]), "tcp");
  EXPECT_EQ(std::get<int64_t>(rows.rows[2][3]), 2);
}

// A store summarized before the histograms existed gets them, per minute and
// per 10-minute block, from its minute rows when it is upgraded.
TEST_P(SummarizerTest, UpgradingBuildsHistogramsOfTheExistingMinutes) {
  auto url = TestColonyStoreUrl(GetParam(), dir_.path() / "old");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  std::filesystem::create_directories(dir_.path() / "old");
  auto old = storage::OpenStore(*url);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  auto before_blocks = TelemetryMigrations().first(3);
  ASSERT_EQ(before_blocks.back().name, "operation summaries");
  ASSERT_TRUE((*old)->Migrate(before_blocks).ok());
  storage::Batch minutes{
      "service_latency_minutes", {"minute_us", "service_name", "bucket", "requests", "gen"}, {}};
  for (int m = 0; m < 25; ++m) {  // kM0 is 3 minutes into its block
    minutes.rows.push_back({kM0 + m * kMinuteUs, std::string("api"), int64_t{100 + m % 2},
                            int64_t{m + 1}, int64_t{1}});
  }
  ASSERT_TRUE((*old)->Append(minutes).ok());
  ASSERT_TRUE((*old)->Migrate(TelemetryMigrations()).ok());
  auto rows = (*old)->Query("SELECT minutes, minute_us, buckets FROM " +
                            Read("service_latency_histograms") + " ORDER BY minutes, minute_us");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  using Histogram = std::map<int64_t, int64_t>;
  std::vector<std::tuple<int64_t, int64_t, Histogram>> got, want;
  for (int m = 0; m < 25; ++m) want.push_back({1, kM0 + m * kMinuteUs, {{100 + m % 2, m + 1}}});
  // Block 0: minutes 0-6, block 1: 7-16, block 2: 17-24 (requests m + 1).
  want.push_back({10, kM0 - 3 * kMinuteUs, {{100, 1 + 3 + 5 + 7}, {101, 2 + 4 + 6}}});
  want.push_back(
      {10, kM0 + 7 * kMinuteUs, {{100, 9 + 11 + 13 + 15 + 17}, {101, 8 + 10 + 12 + 14 + 16}}});
  want.push_back({10, kM0 + 17 * kMinuteUs, {{100, 19 + 21 + 23 + 25}, {101, 18 + 20 + 22 + 24}}});
  for (const auto& r : rows->rows) {
    Histogram h;
    EXPECT_TRUE(ForEachLatencyBucket(std::get<std::string>(r[2]),
                                     [&h](int64_t b, int64_t n) { h[b] += n; }));
    got.emplace_back(std::get<int64_t>(r[0]), std::get<int64_t>(r[1]), h);
  }
  EXPECT_EQ(got, want);
}

TEST(LatencyHistogramText, ParsesPairsAndRefusesAnythingElse) {
  std::vector<std::pair<int64_t, int64_t>> got;
  auto collect = [&got](int64_t b, int64_t n) { got.emplace_back(b, n); };
  EXPECT_TRUE(ForEachLatencyBucket("", collect));
  EXPECT_TRUE(ForEachLatencyBucket("96:1 101:23 7:4", collect));
  EXPECT_EQ(got, (std::vector<std::pair<int64_t, int64_t>>{{96, 1}, {101, 23}, {7, 4}}));
  for (const char* bad : {"96", "96:", ":1", "96:1,97:2", "96:1  97:2", "a:1", "96:1 ", "96:x"}) {
    EXPECT_FALSE(ForEachLatencyBucket(bad, collect)) << bad;
  }
}

TEST_P(SummarizerTest, PruneDeletesWhatIsPastRetention) {
  AddSpans("a", {{"api", "server", kM0, 1'000'000}});
  Summarizer summarizer(*store_, {.raw_retention = 1h, .summary_retention = 2h}, clock_);
  ASSERT_TRUE(summarizer.Recompute(kM0, kM0 + kMinuteUs).ok());
  clock_.Advance(90min);  // raw rows (ts kM0) are past 1 h, summaries are not past 2 h
  ASSERT_TRUE(summarizer.Prune().ok());
  auto count = [&](const std::string& table) {
    auto rows = Rows("SELECT count(*) FROM " + table);
    return rows.rows.empty() ? -1 : std::get<int64_t>(rows.rows[0][0]);
  };
  // ClickHouse deletes in the background.
  for (int i = 0; i < 100 && count("spans") != 0; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(count("spans"), 0);
  EXPECT_EQ(count(Read("service_minutes")), 1);
  EXPECT_EQ(count(Read("service_latency_histograms")), 2);  // its minute and its block
  clock_.Advance(60min);
  ASSERT_TRUE(summarizer.Prune().ok());
  for (int i = 0; i < 100 && count("service_minutes") != 0; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(count("service_minutes"), 0);
  for (int i = 0; i < 100 && count("service_latency_histograms") != 0; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(count("service_latency_histograms"), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, SummarizerTest, ::testing::Values("duckdb", "clickhouse"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace coral::analysis

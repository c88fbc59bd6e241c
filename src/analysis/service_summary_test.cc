#include "analysis/service_summary.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "analysis/summarizer.h"
#include "analysis/test_store.h"
#include "base/temp_dir.h"

namespace coral::analysis {
namespace {

using namespace std::chrono_literals;
using storage::Value;

constexpr int64_t kM0 = 1'699'999'980'000'000;  // a minute boundary
constexpr int64_t kNow = kM0 + 60 * kMinuteUs + 30'000'000;

class ServiceSummaryTest : public ColonyStoreTest {
 protected:
  // A server span, and when `caller` is set, the caller's client span and
  // server span around it (caller time = callee time + 2 ms).
  void Request(const std::string& service, const std::string& name, int64_t start_us, int64_t ms,
               bool error = false, const std::string& caller = "",
               const std::string& message = "") {
    std::string trace = "t" + std::to_string(++seq_);
    auto add = [&](const std::string& svc, const std::string& kind, const std::string& span,
                   const std::string& parent, int64_t dur_ms, const std::string& op) {
      spans_.rows.push_back({std::string("agent-1"), ++seq_, start_us, trace, span,
                             parent.empty() ? Value{} : Value{parent}, svc, op, kind, start_us,
                             dur_ms * 1'000'000, std::string(error ? "error" : "ok"),
                             error ? Value{message} : Value{}});
    };
    if (!caller.empty()) {
      add(caller, "server", trace + "-root", "", ms + 2, "GET /checkout");
      add(caller, "client", trace + "-call", trace + "-root", ms + 1, "GET " + name);
      add(service, "server", trace + "-callee", trace + "-call", ms, name);
    } else {
      add(service, "server", trace + "-root", "", ms, name);
    }
  }
  void Flush() {
    ASSERT_TRUE(store_->Append(spans_).ok());
    spans_.rows.clear();
    Summarizer summarizer(*store_, {}, clock_);
    ASSERT_TRUE(summarizer.Recompute(kM0 - 60 * kMinuteUs, kNow).ok());
  }
  coral::v1::GetSummaryResponse Summary(const std::string& service = "") {
    auto s = Summarize(*store_, {.service = service, .host_names = {{"agent-1", "web-01"}}},
                       clock_.Now());
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : coral::v1::GetSummaryResponse{};
  }
  static const coral::v1::Finding* Find(const coral::v1::GetSummaryResponse& s,
                                        const std::string& kind) {
    for (const auto& f : s.findings()) {
      if (f.kind() == kind) return &f;
    }
    return nullptr;
  }
  static std::string Evidence(const coral::v1::Finding& f) {
    std::string all;
    for (const auto& e : f.evidence()) all += e + "\n";
    return all;
  }

  FakeClock clock_{FromUnixMicros(kNow)};
  int64_t seq_ = 0;
  storage::Batch spans_{
      "spans",
      {"agent_id", "seq", "ts_us", "trace_id", "span_id", "parent_span_id", "service_name", "name",
       "kind", "start_time_us", "duration_ns", "status_code", "status_message"},
      {}};
};

TEST_P(ServiceSummaryTest, TheSlowServiceIsFoundAndItsCallerPointsAtIt) {
  for (int i = 0; i < 15; ++i) {
    Request("backend", "GET /fast", kM0 + i * kMinuteUs, 10, false, "frontend");
    Request("backend", "GET /slow", kM0 + i * kMinuteUs + 1'000'000, 800, false, "frontend");
  }
  Flush();
  auto s = Summary();
  ASSERT_EQ(s.services_size(), 2);
  const auto& backend = s.services(0);
  EXPECT_EQ(backend.service(), "backend");
  EXPECT_EQ(backend.requests(), 30);
  EXPECT_EQ(backend.errors(), 0);
  EXPECT_EQ(backend.status(), "degraded");
  // The 15th of 30 is 10 ms: its bucket's upper edge, within 9%.
  EXPECT_GE(backend.p50_ms(), 10.0);
  EXPECT_LE(backend.p50_ms(), 10.0 * 1.0906);
  EXPECT_DOUBLE_EQ(backend.p95_ms(), 800.0);  // the bucket edge, capped at the maximum
  EXPECT_DOUBLE_EQ(backend.max_ms(), 800.0);
  EXPECT_DOUBLE_EQ(backend.avg_ms(), 405.0);
  EXPECT_EQ(s.services(1).service(), "frontend");
  EXPECT_EQ(s.services(1).requests(), 30);
  EXPECT_EQ(s.from_unix_micros(), kM0);
  EXPECT_NEAR(backend.requests_per_s(), 30.0 / 3630.0, 1e-9);

  ASSERT_EQ(s.findings_size(), 2);
  EXPECT_EQ(s.findings(0).kind(), "slow_service");  // warnings before info
  EXPECT_EQ(s.findings(0).subject(), "backend");
  EXPECT_NE(
      Evidence(s.findings(0)).find("operation 'GET /slow': 15 requests, avg 800 ms, max 800 ms"),
      std::string::npos)
      << Evidence(s.findings(0));
  EXPECT_EQ(s.findings(1).kind(), "slow_dependency");
  EXPECT_EQ(s.findings(1).subject(), "frontend");
  EXPECT_NE(s.findings(1).title().find("look at backend"), std::string::npos);
  EXPECT_NE(Evidence(s.findings(1)).find("30 calls to backend"), std::string::npos)
      << Evidence(s.findings(1));

  // One service asked for: only it.
  auto one = Summary("backend");
  ASSERT_EQ(one.services_size(), 1);
  EXPECT_EQ(one.services(0).requests(), 30);

  // The colony-wide service list: both services from their spans, the
  // backend also where an agent saw it listen.
  ASSERT_TRUE(store_
                  ->Append({"services",
                            {"agent_id", "seq", "ts_us", "name", "port", "source"},
                            {{std::string("agent-1"), int64_t{1}, kNow - 60'000'000,
                              std::string("backend"), int64_t{8081}, std::string("otel")},
                             {std::string("agent-2"), int64_t{1}, kNow - 30'000'000,
                              std::string("backend"), int64_t{8082}, std::string("otel")},
                             {std::string("agent-2"), int64_t{2}, kNow - 20'000'000,
                              std::string("cache"), int64_t{6379}, std::string("listener")}}})
                  .ok());
  auto services = Services(*store_, {.host_names = {{"agent-1", "web-01"}}}, clock_.Now());
  ASSERT_TRUE(services.ok()) << services.status().ToString();
  ASSERT_EQ(services->rows.size(), 3u);
  auto cell = [&](size_t row, const std::string& column) {
    return storage::ValueToText(services->rows[row][*services->ColumnIndex(column)]);
  };
  EXPECT_EQ(cell(0, "service"), "backend");
  EXPECT_EQ(cell(0, "status"), "degraded");
  EXPECT_EQ(cell(0, "hosts"), "agent-2,web-01");
  EXPECT_EQ(cell(0, "ports"), "8081,8082");
  EXPECT_EQ(cell(0, "p95_ms"), "800");
  EXPECT_EQ(cell(0, "error_pct"), "0");
  EXPECT_EQ(cell(0, "last_seen_us"), std::to_string(kNow - 30'000'000));
  EXPECT_EQ(cell(1, "service"), "cache");  // listening, no spans
  EXPECT_EQ(cell(1, "status"), "ok");
  EXPECT_EQ(cell(1, "requests_per_s"), "");
  EXPECT_EQ(cell(2, "service"), "frontend");  // spans, never seen listening
  EXPECT_EQ(cell(2, "source"), "spans");
  EXPECT_EQ(cell(2, "hosts"), "");
  auto only = Services(*store_, {.service = "backend"}, clock_.Now());
  ASSERT_TRUE(only.ok());
  EXPECT_EQ(only->rows.size(), 1u);

  auto topology = Topology(*store_, 1h, clock_.Now());
  ASSERT_TRUE(topology.ok());
  ASSERT_EQ(topology->rows.size(), 1u);
  EXPECT_EQ(std::get<std::string>(topology->rows[0][0]), "frontend");
  EXPECT_EQ(std::get<std::string>(topology->rows[0][1]), "backend");
  EXPECT_EQ(std::get<int64_t>(topology->rows[0][3]), 30);
  EXPECT_DOUBLE_EQ(std::get<double>(topology->rows[0][5]), 406.0);
}

TEST_P(ServiceSummaryTest, ErrorSpikeAndLatencyRegressionAgainstTheWindowBefore) {
  for (int i = 0; i < 100; ++i) {
    Request("api", "GET /a", kM0 - 30 * kMinuteUs + i * 1'000'000, 10, i == 0);
    Request("api", "GET /a", kM0 + i * 1'000'000, 100, i % 5 == 0, "", "db timeout");
  }
  Flush();
  auto s = Summary();
  ASSERT_EQ(s.services_size(), 1);
  EXPECT_EQ(s.services(0).errors(), 20);
  EXPECT_DOUBLE_EQ(s.services(0).error_rate(), 0.2);
  EXPECT_EQ(s.services(0).previous_requests(), 100);
  EXPECT_DOUBLE_EQ(s.services(0).previous_error_rate(), 0.01);
  const auto* spike = Find(s, "error_spike");
  ASSERT_NE(spike, nullptr);
  EXPECT_EQ(spike->severity(), "critical");
  EXPECT_NE(Evidence(*spike).find("20 of 100 requests failed (20.0%); the window before: 1 of "
                                  "100 (1.0%)"),
            std::string::npos)
      << Evidence(*spike);
  EXPECT_NE(Evidence(*spike).find("20 x error 'db timeout'"), std::string::npos);
  EXPECT_NE(
      Evidence(*spike).find("operation 'GET /a': 100 requests, avg 100 ms, max 100 ms, 20 errors"),
      std::string::npos)
      << Evidence(*spike);
  // The evidence comes from the summaries: it outlives the raw spans.
  ASSERT_TRUE(store_->Execute("TRUNCATE TABLE spans").ok());
  auto later = Summary();
  const auto* still = Find(later, "error_spike");
  ASSERT_NE(still, nullptr);
  EXPECT_EQ(Evidence(*still), Evidence(*spike));
  const auto* slower = Find(s, "latency_regression");
  ASSERT_NE(slower, nullptr);
  EXPECT_NE(slower->title().find("was 10"), std::string::npos) << slower->title();
  EXPECT_EQ(Find(s, "slow_service"), nullptr);  // 100 ms is not slow
}

// Over a window, percentiles come from the whole 10-minute blocks inside it
// and the minutes at its edges: the nearest rank over the latency buckets of
// exactly the window's requests, whatever the window, including after one
// minute of a block is summarized again.
TEST_P(ServiceSummaryTest, WindowPercentilesAreThoseOfTheWindowsBuckets) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> latency(std::log(40.0), 1.0);
  std::vector<std::pair<int64_t, int64_t>> requests;  // start_us, ms
  auto add = [&](int64_t start_us, int64_t ms) {
    requests.push_back({start_us, ms});
    Request("api", "GET /", start_us, ms);
  };
  for (int64_t t = kM0 - 125 * kMinuteUs; t < kNow; t += 7'000'000) {
    add(t, std::max<int64_t>(1, static_cast<int64_t>(latency(rng))));
  }
  ASSERT_TRUE(store_->Append(spans_).ok());
  spans_.rows.clear();
  Summarizer summarizer(*store_, {}, clock_);
  ASSERT_TRUE(summarizer.Recompute(kM0 - 130 * kMinuteUs, kNow).ok());

  auto expect = [&](int64_t from, int64_t to, double p) -> double {
    std::vector<int64_t> buckets;
    double max_ms = 0;
    for (const auto& [start, ms] : requests) {
      if (start < from || start >= to) continue;
      buckets.push_back(LatencyBucketOf(static_cast<double>(ms) * 1000));
      max_ms = std::max(max_ms, static_cast<double>(ms));
    }
    std::sort(buckets.begin(), buckets.end());
    auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(buckets.size())));
    return std::min(LatencyBucketUpperMs(buckets.at(rank - 1)), max_ms);
  };
  SummaryDialect d(store_->backend());
  // Requests counted by the minute rows, by the minute histograms and by the
  // block histograms: each is every request once.
  auto totals = [&] {
    std::vector<int64_t> out;
    auto rows = store_->Query("SELECT sum(requests) FROM " + d.Read("service_latency_minutes"));
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    out.push_back(rows.ok() ? std::get<int64_t>(rows->rows.at(0).at(0)) : -1);
    for (int minutes : {1, 10}) {
      auto texts = store_->Query(
          "SELECT buckets FROM " + d.Read("service_latency_histograms") + " WHERE minutes = ?",
          {int64_t{minutes}});
      EXPECT_TRUE(texts.ok()) << texts.status().ToString();
      int64_t n = 0;
      if (!texts.ok()) continue;
      for (const auto& row : texts->rows) {
        EXPECT_TRUE(ForEachLatencyBucket(std::get<std::string>(row[0]),
                                         [&n](int64_t, int64_t requests) { n += requests; }));
      }
      out.push_back(n);
    }
    return out;
  };
  auto check = [&](const std::string& when) {
    auto n = static_cast<int64_t>(requests.size());
    EXPECT_EQ(totals(), (std::vector<int64_t>{n, n, n})) << when;
    for (auto since : {3min, 12min, 25min, 60min}) {
      SCOPED_TRACE(when + ", since " + std::to_string(since.count()) + " min");
      auto s = Summarize(*store_, {.since = since}, clock_.Now());
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      ASSERT_EQ(s->services_size(), 1);
      const auto& api = s->services(0);
      int64_t from = FloorMinute(kNow - since.count() * kMinuteUs);
      int64_t to = FloorMinute(kNow) + kMinuteUs;
      EXPECT_DOUBLE_EQ(api.p50_ms(), expect(from, to, 0.5));
      EXPECT_DOUBLE_EQ(api.p95_ms(), expect(from, to, 0.95));
      EXPECT_DOUBLE_EQ(api.p99_ms(), expect(from, to, 0.99));
      EXPECT_DOUBLE_EQ(api.previous_p95_ms(), expect(from - (to - from), from, 0.95));
    }
  };
  check("first summary");
  // Slow requests land late in one minute in the middle of a block.
  int64_t late = kM0 + 34 * kMinuteUs;
  for (int i = 0; i < 60; ++i) add(late + i * 500'000, 3000 + i);
  ASSERT_TRUE(store_->Append(spans_).ok());
  ASSERT_TRUE(summarizer.Recompute(late, late + kMinuteUs).ok());
  check("one minute summarized again");
}

TEST_P(ServiceSummaryTest, EachFindingGetsItsOwnServicesOperationsAndMessages) {
  for (int i = 0; i < 40; ++i) {
    // GET /cart: 2, 3, ... 21 ms (avg 11.5); POST /add: 5 ms.
    Request("cart", i % 2 ? "POST /add" : "GET /cart", kM0 + i * 1'000'000, i % 2 ? 5 : 2 + i / 2,
            i % 4 == 0, "", "cart db down");
    Request("pay", "POST /charge", kM0 + i * 1'000'000, 7, i % 5 == 0, "", "card declined");
  }
  Flush();
  auto s = Summary();
  std::map<std::string, std::string> evidence;  // service -> its error finding's evidence
  for (const auto& f : s.findings()) {
    if (f.kind() == "error_spike") evidence[f.subject()] = Evidence(f);
  }
  ASSERT_EQ(evidence.size(), 2u);
  EXPECT_NE(
      evidence["cart"].find("operation 'GET /cart': 20 requests, avg 12 ms, max 21 ms, 10 errors"),
      std::string::npos)
      << evidence["cart"];
  EXPECT_NE(evidence["cart"].find("10 x error 'cart db down'"), std::string::npos);
  EXPECT_EQ(evidence["cart"].find("POST /add"), std::string::npos);  // it never failed
  EXPECT_EQ(evidence["cart"].find("card declined"), std::string::npos);
  EXPECT_NE(evidence["pay"].find(
                "operation 'POST /charge': 40 requests, avg 7.0 ms, max 7.0 ms, 8 errors"),
            std::string::npos)
      << evidence["pay"];
  EXPECT_NE(evidence["pay"].find("8 x error 'card declined'"), std::string::npos);
  EXPECT_EQ(evidence["pay"].find("cart"), std::string::npos);
}

TEST_P(ServiceSummaryTest, FailingHealthChecksAndSaturatedHosts) {
  storage::Batch health{
      "health_events", {"agent_id", "seq", "ts_us", "service", "port", "healthy", "reason"}, {}};
  health.rows = {
      {"agent-1", int64_t{1}, kM0, "web", int64_t{80}, int64_t{1}, "200 OK"},
      {"agent-1", int64_t{2}, kM0 + 5, "web", int64_t{80}, int64_t{0}, "connection refused"},
      {"agent-1", int64_t{3}, kM0, "db", int64_t{5432}, int64_t{1}, "connected"}};
  ASSERT_TRUE(store_->Append(health).ok());
  storage::Batch metrics{"host_metrics",
                         {"agent_id", "seq", "ts_us", "name", "resource", "value"},
                         {{"agent-1", int64_t{1}, kM0 + 1, "cpu.percent", "total", 97.0},
                          {"agent-2", int64_t{1}, kM0 + 1, "cpu.percent", "total", 12.0}}};
  ASSERT_TRUE(store_->Append(metrics).ok());
  Flush();
  auto s = Summary();
  ASSERT_EQ(s.services_size(), 2);
  EXPECT_EQ(s.services(0).service(), "db");
  EXPECT_EQ(s.services(0).health(), "passing");
  EXPECT_EQ(s.services(0).status(), "ok");
  EXPECT_EQ(s.services(1).service(), "web");
  EXPECT_EQ(s.services(1).status(), "failing");
  EXPECT_EQ(s.services(1).health_reason(), "connection refused");
  EXPECT_EQ(s.services(1).health_since_unix_micros(), kM0 + 5);
  ASSERT_EQ(s.findings_size(), 2);
  EXPECT_EQ(s.findings(0).kind(), "failing_health_check");
  EXPECT_EQ(s.findings(0).severity(), "critical");
  EXPECT_EQ(s.findings(1).kind(), "saturated_host");
  EXPECT_EQ(s.findings(1).subject(), "web-01 (agent-1)");
  EXPECT_EQ(Evidence(s.findings(1)), "CPU (average) 97.0%\n");

  auto hosts = Hosts(*store_, 1h, clock_.Now(), {{"agent-1", "web-01"}});
  ASSERT_TRUE(hosts.ok());
  ASSERT_EQ(hosts->rows.size(), 2u);
  EXPECT_EQ(hosts->columns[1].name, "hostname");
  EXPECT_EQ(std::get<std::string>(hosts->rows[0][1]), "web-01");
  EXPECT_TRUE(std::holds_alternative<std::monostate>(hosts->rows[1][1]));
  EXPECT_DOUBLE_EQ(std::get<double>(hosts->rows[0][3]), 97.0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ServiceSummaryTest, ::testing::Values("duckdb", "clickhouse"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace coral::analysis

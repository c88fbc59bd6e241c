#include "agent/otlp/agent_telemetry_sink.h"

#include <gtest/gtest.h>

#include "agent/store/agent_schema.h"

namespace coral::agent {
namespace {

using namespace std::chrono_literals;
using storage::Timestamp;
using storage::Value;
using telemetry::SinkOutcome;

constexpr uint64_t kT0 = 1'700'000'000'123'456'789ULL;

class AgentTelemetrySinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = AgentStore::Open("duckdb://:memory:", clock_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  // Adds a span of `duration` to the batch, trace id seeded by `trace`.
  static void AddSpan(telemetry::SpanBatch& batch, uint8_t trace, uint8_t span, const char* name,
                      std::chrono::nanoseconds duration,
                      telemetry::SpanStatusCode status = telemetry::SpanStatusCode::kUnset) {
    if (batch.sources.empty()) {
      batch.sources.push_back({batch.text.Add("checkout"),
                               batch.text.Add(R"({"service.name":"checkout"})"),
                               batch.text.Add("scope-a"), batch.text.Add("1.0")});
    }
    telemetry::Span& s = batch.spans.emplace_back();
    s.trace_id.fill(trace);
    s.span_id.fill(span);
    s.name = batch.text.Add(name);
    s.kind = telemetry::SpanKind::kServer;
    s.start_unix_nano = kT0;
    s.end_unix_nano = kT0 + static_cast<uint64_t>(duration.count());
    s.status_code = status;
    s.attributes_json = batch.text.Add(R"({"http.method":"GET"})");
    s.event_count = 2;
  }

  storage::RowSet Rows(const std::string& sql) {
    auto rows = store_->store().Query(sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? *rows : storage::RowSet{};
  }

  FakeClock clock_;
  std::unique_ptr<AgentStore> store_;
};

TEST_F(AgentTelemetrySinkTest, StoresEverySpanColumnInOneAppend) {
  AgentTelemetrySink sink(*store_, {});
  telemetry::SpanBatch batch;
  AddSpan(batch, 0xab, 0x01, "GET /cart", 250ms);
  AddSpan(batch, 0xab, 0x02, "SELECT carts", 100'000'001ns, telemetry::SpanStatusCode::kError);
  batch.spans[1].parent_span_id.fill(0x01);
  batch.spans[1].status_message = batch.text.Add("connection reset");
  auto r = sink.AcceptSpans(batch);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->outcome, SinkOutcome::kAccepted);
  EXPECT_EQ(r->rejected, 0);
  EXPECT_EQ(store_->LastSeq(kSpansTable), 2);

  auto rows = Rows(
      "SELECT seq, trace_id, span_id, parent_span_id, service_name, name, kind, start_time, "
      "end_time, duration_ns, status_code, status_message, attributes, resource_attributes, "
      "event_count, link_count, scope_name FROM spans ORDER BY seq");
  ASSERT_EQ(rows.rows.size(), 2u);
  const auto& a = rows.rows[0];
  EXPECT_EQ(a[0], Value(int64_t{1}));
  EXPECT_EQ(a[1], Value(std::string("abababababababababababababababab")));
  EXPECT_EQ(a[2], Value(std::string("0101010101010101")));
  EXPECT_EQ(a[3], Value(std::monostate{}));
  EXPECT_EQ(a[4], Value(std::string("checkout")));
  EXPECT_EQ(a[5], Value(std::string("GET /cart")));
  EXPECT_EQ(a[6], Value(std::string("server")));
  EXPECT_EQ(a[7], Value(Timestamp{1'700'000'000'123'456}));
  EXPECT_EQ(a[8], Value(Timestamp{1'700'000'000'373'456}));
  EXPECT_EQ(a[9], Value(int64_t{250'000'000}));
  EXPECT_EQ(a[10], Value(std::string("unset")));
  EXPECT_EQ(a[12], Value(std::string(R"({"http.method":"GET"})")));
  EXPECT_EQ(a[13], Value(std::string(R"({"service.name":"checkout"})")));
  EXPECT_EQ(a[14], Value(int64_t{2}));
  EXPECT_EQ(a[15], Value(int64_t{0}));
  EXPECT_EQ(a[16], Value(std::string("scope-a")));
  const auto& b = rows.rows[1];
  EXPECT_EQ(b[3], Value(std::string("0101010101010101")));
  EXPECT_EQ(b[9], Value(int64_t{100'000'001}));
  EXPECT_EQ(b[10], Value(std::string("error")));
  EXPECT_EQ(b[11], Value(std::string("connection reset")));

  auto c = sink.counters();
  EXPECT_EQ(c.spans_received, 2);
  EXPECT_EQ(c.spans_stored, 2);
  EXPECT_EQ(c.spans_kept_error, 1);
  EXPECT_EQ(c.spans_kept_slow, 0);
  EXPECT_EQ(c.spans_sampled_out, 0);
}

TEST_F(AgentTelemetrySinkTest, SamplingKeepsErrorsSlowSpansAndWholeTracesAndCountsTheRest) {
  AgentTelemetrySinkOptions options;
  options.sampling.keep_fraction = 0;
  AgentTelemetrySink sink(*store_, options);
  telemetry::SpanBatch batch;
  AddSpan(batch, 1, 1, "fast", 10ms);
  AddSpan(batch, 1, 2, "failed", 10ms, telemetry::SpanStatusCode::kError);
  AddSpan(batch, 2, 3, "slow", 600ms);
  AddSpan(batch, 3, 4, "fast too", 499ms);
  auto r = sink.AcceptSpans(batch);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, SinkOutcome::kAccepted);
  EXPECT_EQ(r->rejected, 0);  // sampling is not a rejection
  auto rows = Rows("SELECT name FROM spans ORDER BY seq");
  ASSERT_EQ(rows.rows.size(), 2u);
  EXPECT_EQ(rows.rows[0][0], Value(std::string("failed")));
  EXPECT_EQ(rows.rows[1][0], Value(std::string("slow")));
  auto c = sink.counters();
  EXPECT_EQ(c.spans_received, 4);
  EXPECT_EQ(c.spans_stored, 2);
  EXPECT_EQ(c.spans_kept_error, 1);
  EXPECT_EQ(c.spans_kept_slow, 1);
  EXPECT_EQ(c.spans_sampled_out, 2);

  // Everything sampled away: accepted, nothing appended, no seq used.
  telemetry::SpanBatch quiet;
  AddSpan(quiet, 9, 9, "fast", 1ms);
  r = sink.AcceptSpans(quiet);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, SinkOutcome::kAccepted);
  EXPECT_EQ(store_->LastSeq(kSpansTable), 2);
  EXPECT_EQ(sink.counters().spans_sampled_out, 3);
}

TEST_F(AgentTelemetrySinkTest, OverloadStoresNothingAndAsksForRetry) {
  AgentTelemetrySinkOptions options;
  options.max_inflight = 0;  // every request finds the agent full
  options.retry_after = 3s;
  AgentTelemetrySink sink(*store_, options);
  telemetry::SpanBatch batch;
  AddSpan(batch, 1, 1, "x", 1ms);
  auto r = sink.AcceptSpans(batch);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->outcome, SinkOutcome::kOverloaded);
  EXPECT_EQ(r->retry_after, 3s);
  EXPECT_NE(r->message.find("otlp.max_inflight_requests"), std::string::npos) << r->message;
  telemetry::LogBatch logs;
  logs.sources.push_back({});
  logs.records.emplace_back();
  EXPECT_EQ(sink.AcceptLogs(logs)->outcome, SinkOutcome::kOverloaded);
  EXPECT_EQ(store_->LastSeq(kSpansTable), 0);
  EXPECT_EQ(store_->LastSeq(kLogRecordsTable), 0);
  auto c = sink.counters();
  EXPECT_EQ(c.requests_overloaded, 2);
  EXPECT_EQ(c.spans_received, 0);
}

TEST_F(AgentTelemetrySinkTest, StoresMetricPointsOfEveryType) {
  AgentTelemetrySink sink(*store_, {});
  telemetry::MetricBatch batch;
  batch.sources.push_back({batch.text.Add("checkout"),
                           batch.text.Add(R"({"service.name":"checkout"})"),
                           batch.text.Add("meter"),
                           {}});
  auto point = [&](const char* name, telemetry::MetricType type) -> telemetry::MetricPoint& {
    telemetry::MetricPoint& p = batch.points.emplace_back();
    p.metric_name = batch.text.Add(name);
    p.type = type;
    p.time_unix_nano = kT0;
    p.start_unix_nano = kT0 - 1000;
    p.attributes_json = batch.text.Add(R"({"route":"/a"})");
    return p;
  };
  auto& sum = point("requests", telemetry::MetricType::kSum);
  sum.temporality = telemetry::Temporality::kCumulative;
  sum.monotonicity = telemetry::Monotonicity::kMonotonic;
  sum.value_kind = telemetry::NumberKind::kInt;
  sum.int_value = 7;
  sum.unit = batch.text.Add("1");
  auto& gauge = point("temperature", telemetry::MetricType::kGauge);
  gauge.value_kind = telemetry::NumberKind::kDouble;
  gauge.double_value = 21.5;
  auto& hist = point("latency", telemetry::MetricType::kHistogram);
  hist.temporality = telemetry::Temporality::kDelta;
  hist.count = 3;
  hist.sum = 555;
  hist.min = 5;
  hist.max = 500;
  batch.doubles = {10, 100.5};
  batch.counts = {1, 1, 1, 4, 0, 2};
  hist.explicit_bounds = {0, 2};
  hist.bucket_counts = {0, 3};
  auto& exp = point("payload.size", telemetry::MetricType::kExponentialHistogram);
  exp.temporality = telemetry::Temporality::kCumulative;
  exp.count = 6;
  exp.sum = 7;
  exp.scale = 3;
  exp.zero_count = 0;
  exp.positive_offset = -2;
  exp.positive_counts = {3, 2};
  exp.negative_offset = 0;
  exp.negative_counts = {};
  auto r = sink.AcceptMetrics(batch);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(store_->LastSeq(kMetricPointsTable), 4);
  EXPECT_EQ(sink.counters().metric_points_stored, 4);

  auto rows = Rows(
      "SELECT metric_name, type, temporality, is_monotonic, value, count, sum, min, max, "
      "bucket_bounds, bucket_counts, exp_scale, exp_positive_offset, exp_positive_counts, "
      "exp_negative_counts, unit, time, start_time, attributes, service_name FROM metric_points "
      "ORDER BY seq");
  ASSERT_EQ(rows.rows.size(), 4u);
  const auto& s = rows.rows[0];
  EXPECT_EQ(s[1], Value(std::string("sum")));
  EXPECT_EQ(s[2], Value(std::string("cumulative")));
  EXPECT_EQ(s[3], Value(true));
  EXPECT_EQ(s[4], Value(7.0));
  EXPECT_EQ(s[5], Value(std::monostate{}));
  EXPECT_EQ(s[15], Value(std::string("1")));
  EXPECT_EQ(s[16], Value(Timestamp{1'700'000'000'123'456}));
  EXPECT_EQ(s[17], Value(Timestamp{1'700'000'000'123'455}));
  EXPECT_EQ(s[18], Value(std::string(R"({"route":"/a"})")));
  EXPECT_EQ(s[19], Value(std::string("checkout")));
  const auto& g = rows.rows[1];
  EXPECT_EQ(g[1], Value(std::string("gauge")));
  EXPECT_EQ(g[2], Value(std::monostate{}));
  EXPECT_EQ(g[3], Value(std::monostate{}));
  EXPECT_EQ(g[4], Value(21.5));
  const auto& h = rows.rows[2];
  EXPECT_EQ(h[1], Value(std::string("histogram")));
  EXPECT_EQ(h[2], Value(std::string("delta")));
  EXPECT_EQ(h[4], Value(std::monostate{}));
  EXPECT_EQ(h[5], Value(int64_t{3}));
  EXPECT_EQ(h[6], Value(555.0));
  EXPECT_EQ(h[7], Value(5.0));
  EXPECT_EQ(h[8], Value(500.0));
  EXPECT_EQ(h[9], Value(std::string("[10,100.5]")));
  EXPECT_EQ(h[10], Value(std::string("[1,1,1]")));
  EXPECT_EQ(h[11], Value(std::monostate{}));
  const auto& e = rows.rows[3];
  EXPECT_EQ(e[1], Value(std::string("exponential_histogram")));
  EXPECT_EQ(e[9], Value(std::monostate{}));
  EXPECT_EQ(e[11], Value(int64_t{3}));
  EXPECT_EQ(e[12], Value(int64_t{-2}));
  EXPECT_EQ(e[13], Value(std::string("[4,0]")));
  EXPECT_EQ(e[14], Value(std::string("[]")));
}

TEST_F(AgentTelemetrySinkTest, StoresLogRecords) {
  AgentTelemetrySink sink(*store_, {});
  telemetry::LogBatch batch;
  batch.sources.push_back(
      {batch.text.Add("checkout"), batch.text.Add("{}"), batch.text.Add("logger"), {}});
  telemetry::LogRecord& a = batch.records.emplace_back();
  a.time_unix_nano = kT0;
  a.observed_time_unix_nano = kT0 + 1000;
  a.severity_number = 13;
  a.severity_text = batch.text.Add("WARN");
  a.body = batch.text.Add("disk almost full");
  a.trace_id.fill(0x5b);
  a.span_id.fill(0xee);
  a.attributes_json = batch.text.Add(R"({"mount":"/var"})");
  telemetry::LogRecord& b = batch.records.emplace_back();
  b.body = batch.text.Add(R"({"event":"login"})");
  ASSERT_TRUE(sink.AcceptLogs(batch).ok());
  EXPECT_EQ(sink.counters().log_records_stored, 2);
  auto rows = Rows(
      "SELECT time, observed_time, severity_number, severity_text, body, trace_id, span_id, "
      "service_name, attributes, scope_name FROM log_records ORDER BY seq");
  ASSERT_EQ(rows.rows.size(), 2u);
  const auto& r = rows.rows[0];
  EXPECT_EQ(r[0], Value(Timestamp{1'700'000'000'123'456}));
  EXPECT_EQ(r[1], Value(Timestamp{1'700'000'000'123'457}));
  EXPECT_EQ(r[2], Value(int64_t{13}));
  EXPECT_EQ(r[3], Value(std::string("WARN")));
  EXPECT_EQ(r[4], Value(std::string("disk almost full")));
  EXPECT_EQ(r[5], Value(std::string("5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b")));
  EXPECT_EQ(r[6], Value(std::string("eeeeeeeeeeeeeeee")));
  EXPECT_EQ(r[7], Value(std::string("checkout")));
  EXPECT_EQ(r[8], Value(std::string(R"({"mount":"/var"})")));
  EXPECT_EQ(r[9], Value(std::string("logger")));
  const auto& n = rows.rows[1];
  EXPECT_EQ(n[0], Value(std::monostate{}));  // the sender did not know
  EXPECT_EQ(n[4], Value(std::string(R"({"event":"login"})")));
  EXPECT_EQ(n[5], Value(std::monostate{}));
}

}  // namespace
}  // namespace coral::agent

// Peer tests: the real OpenTelemetry JS SDK (npm, pinned in scripts/setup.sh)
// sends traces, metrics and logs through each of its OTLP exporters (grpc,
// http/protobuf, http/json, all gzip-compressed) to Coral's receivers on
// loopback; the test checks exactly what reached the sink. send.js prints the
// ids the SDK generated; everything else it sends is fixed.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "otel_js.h"
#include "telemetry/memory_sink.h"
#include "telemetry/otlp_receiver.h"

namespace coral::telemetry {
namespace {

using nlohmann::json;

struct Case {
  std::string protocol;  // as the OTel env var OTEL_EXPORTER_OTLP_PROTOCOL spells it
  std::string package;   // the exporter package suffix, also in service.name
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.protocol; }

class OtlpPeerTest : public testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    if (std::string missing = MissingOtelJs(); !missing.empty()) GTEST_SKIP() << missing;
    OtlpReceiverOptions options;
    options.grpc_port = 0;
    options.http_port = 0;
    auto r = OtlpReceiver::Start(options, &sink_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    receiver_ = std::move(*r);
  }

  // Runs send.js for `signal`; returns what it printed about what it sent.
  json Send(const std::string& signal) {
    const Case& c = GetParam();
    uint16_t port = c.protocol == "grpc" ? receiver_->grpc_port() : receiver_->http_port();
    return SendWithOtelJs(signal, c.protocol, "http://127.0.0.1:" + std::to_string(port));
  }

  std::string ServiceName() const { return "peer-" + GetParam().package; }

  MemorySink sink_;
  std::unique_ptr<OtlpReceiver> receiver_;
};

TEST_P(OtlpPeerTest, Traces) {
  json sent = Send("traces");
  ASSERT_TRUE(sent.is_object());
  auto spans = sink_.spans();
  ASSERT_EQ(spans.size(), 2u);
  // SimpleSpanProcessor exports each span as it ends, in requests that may
  // arrive in either order.
  if (spans[0].name != "SELECT carts") std::swap(spans[0], spans[1]);
  const StoredSpan& child = spans[0];
  const StoredSpan& parent = spans[1];

  EXPECT_EQ(parent.trace_id, sent["parent"]["traceId"]);
  EXPECT_EQ(parent.span_id, sent["parent"]["spanId"]);
  EXPECT_EQ(parent.parent_span_id, "");
  EXPECT_EQ(parent.name, "GET /checkout");
  EXPECT_EQ(parent.kind, SpanKind::kServer);
  EXPECT_EQ(parent.start_unix_nano, 1700000000123456789u);
  EXPECT_EQ(parent.end_unix_nano, 1700000000373456789u);
  EXPECT_EQ(parent.duration_nano, 250000000u);
  EXPECT_EQ(parent.status_code, SpanStatusCode::kUnset);
  EXPECT_EQ(
      parent.attributes_json,
      R"({"http.method":"GET","http.status_code":200,"ratio":0.5,"cached":false,"tags":["a","b"]})");
  EXPECT_EQ(parent.event_count, 1u);
  EXPECT_EQ(parent.link_count, 0u);
  EXPECT_EQ(parent.service_name, ServiceName());
  EXPECT_EQ(parent.scope_name, "coral-peer-test");

  EXPECT_EQ(child.trace_id, sent["child"]["traceId"]);
  EXPECT_EQ(child.trace_id, parent.trace_id);
  EXPECT_EQ(child.span_id, sent["child"]["spanId"]);
  EXPECT_EQ(child.parent_span_id, parent.span_id);
  EXPECT_EQ(child.name, "SELECT carts");
  EXPECT_EQ(child.kind, SpanKind::kClient);
  EXPECT_EQ(child.duration_nano, 100000001u);
  EXPECT_EQ(child.status_code, SpanStatusCode::kError);
  EXPECT_EQ(child.status_message, "connection reset");
  EXPECT_EQ(child.attributes_json, R"({"db.system":"postgresql"})");

  EXPECT_EQ(parent.resource_attributes_json,
            R"({"service.name":")" + ServiceName() + R"(","deployment.environment":"test"})");
  EXPECT_EQ(child.resource_attributes_json, parent.resource_attributes_json);
}

TEST_P(OtlpPeerTest, TracesRetriedAfterOverload) {
  // The first export is refused as overloaded (HTTP 429 + Retry-After, gRPC
  // RESOURCE_EXHAUSTED + RetryInfo); the SDK must retry it after a second.
  if (GetParam().protocol == "grpc") {
    // Its gRPC transport reports every error status as a plain failure,
    // never as retryable (otlp-grpc-exporter-base, grpc-exporter-transport.js).
    // The RetryInfo answer itself is checked in otlp_receiver_test.cc.
    GTEST_SKIP() << "the OpenTelemetry JS gRPC exporter does not retry any status";
  }
  sink_.OverloadNext(1, std::chrono::seconds(1));
  json sent = Send("traces");
  ASSERT_TRUE(sent.is_object());
  auto spans = sink_.spans();
  ASSERT_EQ(spans.size(), 2u);  // each exactly once: the refused request stored nothing
  std::set<std::string> ids = {spans[0].span_id, spans[1].span_id};
  EXPECT_EQ(ids, (std::set<std::string>{sent["parent"]["spanId"], sent["child"]["spanId"]}));
  EXPECT_EQ(sink_.calls(), 3u);  // two exports, one of them twice
}

TEST_P(OtlpPeerTest, Metrics) {
  json sent = Send("metrics");
  ASSERT_TRUE(sent.is_object());
  auto points = sink_.points();
  std::map<std::string, StoredPoint> by_name;
  for (const StoredPoint& p : points) by_name[p.metric_name] = p;
  ASSERT_EQ(points.size(), 4u);
  ASSERT_EQ(by_name.size(), 4u);
  for (const StoredPoint& p : points) {
    EXPECT_EQ(p.service_name, ServiceName());
    EXPECT_EQ(p.temporality, Temporality::kCumulative) << p.metric_name;
    EXPECT_GT(p.time_unix_nano, 0u);
  }

  const StoredPoint& requests = by_name["requests"];
  EXPECT_EQ(requests.type, MetricType::kSum);
  EXPECT_EQ(requests.monotonicity, Monotonicity::kMonotonic);
  EXPECT_EQ(requests.unit, "1");
  EXPECT_EQ(requests.value_kind, NumberKind::kDouble);
  EXPECT_EQ(requests.double_value, 7);
  EXPECT_EQ(requests.attributes_json, R"({"route":"/a"})");

  const StoredPoint& queue = by_name["queue.depth"];
  EXPECT_EQ(queue.type, MetricType::kSum);
  EXPECT_EQ(queue.monotonicity, Monotonicity::kNotMonotonic);
  EXPECT_EQ(queue.double_value, 7);

  const StoredPoint& latency = by_name["latency"];
  EXPECT_EQ(latency.type, MetricType::kHistogram);
  EXPECT_EQ(latency.unit, "ms");
  EXPECT_EQ(latency.count, 3u);
  EXPECT_EQ(latency.sum, 555);
  EXPECT_EQ(latency.min, 5);
  EXPECT_EQ(latency.max, 500);
  EXPECT_EQ(latency.explicit_bounds, (std::vector<double>{10, 100}));
  EXPECT_EQ(latency.bucket_counts, (std::vector<uint64_t>{1, 1, 1}));

  const StoredPoint& size = by_name["payload.size"];
  EXPECT_EQ(size.type, MetricType::kExponentialHistogram);
  EXPECT_EQ(size.count, 3u);
  EXPECT_EQ(size.sum, 7);
  EXPECT_EQ(size.zero_count, 0u);
  EXPECT_TRUE(size.negative_counts.empty());
  // Values 1, 2 and 4 at the SDK's chosen scale: one count in each of three
  // buckets, 2^scale apart (each value doubles).
  std::vector<int64_t> filled;
  for (size_t i = 0; i < size.positive_counts.size(); ++i) {
    if (size.positive_counts[i] == 0) continue;
    EXPECT_EQ(size.positive_counts[i], 1u);
    filled.push_back(size.positive_offset + static_cast<int64_t>(i));
  }
  ASSERT_EQ(filled.size(), 3u);
  int64_t step = int64_t{1} << size.scale;
  EXPECT_EQ(filled[1] - filled[0], step);
  EXPECT_EQ(filled[2] - filled[1], step);
}

TEST_P(OtlpPeerTest, Logs) {
  json sent = Send("logs");
  ASSERT_TRUE(sent.is_object());
  auto logs = sink_.logs();
  ASSERT_EQ(logs.size(), 2u);
  // One export per record; the two requests may arrive in either order.
  if (logs[0].severity_number != 13) std::swap(logs[0], logs[1]);
  const StoredLog& warn = logs[0];
  EXPECT_EQ(warn.service_name, ServiceName());
  EXPECT_EQ(warn.severity_number, 13);
  EXPECT_EQ(warn.severity_text, "WARN");
  EXPECT_EQ(warn.body, "disk almost full");
  EXPECT_EQ(warn.time_unix_nano, 1700000000000000005u);
  EXPECT_EQ(warn.observed_time_unix_nano, 1700000000000000006u);
  EXPECT_EQ(warn.trace_id, sent["traceId"]);
  EXPECT_EQ(warn.span_id, sent["spanId"]);
  EXPECT_EQ(warn.attributes_json, R"({"disk.free_bytes":1024,"mount":"/var"})");

  const StoredLog& info = logs[1];
  EXPECT_EQ(info.severity_number, 9);
  EXPECT_EQ(info.body, R"({"event":"login","user":"ada"})");
  EXPECT_EQ(info.time_unix_nano, 1700000000000000007u);
  EXPECT_EQ(info.trace_id, "");
}

INSTANTIATE_TEST_SUITE_P(Exporters, OtlpPeerTest,
                         testing::Values(Case{"grpc", "grpc"}, Case{"http/protobuf", "proto"},
                                         Case{"http/json", "http"}),
                         [](const testing::TestParamInfo<Case>& info) {
                           return info.param.package;
                         });

}  // namespace
}  // namespace coral::telemetry

// Invalid OTLP requests: each fails as a whole, with a message naming the
// field and what is wrong, and leaves nothing in the batch.
#include <gtest/gtest.h>

#include "telemetry/json_decoder.h"
#include "telemetry/proto_decoder.h"

namespace coral::telemetry {
namespace {

namespace trace = opentelemetry::proto::trace::v1;

// A one-span JSON request with `span` as the span's fields.
std::string OneSpan(const std::string& span) {
  return R"({"resourceSpans":[{"scopeSpans":[{},{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"ok"},)" +
         span + "]}]}]}";
}

struct JsonCase {
  std::string name;
  std::string json;
  std::string error;
};
void PrintTo(const JsonCase& c, std::ostream* os) { *os << c.name; }

class JsonErrorTest : public testing::TestWithParam<JsonCase> {};

TEST_P(JsonErrorTest, FailsWithMessage) {
  const JsonCase& c = GetParam();
  ExportTraceRequest scratch;
  SpanBatch batch;
  Status s = DecodeTracesJson(c.json, {}, &scratch, &batch);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(s.message(), c.error);
  EXPECT_TRUE(batch.spans.empty());
  EXPECT_TRUE(batch.sources.empty());
  EXPECT_EQ(batch.text.size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(
    Traces, JsonErrorTest,
    testing::Values(
        JsonCase{"short_trace_id", OneSpan(R"({"traceId":"5b8e","spanId":"eee19b7ec3c1b174"})"),
                 "resourceSpans[0].scopeSpans[1].spans[1].traceId: expected 32 hex characters, "
                 "got 4"},
        JsonCase{
            "non_hex_span_id",
            OneSpan(
                R"({"traceId":"5b8efff798038103d269b633813fc60c","spanId":"zzzzzzzzzzzzzzzz"})"),
            "resourceSpans[0].scopeSpans[1].spans[1].spanId: expected 16 hex characters, got "
            "\"zzzzzzzzzzzzzzzz\""},
        JsonCase{
            "zero_trace_id",
            OneSpan(
                R"({"traceId":"00000000000000000000000000000000","spanId":"eee19b7ec3c1b174"})"),
            "resourceSpans[0].scopeSpans[1].spans[1].traceId: must not be all zero"},
        JsonCase{"missing_span_id", OneSpan(R"({"traceId":"5b8efff798038103d269b633813fc60c"})"),
                 "resourceSpans[0].scopeSpans[1].spans[1].spanId: expected 8 bytes, got 0"},
        JsonCase{"time_not_a_number", OneSpan(R"({"startTimeUnixNano":"soon"})"),
                 "resourceSpans[0].scopeSpans[1].spans[1].startTimeUnixNano: expected an unsigned "
                 "integer or a string of digits, got \"soon\""},
        JsonCase{"negative_time", OneSpan(R"({"endTimeUnixNano":-1})"),
                 "resourceSpans[0].scopeSpans[1].spans[1].endTimeUnixNano: expected an unsigned "
                 "integer, got -1"},
        // fixed64 allows it, but no time after 2262 fits a store: refused,
        // not stored as 1970.
        JsonCase{
            "time_after_2262",
            OneSpan(R"({"traceId":"5b8efff798038103d269b633813fc60c",)"
                    R"("spanId":"eee19b7ec3c1b174","startTimeUnixNano":"9223372036854775808"})"),
            "resourceSpans[0].scopeSpans[1].spans[1].startTimeUnixNano: "
            "9223372036854775808 is after the year 2262; times are nanoseconds since 1970"},
        JsonCase{"spans_not_array", R"({"resourceSpans":[{"scopeSpans":[{"spans":{}}]}]})",
                 "resourceSpans[0].scopeSpans[0].spans: expected an array, got an object"},
        JsonCase{"name_not_string", OneSpan(R"({"name":7})"),
                 "resourceSpans[0].scopeSpans[1].spans[1].name: expected a string, got an integer"},
        JsonCase{"kind_unknown_name", OneSpan(R"({"kind":"SERVERISH"})"),
                 "resourceSpans[0].scopeSpans[1].spans[1].kind: expected an integer enum value, "
                 "got \"SERVERISH\""},
        JsonCase{"bad_base64_bytes",
                 OneSpan(R"({"attributes":[{"key":"b","value":{"bytesValue":"!!"}}]})"),
                 "resourceSpans[0].scopeSpans[1].spans[1].attributes[0].value.bytesValue: "
                 "expected base64"},
        JsonCase{"not_an_object", "[1,2]", "request: expected an object, got an array"},
        JsonCase{"truncated_json", R"({"resourceSpans":[{"scopeSp)",
                 "invalid JSON: [json.exception.parse_error.101] parse error at line 1, column "
                 "28: syntax error while parsing object key - invalid string: missing closing "
                 "quote; last read: '\"scopeSp'; expected string literal"},
        JsonCase{"invalid_utf8", "{\"resourceSpans\":[{\"schemaUrl\":\"\xff\xfe\"}]}",
                 "invalid JSON: [json.exception.parse_error.101] parse error at line 1, column "
                 "33: syntax error while parsing value - invalid string: ill-formed UTF-8 byte; "
                 "last read: '\"\xFF'"}),
    [](const testing::TestParamInfo<JsonCase>& info) { return info.param.name; });

// A valid one-span request to break in the protobuf tests.
ExportTraceRequest ValidRequest() {
  ExportTraceRequest req;
  trace::Span* span = req.add_resource_spans()->add_scope_spans()->add_spans();
  span->set_trace_id(std::string(16, '\x01'));
  span->set_span_id(std::string(8, '\x02'));
  span->set_name("s");
  return req;
}

Status DecodeBytes(const std::string& bytes, const DecodeLimits& limits = {}) {
  ExportTraceRequest scratch;
  SpanBatch batch;
  Status s = DecodeTracesProto(bytes, limits, &scratch, &batch);
  EXPECT_TRUE(batch.spans.empty() || s.ok());
  return s;
}

TEST(ProtoErrorTest, TruncatedProtobuf) {
  std::string bytes = ValidRequest().SerializeAsString();
  Status s = DecodeBytes(bytes.substr(0, bytes.size() - 3));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "cannot parse opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest from " +
                std::to_string(bytes.size() - 3) +
                " bytes of protobuf: truncated, not protobuf, or a string field that is not valid "
                "UTF-8");
}

TEST(ProtoErrorTest, InvalidUtf8InAString) {
  ExportTraceRequest req = ValidRequest();
  std::string bytes = req.SerializeAsString();
  // Replace the name "s" (the only 's' byte after a length of 1) with 0xff.
  size_t at = bytes.find("\x2a\x01s");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 2] = '\xff';
  EXPECT_EQ(DecodeBytes(bytes).code(), StatusCode::kInvalidArgument);
}

TEST(ProtoErrorTest, WrongIdLength) {
  ExportTraceRequest req = ValidRequest();
  req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0)->set_parent_span_id(
      "abc");
  Status s = DecodeBytes(req.SerializeAsString());
  EXPECT_EQ(s.message(),
            "resourceSpans[0].scopeSpans[0].spans[0].parentSpanId: expected 8 bytes, got 3");
}

TEST(ProtoErrorTest, TenThousandAttributes) {
  ExportTraceRequest req = ValidRequest();
  trace::Span* span = req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0);
  for (int i = 0; i < 10000; ++i) {
    auto* kv = span->add_attributes();
    kv->set_key("k" + std::to_string(i));
    kv->mutable_value()->set_int_value(i);
  }
  Status s = DecodeBytes(req.SerializeAsString());
  EXPECT_EQ(s.message(),
            "resourceSpans[0].scopeSpans[0].spans[0].attributes: 10000 attributes, more than the "
            "limit of 1024");
}

TEST(ProtoErrorTest, TenMegabyteAttribute) {
  ExportTraceRequest req = ValidRequest();
  trace::Span* span = req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0);
  span->add_attributes()->set_key("small");
  auto* big = span->add_attributes();
  big->set_key("big");
  big->mutable_value()->set_string_value(std::string(10 << 20, 'x'));
  Status s = DecodeBytes(req.SerializeAsString());
  EXPECT_EQ(s.message(),
            "resourceSpans[0].scopeSpans[0].spans[0].attributes[1].value.stringValue: 10485760 "
            "bytes, more than the limit of 1048576");
}

TEST(ProtoErrorTest, DeepNesting) {
  ExportTraceRequest req = ValidRequest();
  trace::Span* span = req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0);
  auto* value = span->add_attributes()->mutable_value();
  for (int i = 0; i < 20; ++i) value = value->mutable_array_value()->add_values();
  value->set_int_value(1);
  DecodeLimits limits;
  limits.max_depth = 5;
  Status s = DecodeBytes(req.SerializeAsString(), limits);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("nested more than 5 deep"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().rfind("resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value", 0), 0u)
      << s.message();
}

TEST(ProtoErrorTest, HistogramBucketsMustMatchBounds) {
  ExportMetricsRequest req;
  auto* point = req.add_resource_metrics()
                    ->add_scope_metrics()
                    ->add_metrics()
                    ->mutable_histogram()
                    ->add_data_points();
  point->add_explicit_bounds(1);
  point->add_explicit_bounds(2);
  point->add_bucket_counts(1);
  MetricBatch batch;
  Status s = DecodeMetrics(req, {}, &batch);
  EXPECT_EQ(s.message(),
            "resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0].bucketCounts: 1 "
            "buckets for 2 explicit bounds, expected 3");
  EXPECT_TRUE(batch.points.empty());
}

TEST(ProtoErrorTest, FailureAfterGoodRowsLeavesNothing) {
  ExportTraceRequest req = ValidRequest();
  auto* scope = req.mutable_resource_spans(0)->mutable_scope_spans(0);
  *scope->add_spans() = scope->spans(0);
  scope->add_spans()->set_name("no ids");
  SpanBatch batch;
  Status s = DecodeTraces(req, {}, &batch);
  EXPECT_EQ(s.message(),
            "resourceSpans[0].scopeSpans[0].spans[2].traceId: expected 16 bytes, got 0");
  EXPECT_TRUE(batch.spans.empty());
  EXPECT_EQ(batch.text.size(), 0u);
}

TEST(ProtoErrorTest, LogSeverityOutOfRange) {
  ExportLogsRequest req;
  req.add_resource_logs()->add_scope_logs()->add_log_records()->set_severity_number(
      static_cast<opentelemetry::proto::logs::v1::SeverityNumber>(99));
  LogBatch batch;
  Status s = DecodeLogs(req, {}, &batch);
  EXPECT_EQ(s.message(),
            "resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber: expected 0 to 24, got 99");
}

}  // namespace
}  // namespace coral::telemetry

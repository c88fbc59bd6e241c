// Golden decode tests: checked-in OTLP requests in protobuf (testdata/*.pb,
// encoded from *.textproto) and OTLP/JSON (testdata/*.json) carry the same
// content and must both decode to testdata/*.golden, byte for byte.
// CORAL_UPDATE_GOLDEN=1 rewrites the golden files from the protobuf decode.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "telemetry/json_decoder.h"
#include "telemetry/proto_decoder.h"

namespace coral::telemetry {
namespace {

std::string ReadFile(const std::string& name) {
  std::ifstream in(std::string(CORAL_TELEMETRY_TESTDATA) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing test file " << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void CheckGolden(const std::string& name, const std::string& actual) {
  if (std::getenv("CORAL_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(std::string(CORAL_TELEMETRY_TESTDATA) + "/" + name, std::ios::binary) << actual;
  }
  EXPECT_EQ(actual, ReadFile(name)) << "decode differs from " << name;
}

template <typename Request, typename Batch, typename FromProto, typename FromJson>
void RunGolden(const std::string& signal, FromProto from_proto, FromJson from_json) {
  DecodeLimits limits;
  Request scratch;
  Batch batch;
  Status s = from_proto(ReadFile(signal + ".pb"), limits, &scratch, &batch);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::string from_pb = ToDebugText(batch);
  CheckGolden(signal + ".golden", from_pb);

  // Decoding into a used batch and request gives the same answer.
  s = from_json(ReadFile(signal + ".json"), limits, &scratch, &batch);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ToDebugText(batch), ReadFile(signal + ".golden")) << signal << ".json";
}

TEST(DecoderGoldenTest, Traces) {
  RunGolden<ExportTraceRequest, SpanBatch>("traces", DecodeTracesProto, DecodeTracesJson);
}

TEST(DecoderGoldenTest, Metrics) {
  RunGolden<ExportMetricsRequest, MetricBatch>("metrics", DecodeMetricsProto, DecodeMetricsJson);
}

TEST(DecoderGoldenTest, Logs) {
  RunGolden<ExportLogsRequest, LogBatch>("logs", DecodeLogsProto, DecodeLogsJson);
}

TEST(DecoderGoldenTest, TracesFieldsThroughTheModel) {
  // The golden text is built from the model; check a few fields directly too.
  ExportTraceRequest scratch;
  SpanBatch batch;
  ASSERT_TRUE(DecodeTracesJson(ReadFile("traces.json"), {}, &scratch, &batch).ok());
  ASSERT_EQ(batch.spans.size(), 4u);
  const Span& root = batch.spans[0];
  EXPECT_EQ(ToHex(root.trace_id), "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(ToHex(root.span_id), "eee19b7ec3c1b174");
  EXPECT_TRUE(IsZero(root.parent_span_id));
  EXPECT_EQ(batch.str(batch.sources[root.source].service_name), "checkout");
  EXPECT_EQ(root.duration_nano(), 250'000'000u);
  EXPECT_EQ(root.status_code, SpanStatusCode::kError);
  EXPECT_EQ(root.event_count, 2u);
  EXPECT_EQ(root.link_count, 1u);
  EXPECT_EQ(ToHex(batch.spans[1].parent_span_id), "eee19b7ec3c1b174");
  EXPECT_EQ(batch.str(batch.sources[batch.spans[3].source].service_name), "");
  EXPECT_EQ(batch.spans[3].duration_nano(), 0u);  // end before start
}

TEST(DecoderGoldenTest, JsonAcceptsSnakeCaseNamesEnumNamesAndNulls) {
  // What generic protobuf JSON printers write: original field names, enum
  // names, base64 is not used for ids (OTLP keeps hex), nulls for unset.
  std::string json = R"({"resource_spans":[{"resource":null,"scope_spans":[{"spans":[{
      "trace_id":"5b8efff798038103d269b633813fc60c","span_id":"eee19b7ec3c1b174",
      "name":"n","kind":"SPAN_KIND_PRODUCER","start_time_unix_nano":"1","end_time_unix_nano":"4",
      "status":{"code":"STATUS_CODE_ERROR"},"parentSpanId":null}]}]}]})";
  ExportTraceRequest scratch;
  SpanBatch batch;
  Status s = DecodeTracesJson(json, {}, &scratch, &batch);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(batch.spans.size(), 1u);
  EXPECT_EQ(batch.spans[0].kind, SpanKind::kProducer);
  EXPECT_EQ(batch.spans[0].status_code, SpanStatusCode::kError);
  EXPECT_EQ(batch.spans[0].duration_nano(), 3u);
}

}  // namespace
}  // namespace coral::telemetry

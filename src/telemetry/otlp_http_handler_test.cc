// OTLP/HTTP answers, calling the handler directly (the server is exercised in
// otlp_receiver_test.cc).
#include "telemetry/otlp_http_handler.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "telemetry/gzip.h"
#include "telemetry/memory_sink.h"
#include "telemetry/proto_decoder.h"

namespace coral::telemetry {
namespace {

using net::HttpRequest;
using net::HttpResponse;

constexpr char kJsonSpan[] =
    R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}}]},)"
    R"("scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",)"
    R"("name":"GET /","startTimeUnixNano":"100","endTimeUnixNano":"350"}]}]}]})";

HttpRequest Post(std::string path, std::string content_type, std::string body) {
  HttpRequest r;
  r.method = "POST";
  r.path = std::move(path);
  r.target = r.path;
  r.headers = {{"Content-Type", std::move(content_type)}};
  r.body = std::move(body);
  return r;
}

std::string ProtoSpans(int n, const std::string& name = "span") {
  ExportTraceRequest req;
  auto* scope = req.add_resource_spans()->add_scope_spans();
  for (int i = 0; i < n; ++i) {
    auto* span = scope->add_spans();
    span->set_trace_id(std::string(16, '\x11'));
    span->set_span_id(std::string(7, '\x22') + static_cast<char>(i + 1));
    span->set_name(name);
  }
  return req.SerializeAsString();
}

class OtlpHttpHandlerTest : public testing::Test {
 protected:
  MemorySink sink_;
  OtlpHttpHandler handler_{&sink_, OtlpHttpOptions{.max_request_bytes = 64 << 10}};
};

TEST_F(OtlpHttpHandlerTest, JsonTracesAreStoredAndAnsweredInJson) {
  HttpResponse r = handler_.Handle(Post("/v1/traces", "application/json", kJsonSpan));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(net::FindHeader(r.headers, "Content-Type"), "application/json");
  EXPECT_EQ(r.body, "{}");
  auto spans = sink_.spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].trace_id, "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(spans[0].service_name, "cart");
  EXPECT_EQ(spans[0].duration_nano, 250u);
}

TEST_F(OtlpHttpHandlerTest, ProtobufWithGzipAndCharsetParameter) {
  HttpRequest req =
      Post("/v1/traces", "Application/X-Protobuf; charset=binary", *Gzip(ProtoSpans(3)));
  req.headers.emplace_back("Content-Encoding", "gzip");
  HttpResponse r = handler_.Handle(req);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(net::FindHeader(r.headers, "Content-Type"), "application/x-protobuf");
  otlp_collector::trace::v1::ExportTraceServiceResponse resp;
  ASSERT_TRUE(resp.ParseFromString(r.body));
  EXPECT_FALSE(resp.has_partial_success());
  EXPECT_EQ(sink_.spans().size(), 3u);
}

TEST_F(OtlpHttpHandlerTest, PartialSuccessInBothEncodings) {
  sink_.RejectNamed("bad");
  HttpResponse r =
      handler_.Handle(Post("/v1/traces", "application/x-protobuf", ProtoSpans(2, "bad")));
  EXPECT_EQ(r.status, 200);
  otlp_collector::trace::v1::ExportTraceServiceResponse resp;
  ASSERT_TRUE(resp.ParseFromString(r.body));
  EXPECT_EQ(resp.partial_success().rejected_spans(), 2);
  EXPECT_EQ(resp.partial_success().error_message(), "spans named \"bad\" are refused");

  std::string json = kJsonSpan;
  json.replace(json.find("GET /"), 5, "bad");
  r = handler_.Handle(Post("/v1/traces", "application/json", json));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(
      r.body,
      R"({"partialSuccess":{"rejectedSpans":"1","errorMessage":"spans named \"bad\" are refused"}})");
}

TEST_F(OtlpHttpHandlerTest, InvalidPayloadIs400WithTheReason) {
  std::string json = kJsonSpan;
  json.replace(json.find("eee19b7ec3c1b174"), 16, "eee1");
  HttpResponse r = handler_.Handle(Post("/v1/traces", "application/json", json));
  EXPECT_EQ(r.status, 400);
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["code"], 3);
  EXPECT_EQ(body["message"],
            "resourceSpans[0].scopeSpans[0].spans[0].spanId: expected 16 hex characters, got 4");

  std::string proto = ProtoSpans(1);
  r = handler_.Handle(
      Post("/v1/traces", "application/x-protobuf", proto.substr(0, proto.size() - 1)));
  EXPECT_EQ(r.status, 400);
  google::rpc::Status status;
  ASSERT_TRUE(status.ParseFromString(r.body));
  EXPECT_EQ(status.code(), 3);
  EXPECT_NE(status.message().find("truncated"), std::string::npos) << status.message();
  EXPECT_TRUE(sink_.spans().empty());
}

TEST_F(OtlpHttpHandlerTest, OverloadIs429WithRetryAfterAndRetryInfo) {
  sink_.Overload(std::chrono::seconds(7));
  HttpResponse r = handler_.Handle(Post("/v1/traces", "application/x-protobuf", ProtoSpans(1)));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(net::FindHeader(r.headers, "Retry-After"), "7");
  google::rpc::Status status;
  ASSERT_TRUE(status.ParseFromString(r.body));
  EXPECT_EQ(status.code(), 8);
  ASSERT_EQ(status.details_size(), 1);
  google::rpc::RetryInfo retry;
  ASSERT_TRUE(status.details(0).UnpackTo(&retry));
  EXPECT_EQ(retry.retry_delay().seconds(), 7);
}

TEST_F(OtlpHttpHandlerTest, UnavailableSinkIs503AndOtherFailuresAre500) {
  sink_.Fail(Unavailable("store is closing"));
  HttpResponse r = handler_.Handle(Post("/v1/logs", "application/json", "{}"));
  // An empty request never reaches the sink.
  EXPECT_EQ(r.status, 200);
  std::string logs =
      R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"x"}}]}]}]})";
  r = handler_.Handle(Post("/v1/logs", "application/json", logs));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(net::FindHeader(r.headers, "Retry-After"), "1");
  EXPECT_EQ(nlohmann::json::parse(r.body)["message"], "store is closing");
  sink_.Fail(Internal("disk on fire"));
  r = handler_.Handle(Post("/v1/logs", "application/json", logs));
  EXPECT_EQ(r.status, 500);
}

TEST_F(OtlpHttpHandlerTest, SizeLimitsOnTheWireAndAfterGzip) {
  std::string big(65 << 10, ' ');
  HttpResponse r = handler_.Handle(Post("/v1/traces", "application/json", big));
  EXPECT_EQ(r.status, 413);

  // A gzip bomb: 1 KiB on the wire, 16 MiB inflated.
  HttpRequest bomb = Post("/v1/traces", "application/json", *Gzip(std::string(16 << 20, ' ')));
  bomb.headers.emplace_back("Content-Encoding", "gzip");
  ASSERT_LT(bomb.body.size(), 64u << 10);
  r = handler_.Handle(bomb);
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(nlohmann::json::parse(r.body)["message"].get<std::string>().find("65536"),
            std::string::npos);
  EXPECT_EQ(sink_.calls(), 0u);
}

TEST_F(OtlpHttpHandlerTest, WrongContentTypeMethodPathAndEncoding) {
  EXPECT_EQ(handler_.Handle(Post("/v1/traces", "text/plain", kJsonSpan)).status, 415);
  EXPECT_EQ(handler_.Handle(Post("/v1/traces", "", kJsonSpan)).status, 415);
  HttpRequest get = Post("/v1/metrics", "application/json", "");
  get.method = "GET";
  HttpResponse r = handler_.Handle(get);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(net::FindHeader(r.headers, "Allow"), "POST");
  EXPECT_EQ(handler_.Handle(Post("/v1/spans", "application/json", kJsonSpan)).status, 404);
  HttpRequest br = Post("/v1/traces", "application/json", kJsonSpan);
  br.headers.emplace_back("Content-Encoding", "br");
  EXPECT_EQ(handler_.Handle(br).status, 415);
  HttpRequest bad_gzip = Post("/v1/traces", "application/json", "not gzip");
  bad_gzip.headers.emplace_back("Content-Encoding", "gzip");
  EXPECT_EQ(handler_.Handle(bad_gzip).status, 400);
  EXPECT_EQ(sink_.calls(), 0u);
}

TEST_F(OtlpHttpHandlerTest, MetricsAndLogsEndpoints) {
  std::string metrics =
      R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":[{"asInt":"5"}]}}]}]}]})";
  EXPECT_EQ(handler_.Handle(Post("/v1/metrics", "application/json", metrics)).status, 200);
  std::string logs =
      R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":9,"body":{"stringValue":"hi"}}]}]}]})";
  EXPECT_EQ(handler_.Handle(Post("/v1/logs", "application/json", logs)).status, 200);
  ASSERT_EQ(sink_.points().size(), 1u);
  EXPECT_EQ(sink_.points()[0].int_value, 5);
  ASSERT_EQ(sink_.logs().size(), 1u);
  EXPECT_EQ(sink_.logs()[0].body, "hi");
  EXPECT_EQ(sink_.logs()[0].severity_number, 9);
}

}  // namespace
}  // namespace coral::telemetry

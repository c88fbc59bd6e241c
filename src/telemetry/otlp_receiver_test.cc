// The receivers over loopback: OTLP/HTTP through net::HttpServer and
// OTLP/gRPC through net::GrpcServer, on ports the kernel picks.
#include "telemetry/otlp_receiver.h"

#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <thread>

#include "../../tests/grpc_bomb.h"
#include "base/temp_dir.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "net/http_client.h"
#include "telemetry/gzip.h"
#include "telemetry/memory_sink.h"
#include "telemetry/proto_decoder.h"

namespace coral::telemetry {
namespace {

namespace trace_v1 = otlp_collector::trace::v1;
namespace metrics_v1 = otlp_collector::metrics::v1;
namespace logs_v1 = otlp_collector::logs::v1;

ExportTraceRequest Spans(int n, const std::string& name) {
  ExportTraceRequest req;
  auto* rs = req.add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value("grpc-svc");
  auto* scope = rs->add_scope_spans();
  for (int i = 0; i < n; ++i) {
    auto* span = scope->add_spans();
    span->set_trace_id(std::string(15, '\x0a') + static_cast<char>(i + 1));
    span->set_span_id(std::string(7, '\x0b') + static_cast<char>(i + 1));
    span->set_name(name);
    span->set_start_time_unix_nano(1000);
    span->set_end_time_unix_nano(1000 + 10 * (i + 1));
  }
  return req;
}

class OtlpReceiverTest : public testing::Test {
 protected:
  void SetUp() override {
    OtlpReceiverOptions options;
    options.grpc_port = 0;
    options.http_port = 0;
    options.max_request_bytes = 1 << 20;
    auto r = OtlpReceiver::Start(options, &sink_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    receiver_ = std::move(*r);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(receiver_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
  }

  std::string HttpUrl(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(receiver_->http_port()) + path;
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    return ctx;
  }

  MemorySink sink_;
  std::unique_ptr<OtlpReceiver> receiver_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(OtlpReceiverTest, DefaultsAreLoopbackAndStandardPorts) {
  OtlpReceiverOptions defaults;
  EXPECT_EQ(defaults.bind, "127.0.0.1");
  EXPECT_EQ(defaults.grpc_port, 4317);
  EXPECT_EQ(defaults.http_port, 4318);
}

TEST_F(OtlpReceiverTest, GrpcTracesWithGzip) {
  auto stub = trace_v1::TraceService::NewStub(channel_);
  auto ctx = Context();
  ctx->set_compression_algorithm(GRPC_COMPRESS_GZIP);
  trace_v1::ExportTraceServiceResponse resp;
  grpc::Status s = stub->Export(ctx.get(), Spans(3, "op"), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(resp.has_partial_success());
  auto spans = sink_.spans();
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[2].span_id, "0b0b0b0b0b0b0b03");
  EXPECT_EQ(spans[2].duration_nano, 30u);
  EXPECT_EQ(spans[0].service_name, "grpc-svc");
}

TEST_F(OtlpReceiverTest, GrpcPartialSuccess) {
  sink_.RejectNamed("drop-me");
  auto stub = trace_v1::TraceService::NewStub(channel_);
  auto ctx = Context();
  trace_v1::ExportTraceServiceResponse resp;
  ASSERT_TRUE(stub->Export(ctx.get(), Spans(2, "drop-me"), &resp).ok());
  EXPECT_EQ(resp.partial_success().rejected_spans(), 2);
  EXPECT_EQ(resp.partial_success().error_message(), "spans named \"drop-me\" are refused");
}

TEST_F(OtlpReceiverTest, GrpcInvalidArgumentSaysWhat) {
  auto stub = trace_v1::TraceService::NewStub(channel_);
  ExportTraceRequest req = Spans(1, "x");
  req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0)->set_trace_id("short");
  auto ctx = Context();
  trace_v1::ExportTraceServiceResponse resp;
  grpc::Status s = stub->Export(ctx.get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "resourceSpans[0].scopeSpans[0].spans[0].traceId: expected 16 bytes, got 5");
  EXPECT_TRUE(sink_.spans().empty());
}

TEST_F(OtlpReceiverTest, GrpcUnparsableBytesAreInvalidArgument) {
  grpc::GenericStub stub(channel_);
  std::string garbage = "\x0a\xff\xff\xff\x0f";  // a length far past the end
  grpc::Slice slice(garbage);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  auto ctx = Context();
  std::promise<grpc::Status> done;
  stub.UnaryCall(ctx.get(), "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                 grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(s); });
  grpc::Status s = done.get_future().get();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("truncated"), std::string::npos) << s.error_message();
}

TEST_F(OtlpReceiverTest, GrpcOverloadIsResourceExhaustedWithRetryInfo) {
  sink_.Overload(std::chrono::seconds(3));
  auto stub = metrics_v1::MetricsService::NewStub(channel_);
  ExportMetricsRequest req;
  auto* metric = req.add_resource_metrics()->add_scope_metrics()->add_metrics();
  metric->set_name("m");
  metric->mutable_gauge()->add_data_points()->set_as_double(1);
  auto ctx = Context();
  metrics_v1::ExportMetricsServiceResponse resp;
  grpc::Status s = stub->Export(ctx.get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()));
  ASSERT_EQ(details.details_size(), 1);
  google::rpc::RetryInfo retry;
  ASSERT_TRUE(details.details(0).UnpackTo(&retry));
  EXPECT_EQ(retry.retry_delay().seconds(), 3);
  EXPECT_TRUE(sink_.points().empty());
}

TEST_F(OtlpReceiverTest, GrpcRefusesOversizedMessagesEvenWhenCompressed) {
  // gRPC's own receive limit (4 MiB) applies to the message sent, and the
  // receiver's ceiling (1 MiB here) to it inflated; the answer carries no
  // RetryInfo, so clients do not retry it.
  auto stub = trace_v1::TraceService::NewStub(channel_);
  ExportTraceRequest req = Spans(1, "big");
  auto* attr =
      req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0)->add_attributes();
  attr->set_key("blob");
  attr->mutable_value()->set_string_value(std::string(5 << 20, 'z'));
  for (auto compression : {GRPC_COMPRESS_NONE, GRPC_COMPRESS_GZIP}) {
    auto ctx = Context();
    ctx->set_compression_algorithm(compression);
    trace_v1::ExportTraceServiceResponse resp;
    grpc::Status s = stub->Export(ctx.get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
    EXPECT_TRUE(s.error_details().empty());
  }
  EXPECT_TRUE(sink_.spans().empty());
}

// A gzip bomb (1 GB of zeros in 1 MB) to the OTLP/gRPC port: inflated with a
// ceiling (the receiver's max_request_bytes, here 1 MiB) and refused, where
// gRPC itself would have inflated all of it first.
TEST_F(OtlpReceiverTest, GrpcGzipBombIsRefusedAtTheCeiling) {
  TempDir dir("coral-otlp-bomb");
  testkit::WriteGrpcGzipBomb(dir.path() / "bomb", size_t{1} << 30);
  testkit::ResetPeakRss();
  long before = testkit::PeakRssMb();
  std::string answer = testkit::PostGrpcFrame(
      "127.0.0.1:" + std::to_string(receiver_->grpc_port()),
      "/opentelemetry.proto.collector.trace.v1.TraceService/Export", dir.path() / "bomb");
  long grew = testkit::PeakRssMb() - before;
  EXPECT_NE(answer.find("grpc-status: 8"), std::string::npos) << answer;  // RESOURCE_EXHAUSTED
  EXPECT_NE(answer.find("more than"), std::string::npos) << answer;
  EXPECT_LT(grew, 100) << "MB; the receiver inflated the bomb";
  EXPECT_TRUE(sink_.spans().empty());
}

TEST_F(OtlpReceiverTest, GrpcLogs) {
  auto stub = logs_v1::LogsService::NewStub(channel_);
  ExportLogsRequest req;
  auto* record = req.add_resource_logs()->add_scope_logs()->add_log_records();
  record->set_severity_number(opentelemetry::proto::logs::v1::SEVERITY_NUMBER_WARN);
  record->mutable_body()->set_string_value("disk almost full");
  auto ctx = Context();
  logs_v1::ExportLogsServiceResponse resp;
  ASSERT_TRUE(stub->Export(ctx.get(), req, &resp).ok());
  auto logs = sink_.logs();
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].body, "disk almost full");
  EXPECT_EQ(logs[0].severity_number, 13);
}

TEST_F(OtlpReceiverTest, HttpProtobufGzipAndLimits) {
  auto gz = Gzip(Spans(2, "http-op").SerializeAsString());
  ASSERT_TRUE(gz.ok());
  auto r = net::HttpFetch(
      {.method = "POST",
       .url = HttpUrl("/v1/traces"),
       .headers = {{"Content-Type", "application/x-protobuf"}, {"Content-Encoding", "gzip"}},
       .body = *gz});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(sink_.spans().size(), 2u);

  // Over the limit on the wire: refused by the server before the handler.
  auto big = net::HttpFetch({.method = "POST",
                             .url = HttpUrl("/v1/traces"),
                             .headers = {{"Content-Type", "application/x-protobuf"}},
                             .body = std::string((1 << 20) + 1, 'x')});
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_EQ(big->status, 413);

  // A gzip bomb: small on the wire, over the limit inflated.
  auto bomb = net::HttpFetch(
      {.method = "POST",
       .url = HttpUrl("/v1/traces"),
       .headers = {{"Content-Type", "application/x-protobuf"}, {"Content-Encoding", "gzip"}},
       .body = *Gzip(std::string(8 << 20, '\0'))});
  ASSERT_TRUE(bomb.ok());
  EXPECT_EQ(bomb->status, 413);

  // The receiver still serves after all that.
  auto again = net::HttpFetch({.method = "POST",
                               .url = HttpUrl("/v1/traces"),
                               .headers = {{"Content-Type", "application/x-protobuf"}},
                               .body = Spans(1, "after").SerializeAsString()});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(sink_.spans().size(), 3u);
}

TEST_F(OtlpReceiverTest, HttpOverloadCarriesRetryAfter) {
  sink_.Overload(std::chrono::seconds(2));
  auto r = net::HttpFetch({.method = "POST",
                           .url = HttpUrl("/v1/traces"),
                           .headers = {{"Content-Type", "application/x-protobuf"}},
                           .body = Spans(1, "x").SerializeAsString()});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->header("Retry-After"), "2");
}

TEST_F(OtlpReceiverTest, ConcurrentClientsOnBothTransportsAllLand) {
  // Each thread decodes into its own per-thread scratch; interleaved
  // requests of different sizes must not bleed into each other.
  constexpr int kThreads = 4;
  constexpr int kRequests = 15;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto stub = trace_v1::TraceService::NewStub(channel_);
      for (int i = 0; i < kRequests; ++i) {
        ExportTraceRequest req = Spans(1 + (t + i) % 7, "t" + std::to_string(t));
        if (t % 2 == 0) {
          auto ctx = Context();
          trace_v1::ExportTraceServiceResponse resp;
          if (!stub->Export(ctx.get(), req, &resp).ok()) ++failures;
        } else {
          auto r = net::HttpFetch({.method = "POST",
                                   .url = HttpUrl("/v1/traces"),
                                   .headers = {{"Content-Type", "application/x-protobuf"}},
                                   .body = req.SerializeAsString()});
          if (!r.ok() || r->status != 200) ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  std::map<std::string, size_t> per_thread;
  for (const StoredSpan& s : sink_.spans()) {
    ++per_thread[s.name];
    EXPECT_EQ(s.service_name, "grpc-svc");
    EXPECT_EQ(s.duration_nano, 10 * static_cast<uint64_t>(s.span_id.back() - '0'));
  }
  for (int t = 0; t < kThreads; ++t) {
    size_t want = 0;
    for (int i = 0; i < kRequests; ++i) want += 1 + (t + i) % 7;
    EXPECT_EQ(per_thread["t" + std::to_string(t)], want) << "thread " << t;
  }
}

}  // namespace
}  // namespace coral::telemetry

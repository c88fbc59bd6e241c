// OTLP/gRPC: the collector TraceService, MetricsService and LogsService
// Export methods, for GrpcServer (net/grpc_server.h) with
// GrpcCompression::kRaw. gRPC's receive limit (4 MiB) applies to the message
// as sent; a gzip message (grpc-encoding: gzip) is inflated here with a
// ceiling (max_request_bytes), so a small bomb is refused with
// RESOURCE_EXHAUSTED before it costs more than that.
//
// The methods take raw bytes (gRPC's raw callback API) so that a request
// that is not valid protobuf gets INVALID_ARGUMENT with a reason, as the
// spec asks, and so each thread parses into its own reused message.
// Answers: OK (+ partial success), INVALID_ARGUMENT, RESOURCE_EXHAUSTED with a
// google.rpc.RetryInfo detail when the sink is overloaded, UNAVAILABLE,
// INTERNAL.
//
// Thread-safety: gRPC calls the services from its threads; they keep no state
// besides the sink (thread-safe by contract) and per-thread scratch.
#pragma once

#include "opentelemetry/proto/collector/logs/v1/logs_service.grpc.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "telemetry/decode_limits.h"
#include "telemetry/telemetry_sink.h"

namespace coral::telemetry {

namespace otlp_grpc {
using TraceBase = opentelemetry::proto::collector::trace::v1::TraceService;
using MetricsBase = opentelemetry::proto::collector::metrics::v1::MetricsService;
using LogsBase = opentelemetry::proto::collector::logs::v1::LogsService;
}  // namespace otlp_grpc

class OtlpTraceGrpcService
    : public otlp_grpc::TraceBase::WithRawCallbackMethod_Export<otlp_grpc::TraceBase::Service> {
 public:
  // `sink` is not owned and must outlive the service; max_request_bytes
  // bounds a request after gzip.
  OtlpTraceGrpcService(TelemetrySink* sink, DecodeLimits limits, size_t max_request_bytes)
      : sink_(sink), limits_(limits), max_request_bytes_(max_request_bytes) {}
  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;

 private:
  TelemetrySink* sink_;
  DecodeLimits limits_;
  size_t max_request_bytes_;  // after gzip
};

class OtlpMetricsGrpcService
    : public otlp_grpc::MetricsBase::WithRawCallbackMethod_Export<otlp_grpc::MetricsBase::Service> {
 public:
  OtlpMetricsGrpcService(TelemetrySink* sink, DecodeLimits limits, size_t max_request_bytes)
      : sink_(sink), limits_(limits), max_request_bytes_(max_request_bytes) {}
  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;

 private:
  TelemetrySink* sink_;
  DecodeLimits limits_;
  size_t max_request_bytes_;  // after gzip
};

class OtlpLogsGrpcService
    : public otlp_grpc::LogsBase::WithRawCallbackMethod_Export<otlp_grpc::LogsBase::Service> {
 public:
  OtlpLogsGrpcService(TelemetrySink* sink, DecodeLimits limits, size_t max_request_bytes)
      : sink_(sink), limits_(limits), max_request_bytes_(max_request_bytes) {}
  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;

 private:
  TelemetrySink* sink_;
  DecodeLimits limits_;
  size_t max_request_bytes_;  // after gzip
};

}  // namespace coral::telemetry

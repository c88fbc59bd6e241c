// OTLP/gRPC: the collector TraceService, MetricsService and LogsService
// Export methods, for GrpcServer (net/grpc_server.h). Compressed requests
// (grpc-encoding: gzip) are inflated by gRPC before they get here; gRPC's
// receive limit (4 MiB by default) applies to the decompressed message.
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
  // `sink` is not owned and must outlive the service.
  OtlpTraceGrpcService(TelemetrySink* sink, DecodeLimits limits) : sink_(sink), limits_(limits) {}
  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;

 private:
  TelemetrySink* sink_;
  DecodeLimits limits_;
};

class OtlpMetricsGrpcService
    : public otlp_grpc::MetricsBase::WithRawCallbackMethod_Export<otlp_grpc::MetricsBase::Service> {
 public:
  OtlpMetricsGrpcService(TelemetrySink* sink, DecodeLimits limits) : sink_(sink), limits_(limits) {}
  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;

 private:
  TelemetrySink* sink_;
  DecodeLimits limits_;
};

class OtlpLogsGrpcService
    : public otlp_grpc::LogsBase::WithRawCallbackMethod_Export<otlp_grpc::LogsBase::Service> {
 public:
  OtlpLogsGrpcService(TelemetrySink* sink, DecodeLimits limits) : sink_(sink), limits_(limits) {}
  grpc::ServerUnaryReactor* Export(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;

 private:
  TelemetrySink* sink_;
  DecodeLimits limits_;
};

}  // namespace coral::telemetry

#include "telemetry/otlp_grpc_service.h"

#include <grpcpp/support/proto_buffer_writer.h>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "net/grpc_server.h"
#include "telemetry/gzip.h"
#include "telemetry/otlp_export.h"

namespace coral::telemetry {

namespace {

// RESOURCE_EXHAUSTED is retried by OTLP clients only when it carries
// RetryInfo, so an overloaded answer always has one.
grpc::Status WithRetryInfo(grpc::StatusCode code, const std::string& message,
                           std::chrono::seconds retry_after) {
  google::rpc::Status details;
  details.set_code(static_cast<int>(code));
  details.set_message(message);
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(retry_after.count());
  details.add_details()->PackFrom(retry);
  return grpc::Status(code, message, details.SerializeAsString());
}

template <Signal S>
grpc::ServerUnaryReactor* HandleExport(TelemetrySink& sink, const DecodeLimits& limits,
                                       size_t max_request_bytes,
                                       grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) {
  using T = SignalTraits<S>;
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto& scratch = ExportScratch<S>::ForThisThread();
  auto& parsed = scratch.FreshRequest();
  net::RawMessage raw = net::ReadRawMessage(*request);
  std::string_view bytes = raw.bytes;
  std::string inflated;
  if (raw.gzip) {
    if (Status s = Gunzip(raw.bytes, max_request_bytes, &inflated); !s.ok()) {
      reactor->Finish(grpc::Status(s.code() == StatusCode::kResourceExhausted
                                       ? grpc::StatusCode::RESOURCE_EXHAUSTED
                                       : grpc::StatusCode::INVALID_ARGUMENT,
                                   "gzip request: " + s.message()));
      return reactor;
    }
    bytes = inflated;
  }
  if (!parsed.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    reactor->Finish(grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        "cannot parse " + parsed.GetTypeName() + " from " + std::to_string(bytes.size()) +
            " bytes of protobuf: truncated, not protobuf, or a string field that is not "
            "valid UTF-8"));
    return reactor;
  }
  ExportResult result = Export<S>(sink, limits, parsed, &scratch.batch);
  scratch.batch.Clear();
  grpc::Status status;
  switch (result.answer) {
    case ExportAnswer::kOk: {
      typename T::Response out;
      if (result.rejected > 0 || !result.message.empty()) {
        T::SetPartial(&out, result.rejected, result.message);
      }
      bool own = false;
      status = grpc::SerializationTraits<typename T::Response>::Serialize(out, response, &own);
      break;
    }
    case ExportAnswer::kInvalid:
      status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, result.message);
      break;
    case ExportAnswer::kTooLarge:
      status = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, result.message);
      break;
    case ExportAnswer::kOverloaded:
      status =
          WithRetryInfo(grpc::StatusCode::RESOURCE_EXHAUSTED, result.message, result.retry_after);
      break;
    case ExportAnswer::kUnavailable:
      status = WithRetryInfo(grpc::StatusCode::UNAVAILABLE, result.message, result.retry_after);
      break;
    case ExportAnswer::kInternal:
      status = grpc::Status(grpc::StatusCode::INTERNAL, result.message);
      break;
  }
  reactor->Finish(status);
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* OtlpTraceGrpcService::Export(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  return HandleExport<Signal::kTraces>(*sink_, limits_, max_request_bytes_, context, request,
                                       response);
}

grpc::ServerUnaryReactor* OtlpMetricsGrpcService::Export(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  return HandleExport<Signal::kMetrics>(*sink_, limits_, max_request_bytes_, context, request,
                                        response);
}

grpc::ServerUnaryReactor* OtlpLogsGrpcService::Export(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request,
                                                      grpc::ByteBuffer* response) {
  return HandleExport<Signal::kLogs>(*sink_, limits_, max_request_bytes_, context, request,
                                     response);
}

}  // namespace coral::telemetry

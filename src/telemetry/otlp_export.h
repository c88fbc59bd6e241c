// The part of an OTLP Export call that does not depend on the transport:
// decode a parsed request into a per-thread batch, hand it to the sink, and
// say what the transport must answer. The gRPC services and the HTTP handler
// both end here, so they answer the same request the same way.
//
// Thread-safety: Export may run on many threads at once; each thread decodes
// into its own reused scratch (request message and batch), so a steady stream
// of requests allocates nothing per row.
#pragma once

#include <google/protobuf/arena.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "telemetry/decode_limits.h"
#include "telemetry/json_decoder.h"
#include "telemetry/model.h"
#include "telemetry/proto_decoder.h"
#include "telemetry/telemetry_sink.h"

namespace coral::telemetry {

enum class Signal { kTraces, kMetrics, kLogs };

template <Signal S>
struct SignalTraits;

template <>
struct SignalTraits<Signal::kTraces> {
  using Request = ExportTraceRequest;
  using Response = otlp_collector::trace::v1::ExportTraceServiceResponse;
  using Batch = SpanBatch;
  static constexpr std::string_view kPath = "/v1/traces";
  static constexpr std::string_view kRejectedField = "rejectedSpans";
  static Status Decode(const Request& r, const DecodeLimits& l, Batch* b) {
    return DecodeTraces(r, l, b);
  }
  static Result<SinkResponse> Accept(TelemetrySink& sink, const Batch& b) {
    return sink.AcceptSpans(b);
  }
  static void SetPartial(Response* r, int64_t rejected, const std::string& message) {
    r->mutable_partial_success()->set_rejected_spans(rejected);
    r->mutable_partial_success()->set_error_message(message);
  }
};

template <>
struct SignalTraits<Signal::kMetrics> {
  using Request = ExportMetricsRequest;
  using Response = otlp_collector::metrics::v1::ExportMetricsServiceResponse;
  using Batch = MetricBatch;
  static constexpr std::string_view kPath = "/v1/metrics";
  static constexpr std::string_view kRejectedField = "rejectedDataPoints";
  static Status Decode(const Request& r, const DecodeLimits& l, Batch* b) {
    return DecodeMetrics(r, l, b);
  }
  static Result<SinkResponse> Accept(TelemetrySink& sink, const Batch& b) {
    return sink.AcceptMetrics(b);
  }
  static void SetPartial(Response* r, int64_t rejected, const std::string& message) {
    r->mutable_partial_success()->set_rejected_data_points(rejected);
    r->mutable_partial_success()->set_error_message(message);
  }
};

template <>
struct SignalTraits<Signal::kLogs> {
  using Request = ExportLogsRequest;
  using Response = otlp_collector::logs::v1::ExportLogsServiceResponse;
  using Batch = LogBatch;
  static constexpr std::string_view kPath = "/v1/logs";
  static constexpr std::string_view kRejectedField = "rejectedLogRecords";
  static Status Decode(const Request& r, const DecodeLimits& l, Batch* b) {
    return DecodeLogs(r, l, b);
  }
  static Result<SinkResponse> Accept(TelemetrySink& sink, const Batch& b) {
    return sink.AcceptLogs(b);
  }
  static void SetPartial(Response* r, int64_t rejected, const std::string& message) {
    r->mutable_partial_success()->set_rejected_log_records(rejected);
    r->mutable_partial_success()->set_error_message(message);
  }
};

// What a transport answers.
enum class ExportAnswer {
  kOk,           // HTTP 200 / gRPC OK, with partial success when rejected > 0
  kInvalid,      // HTTP 400 / INVALID_ARGUMENT: do not retry
  kTooLarge,     // HTTP 413 / RESOURCE_EXHAUSTED without RetryInfo: do not retry
  kOverloaded,   // HTTP 429 / RESOURCE_EXHAUSTED with RetryInfo: retry later
  kUnavailable,  // HTTP 503 / UNAVAILABLE: retry later
  kInternal,     // HTTP 500 / INTERNAL
};

struct ExportResult {
  ExportAnswer answer = ExportAnswer::kOk;
  std::string message;
  int64_t rejected = 0;
  std::chrono::seconds retry_after{0};
};

// Per-thread scratch for one signal: the parsed request and the batch. The
// request lives on an arena that each new request resets, so parsing costs
// no allocation per field (a 512-span request has thousands) and clearing
// costs nothing; the arena's first block is kept from request to request.
template <Signal S>
class ExportScratch {
 public:
  using Request = typename SignalTraits<S>::Request;
  typename SignalTraits<S>::Batch batch;

  // An empty request; the one before it is gone.
  Request& FreshRequest() {
    arena_.Reset();
    request_ = google::protobuf::Arena::CreateMessage<Request>(&arena_);
    return *request_;
  }

  static ExportScratch& ForThisThread() {
    thread_local ExportScratch scratch;
    return scratch;
  }

 private:
  static constexpr size_t kFirstBlock = 512 << 10;  // a 512-span request fits
  ExportScratch() : first_block_(new char[kFirstBlock]), arena_(Options(first_block_.get())) {}
  static google::protobuf::ArenaOptions Options(char* block) {
    google::protobuf::ArenaOptions options;
    options.initial_block = block;
    options.initial_block_size = kFirstBlock;
    return options;
  }

  std::unique_ptr<char[]> first_block_;
  google::protobuf::Arena arena_;
  Request* request_ = nullptr;
};

ExportResult ToExportResult(const Status& decode_status, const Result<SinkResponse>* sink);

// Decodes `request` into scratch.batch and hands it to the sink.
template <Signal S>
ExportResult Export(TelemetrySink& sink, const DecodeLimits& limits,
                    const typename SignalTraits<S>::Request& request,
                    typename SignalTraits<S>::Batch* batch) {
  using T = SignalTraits<S>;
  Status decoded = T::Decode(request, limits, batch);
  if (!decoded.ok()) return ToExportResult(decoded, nullptr);
  // An empty request is valid and answers success without bothering the sink.
  if (batch->rows() == 0) return ExportResult{};
  Result<SinkResponse> accepted = T::Accept(sink, *batch);
  return ToExportResult(Status::Ok(), &accepted);
}

}  // namespace coral::telemetry

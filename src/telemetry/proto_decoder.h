// Decoding OTLP protobuf export requests (ExportTraceServiceRequest,
// ExportMetricsServiceRequest, ExportLogsServiceRequest) into Coral batches,
// validating as it goes. An invalid request fails as a whole with an
// InvalidArgument naming the field in OTLP/JSON terms, e.g.
//   resourceSpans[0].scopeSpans[1].spans[3].traceId: expected 16 bytes, got 5
// so nothing of a rejected request is half-stored. The JSON decoder
// (json_decoder.h) ends here too, so both encodings validate identically.
//
// Thread-safety: stateless functions; each call uses only its arguments.
#pragma once

#include <string_view>

#include "base/status.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "telemetry/decode_limits.h"
#include "telemetry/model.h"

namespace coral::telemetry {

namespace otlp_collector = opentelemetry::proto::collector;
using ExportTraceRequest = otlp_collector::trace::v1::ExportTraceServiceRequest;
using ExportMetricsRequest = otlp_collector::metrics::v1::ExportMetricsServiceRequest;
using ExportLogsRequest = otlp_collector::logs::v1::ExportLogsServiceRequest;

// Each clears *out, then fills it; on failure *out is cleared again.
Status DecodeTraces(const ExportTraceRequest& request, const DecodeLimits& limits, SpanBatch* out);
Status DecodeMetrics(const ExportMetricsRequest& request, const DecodeLimits& limits,
                     MetricBatch* out);
Status DecodeLogs(const ExportLogsRequest& request, const DecodeLimits& limits, LogBatch* out);

// Parses protobuf bytes into *scratch (reused between calls to keep its
// allocations), then decodes as above.
Status DecodeTracesProto(std::string_view bytes, const DecodeLimits& limits,
                         ExportTraceRequest* scratch, SpanBatch* out);
Status DecodeMetricsProto(std::string_view bytes, const DecodeLimits& limits,
                          ExportMetricsRequest* scratch, MetricBatch* out);
Status DecodeLogsProto(std::string_view bytes, const DecodeLimits& limits,
                       ExportLogsRequest* scratch, LogBatch* out);

}  // namespace coral::telemetry

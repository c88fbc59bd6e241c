// Decoding OTLP/JSON export requests (the protobuf JSON mapping with OTLP's
// exceptions: trace and span ids as hex, lowerCamelCase field names, 64-bit
// integers as strings or numbers, enums as integers) into Coral batches.
//
// The JSON is read into the OTLP protobuf message by walking its descriptor
// (so every field of the spec is understood the same way), then decoded by
// proto_decoder.h, so both encodings validate identically. Errors name the
// place: "resourceSpans[0].scopeSpans[1].spans[3].traceId: expected 32 hex
// characters, got 5". Unknown fields are ignored, as the spec asks; the
// original snake_case field names are accepted too.
//
// Thread-safety: stateless functions; each call uses only its arguments.
#pragma once

#include <string_view>

#include "base/status.h"
#include "telemetry/decode_limits.h"
#include "telemetry/model.h"
#include "telemetry/proto_decoder.h"

namespace coral::telemetry {

// Parses OTLP/JSON into *request (cleared first).
Status ParseOtlpJson(std::string_view json, const DecodeLimits& limits,
                     google::protobuf::Message* request);

// Each clears *out, then fills it; on failure *out is cleared again.
// *scratch is reused between calls to keep its allocations.
Status DecodeTracesJson(std::string_view json, const DecodeLimits& limits,
                        ExportTraceRequest* scratch, SpanBatch* out);
Status DecodeMetricsJson(std::string_view json, const DecodeLimits& limits,
                         ExportMetricsRequest* scratch, MetricBatch* out);
Status DecodeLogsJson(std::string_view json, const DecodeLimits& limits, ExportLogsRequest* scratch,
                      LogBatch* out);

}  // namespace coral::telemetry

// OTLP/HTTP: POST /v1/traces, /v1/metrics, /v1/logs with
// application/x-protobuf or application/json bodies, optionally
// Content-Encoding: gzip, answered as the OTLP specification says:
//   200 + Export*ServiceResponse (partial success when rows were rejected)
//   400 invalid payload, 413 over the size limit (wire or decompressed),
//   415 other content types or encodings, 405 other methods, 404 other paths,
//   429 (sink overloaded) / 503 (sink unavailable) with Retry-After,
//   500 other sink failures.
// Bodies are in the request's content type: the response message, or a
// google.rpc.Status saying what was wrong.
//
// Thread-safety: Handle may run on many threads at once (HttpServer workers).
#pragma once

#include <cstddef>

#include "net/http.h"
#include "telemetry/decode_limits.h"
#include "telemetry/telemetry_sink.h"

namespace coral::telemetry {

struct OtlpHttpOptions {
  // The largest request body, compressed or decompressed. Give HttpServer the
  // same value as max_body_bytes so a large wire body is refused unread.
  size_t max_request_bytes = 4 << 20;
  DecodeLimits limits;
};

class OtlpHttpHandler {
 public:
  // `sink` is not owned and must outlive the handler.
  OtlpHttpHandler(TelemetrySink* sink, OtlpHttpOptions options);

  net::HttpResponse Handle(const net::HttpRequest& request) const;

 private:
  TelemetrySink* sink_;
  OtlpHttpOptions options_;
};

}  // namespace coral::telemetry

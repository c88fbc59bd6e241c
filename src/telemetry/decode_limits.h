// Limits a decoder enforces on one OTLP request, so one bad or hostile client
// (a 10 MB attribute, 10,000 attributes on a span, a value nested a thousand
// deep) gets a clear error instead of costing the agent memory and time.
// The request size itself is the receivers' limit (413), not the decoders'.
#pragma once

#include <cstddef>

namespace coral::telemetry {

struct DecodeLimits {
  // Attributes on one span, event, link, data point, log record, resource or scope.
  size_t max_attributes = 1024;
  // Bytes in one string or bytes value (attribute value, key, log body, name).
  size_t max_value_bytes = 1 << 20;
  // Nesting of arrays and maps inside one attribute value or log body.
  int max_depth = 16;
};

}  // namespace coral::telemetry

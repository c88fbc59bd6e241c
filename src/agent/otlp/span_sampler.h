// SpanSampler: which OTLP spans the agent keeps. The policy keeps what a
// debugger needs most and thins the rest:
//   1. every error span (status code ERROR), unless told not to;
//   2. every span at least `latency_threshold` long (0 turns this rule off);
//   3. of the other spans, `keep_fraction`, chosen by a hash of the trace id:
//      every agent (and every request) decides the same for one trace, so
//      such a trace is kept or dropped whole. Rules 1 and 2 still keep error
//      and slow spans of a trace that rule 3 drops.
//
// Thread-safety: immutable after construction; Decide() may run on any thread.
#pragma once

#include <cstdint>

#include "base/duration.h"
#include "telemetry/model.h"

namespace coral::agent {

enum class ErrorSpans { kKeep, kSample };

struct SamplingPolicy {
  ErrorSpans error_spans = ErrorSpans::kKeep;
  Duration latency_threshold = std::chrono::milliseconds(500);
  double keep_fraction = 1.0;  // 0..1
};

// Why a span was kept, or that it was not.
enum class SampleDecision { kKeptError, kKeptSlow, kKeptSampled, kDropped };

class SpanSampler {
 public:
  explicit SpanSampler(const SamplingPolicy& policy);

  SampleDecision Decide(const telemetry::Span& span) const;
  // Rule 3 alone: whether the trace falls inside keep_fraction.
  bool KeepsTrace(const telemetry::TraceId& trace_id) const;
  // A 64-bit hash of a trace id, uniform even for ids that are only partly
  // random (W3C guarantees randomness in the right-most 7 bytes only).
  static uint64_t TraceHash(const telemetry::TraceId& trace_id);

 private:
  ErrorSpans error_spans_;
  uint64_t latency_threshold_ns_;
  // A trace is kept when TraceHash < keep_below_; keep_all_ covers 1.0, which
  // no uint64_t bound can express.
  uint64_t keep_below_;
  bool keep_all_;
};

}  // namespace coral::agent

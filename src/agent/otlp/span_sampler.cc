#include "agent/otlp/span_sampler.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace coral::agent {

namespace {

// splitmix64's finalizer: a cheap, well-mixed 64-bit permutation.
uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace

SpanSampler::SpanSampler(const SamplingPolicy& policy)
    : error_spans_(policy.error_spans),
      latency_threshold_ns_(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(policy.latency_threshold).count())),
      keep_below_(0),
      keep_all_(policy.keep_fraction >= 1.0) {
  double fraction = std::clamp(policy.keep_fraction, 0.0, 1.0);
  if (!keep_all_) keep_below_ = static_cast<uint64_t>(std::ldexp(fraction, 64));
}

uint64_t SpanSampler::TraceHash(const telemetry::TraceId& trace_id) {
  uint64_t hi = 0, lo = 0;
  std::memcpy(&hi, trace_id.data(), 8);
  std::memcpy(&lo, trace_id.data() + 8, 8);
  return Mix(hi ^ Mix(lo));
}

bool SpanSampler::KeepsTrace(const telemetry::TraceId& trace_id) const {
  return keep_all_ || TraceHash(trace_id) < keep_below_;
}

SampleDecision SpanSampler::Decide(const telemetry::Span& span) const {
  if (error_spans_ == ErrorSpans::kKeep && span.status_code == telemetry::SpanStatusCode::kError) {
    return SampleDecision::kKeptError;
  }
  if (latency_threshold_ns_ > 0 && span.duration_nano() >= latency_threshold_ns_) {
    return SampleDecision::kKeptSlow;
  }
  return KeepsTrace(span.trace_id) ? SampleDecision::kKeptSampled : SampleDecision::kDropped;
}

}  // namespace coral::agent

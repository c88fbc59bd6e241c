// AgentTelemetrySink: the TelemetrySink the agent's OTLP receivers feed. It
// samples spans (SpanSampler), turns each request into one append per table
// of the agent store (spans, metric_points, log_records; columns documented
// in store/agent_schema.cc), and counts what it kept and dropped.
//
// Overload: at most `max_inflight` requests are converted and stored at once
// (the store serializes appends anyway); any request beyond that is answered
// Overloaded with retry_after, before it costs memory, so OTLP clients back
// off and retry and the agent's memory stays bounded however hard it is pushed.
//
// Thread-safety: the receivers call it from many threads; counters() may be
// read from any thread. The AgentStore must outlive the sink.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "agent/otlp/span_sampler.h"
#include "agent/store/agent_store.h"
#include "telemetry/telemetry_sink.h"

namespace coral::agent {

struct AgentTelemetrySinkOptions {
  SamplingPolicy sampling;
  int max_inflight = 4;
  std::chrono::seconds retry_after{1};
};

// What the sink has done since it started. Spans: received = stored +
// sampled_out (requests refused as overloaded are not received).
struct TelemetryCounters {
  int64_t spans_received = 0;
  int64_t spans_stored = 0;
  int64_t spans_kept_error = 0;   // of stored: kept because they failed
  int64_t spans_kept_slow = 0;    // of stored: kept because they were slow
  int64_t spans_sampled_out = 0;  // dropped by the sampling fraction
  int64_t metric_points_stored = 0;
  int64_t log_records_stored = 0;
  int64_t requests_overloaded = 0;  // answered "retry later"
  int64_t requests_failed = 0;      // the store refused the append
};

class AgentTelemetrySink final : public telemetry::TelemetrySink {
 public:
  AgentTelemetrySink(AgentStore& store, AgentTelemetrySinkOptions options);

  Result<telemetry::SinkResponse> AcceptSpans(const telemetry::SpanBatch& batch) override;
  Result<telemetry::SinkResponse> AcceptMetrics(const telemetry::MetricBatch& batch) override;
  Result<telemetry::SinkResponse> AcceptLogs(const telemetry::LogBatch& batch) override;

  TelemetryCounters counters() const;

 private:
  class InflightSlot;

  AgentStore& store_;
  AgentTelemetrySinkOptions options_;
  SpanSampler sampler_;
  std::atomic<int> inflight_{0};
  std::atomic<int64_t> spans_received_{0};
  std::atomic<int64_t> spans_stored_{0};
  std::atomic<int64_t> spans_kept_error_{0};
  std::atomic<int64_t> spans_kept_slow_{0};
  std::atomic<int64_t> spans_sampled_out_{0};
  std::atomic<int64_t> metric_points_stored_{0};
  std::atomic<int64_t> log_records_stored_{0};
  std::atomic<int64_t> requests_overloaded_{0};
  std::atomic<int64_t> requests_failed_{0};
};

}  // namespace coral::agent

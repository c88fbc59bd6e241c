// MemorySink: a TelemetrySink that keeps owned copies of every row in memory,
// for tests (unit, receiver and peer tests assert on exactly what arrived).
// It can be told to answer overloaded, fail, or reject rows, to exercise the
// receivers' answers.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "telemetry/model.h"
#include "telemetry/telemetry_sink.h"

namespace coral::telemetry {

// Rows with their text resolved, as a store would see them.
struct StoredSpan {
  std::string trace_id;  // hex
  std::string span_id;
  std::string parent_span_id;  // "" for a root span
  std::string service_name;
  std::string scope_name;
  std::string name;
  SpanKind kind = SpanKind::kUnspecified;
  uint64_t start_unix_nano = 0;
  uint64_t end_unix_nano = 0;
  uint64_t duration_nano = 0;
  SpanStatusCode status_code = SpanStatusCode::kUnset;
  std::string status_message;
  std::string attributes_json;
  std::string resource_attributes_json;
  uint32_t event_count = 0;
  uint32_t link_count = 0;
};

struct StoredPoint {
  std::string service_name;
  std::string metric_name;
  std::string unit;
  MetricType type = MetricType::kGauge;
  Temporality temporality = Temporality::kUnspecified;
  Monotonicity monotonicity = Monotonicity::kNotMonotonic;
  uint64_t start_unix_nano = 0;
  uint64_t time_unix_nano = 0;
  std::string attributes_json;
  NumberKind value_kind = NumberKind::kNone;
  double double_value = 0;
  int64_t int_value = 0;
  uint64_t count = 0;
  std::optional<double> sum;
  std::optional<double> min;
  std::optional<double> max;
  std::vector<double> explicit_bounds;
  std::vector<uint64_t> bucket_counts;
  int32_t scale = 0;
  uint64_t zero_count = 0;
  int32_t positive_offset = 0;
  std::vector<uint64_t> positive_counts;
  int32_t negative_offset = 0;
  std::vector<uint64_t> negative_counts;
};

struct StoredLog {
  std::string service_name;
  uint64_t time_unix_nano = 0;
  uint64_t observed_time_unix_nano = 0;
  int severity_number = 0;
  std::string severity_text;
  std::string body;
  std::string trace_id;  // hex, "" when absent
  std::string span_id;
  std::string attributes_json;
};

class MemorySink : public TelemetrySink {
 public:
  Result<SinkResponse> AcceptSpans(const SpanBatch& batch) override;
  Result<SinkResponse> AcceptMetrics(const MetricBatch& batch) override;
  Result<SinkResponse> AcceptLogs(const LogBatch& batch) override;

  // What the next calls answer instead of storing: overloaded, or an error,
  // until Normal().
  void Overload(std::chrono::seconds retry_after);
  // Overloaded for the next `calls` calls only, then normal again (to watch
  // a client retry).
  void OverloadNext(int calls, std::chrono::seconds retry_after);
  void Fail(Status status);
  void Normal();
  // Refuse rows whose name (span name, metric name, log body) equals `name`:
  // they count as rejected, the rest is stored.
  void RejectNamed(std::string name);

  std::vector<StoredSpan> spans() const;
  std::vector<StoredPoint> points() const;
  std::vector<StoredLog> logs() const;
  size_t calls() const;

 private:
  // Set when this call must not store; needs mu_ held.
  std::optional<Result<SinkResponse>> RefusalLocked();

  mutable std::mutex mu_;  // guards everything below
  std::optional<std::chrono::seconds> overload_;
  int overload_calls_ = -1;  // calls left to overload; -1: until Normal()
  std::optional<Status> fail_;
  std::string reject_name_;
  std::vector<StoredSpan> spans_;
  std::vector<StoredPoint> points_;
  std::vector<StoredLog> logs_;
  size_t calls_ = 0;
};

}  // namespace coral::telemetry

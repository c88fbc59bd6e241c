// Coral's telemetry data model: spans, metric points and log records as they
// arrive from OTLP, decoded and validated, ready for a TelemetrySink (the
// agent store) to append in one batch.
//
// A batch owns all its text in one TextArena and all its histogram numbers in
// two flat vectors; rows refer to them by offset. Decoding a request fills a
// batch without one allocation per row once the batch has been used before
// (Clear() keeps the capacity), which is what the receivers do with a batch
// per thread. Attributes are kept as JSON object text (see json_text.h).
//
// Thread-safety: a batch is a plain value; share it read-only or not at all.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace coral::telemetry {

// A slice of a batch's TextArena.
struct TextRef {
  uint32_t offset = 0;
  uint32_t size = 0;
};

// All the text of one batch, back to back.
class TextArena {
 public:
  TextRef Add(std::string_view text);
  std::string_view Get(TextRef ref) const {
    return std::string_view(data_).substr(ref.offset, ref.size);
  }
  // For writers that append in place: Begin(), append to buffer(), End(begin).
  size_t Begin() const { return data_.size(); }
  std::string& buffer() { return data_; }
  TextRef End(size_t begin) const;
  size_t size() const { return data_.size(); }
  void Clear() { data_.clear(); }

 private:
  std::string data_;
};

using TraceId = std::array<uint8_t, 16>;  // all zero: absent
using SpanId = std::array<uint8_t, 8>;    // all zero: absent

bool IsZero(std::span<const uint8_t> id);
std::string ToHex(std::span<const uint8_t> id);

// Where rows came from: one per (resource, instrumentation scope) pair.
struct Source {
  TextRef service_name;              // resource attribute service.name; empty when absent
  TextRef resource_attributes_json;  // {"service.name":"checkout",...}
  TextRef scope_name;
  TextRef scope_version;
};

// Same numbers as OTLP's Span.SpanKind.
enum class SpanKind : uint8_t {
  kUnspecified = 0,
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5,
};
// Same numbers as OTLP's Status.StatusCode.
enum class SpanStatusCode : uint8_t { kUnset = 0, kOk = 1, kError = 2 };

std::string_view SpanKindName(SpanKind kind);          // "server"
std::string_view SpanStatusName(SpanStatusCode code);  // "error"

struct Span {
  TraceId trace_id{};
  SpanId span_id{};
  SpanId parent_span_id{};  // zero for a root span
  uint32_t source = 0;      // index into the batch's sources
  TextRef name;
  SpanKind kind = SpanKind::kUnspecified;
  uint64_t start_unix_nano = 0;
  uint64_t end_unix_nano = 0;
  SpanStatusCode status_code = SpanStatusCode::kUnset;
  TextRef status_message;
  TextRef attributes_json;
  uint32_t event_count = 0;
  uint32_t link_count = 0;
  TextRef trace_state;
  uint32_t flags = 0;

  // end - start; 0 when a (broken) client sends end before start.
  uint64_t duration_nano() const {
    return end_unix_nano > start_unix_nano ? end_unix_nano - start_unix_nano : 0;
  }
};

enum class MetricType : uint8_t {
  kGauge,
  kSum,
  kHistogram,
  kExponentialHistogram,
  kSummary,
};
// Same numbers as OTLP's AggregationTemporality.
enum class Temporality : uint8_t { kUnspecified = 0, kDelta = 1, kCumulative = 2 };
enum class Monotonicity : uint8_t { kNotMonotonic, kMonotonic };
enum class NumberKind : uint8_t { kNone, kDouble, kInt };

std::string_view MetricTypeName(MetricType type);
std::string_view TemporalityName(Temporality temporality);

// A run of values in MetricBatch::doubles or MetricBatch::counts.
struct Range {
  uint32_t offset = 0;
  uint32_t size = 0;
};

// One data point of one metric. Which fields mean something depends on type:
//   gauge, sum:            value_kind + double_value / int_value
//   histogram:             count, sum/min/max, explicit_bounds, bucket_counts
//   exponential histogram: count, sum/min/max, scale, zero_count, zero_threshold,
//                          positive/negative offset + bucket counts
//   summary:               count, sum, quantiles (pairs quantile, value)
struct MetricPoint {
  uint32_t source = 0;
  TextRef metric_name;
  TextRef description;
  TextRef unit;
  MetricType type = MetricType::kGauge;
  Temporality temporality = Temporality::kUnspecified;
  Monotonicity monotonicity = Monotonicity::kNotMonotonic;
  uint64_t start_unix_nano = 0;
  uint64_t time_unix_nano = 0;
  TextRef attributes_json;
  uint32_t flags = 0;

  NumberKind value_kind = NumberKind::kNone;
  double double_value = 0;
  int64_t int_value = 0;

  uint64_t count = 0;
  std::optional<double> sum;
  std::optional<double> min;
  std::optional<double> max;
  Range explicit_bounds;  // in doubles
  Range bucket_counts;    // in counts

  int32_t scale = 0;
  uint64_t zero_count = 0;
  double zero_threshold = 0;
  int32_t positive_offset = 0;
  Range positive_counts;  // in counts
  int32_t negative_offset = 0;
  Range negative_counts;  // in counts

  Range quantiles;  // in doubles: quantile, value, quantile, value, ...
};

struct LogRecord {
  uint32_t source = 0;
  uint64_t time_unix_nano = 0;  // 0: the sender did not know
  uint64_t observed_time_unix_nano = 0;
  uint8_t severity_number = 0;  // 0 unspecified, 1-24 as in OTLP
  TextRef severity_text;
  // A string body as is; any other body (map, array, number...) as JSON text.
  TextRef body;
  TraceId trace_id{};
  SpanId span_id{};
  TextRef attributes_json;
  TextRef event_name;
  uint32_t flags = 0;
};

struct SpanBatch {
  TextArena text;
  std::vector<Source> sources;
  std::vector<Span> spans;

  std::string_view str(TextRef ref) const { return text.Get(ref); }
  void Clear();
  size_t rows() const { return spans.size(); }
};

struct MetricBatch {
  TextArena text;
  std::vector<Source> sources;
  std::vector<MetricPoint> points;
  std::vector<double> doubles;
  std::vector<uint64_t> counts;

  std::string_view str(TextRef ref) const { return text.Get(ref); }
  std::span<const double> doubles_of(Range r) const {
    return std::span<const double>(doubles).subspan(r.offset, r.size);
  }
  std::span<const uint64_t> counts_of(Range r) const {
    return std::span<const uint64_t>(counts).subspan(r.offset, r.size);
  }
  void Clear();
  size_t rows() const { return points.size(); }
};

struct LogBatch {
  TextArena text;
  std::vector<Source> sources;
  std::vector<LogRecord> records;

  std::string_view str(TextRef ref) const { return text.Get(ref); }
  void Clear();
  size_t rows() const { return records.size(); }
};

// Stable, line-per-row text of a batch, for golden tests and debugging.
std::string ToDebugText(const SpanBatch& batch);
std::string ToDebugText(const MetricBatch& batch);
std::string ToDebugText(const LogBatch& batch);

}  // namespace coral::telemetry

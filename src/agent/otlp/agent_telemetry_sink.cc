#include "agent/otlp/agent_telemetry_sink.h"

#include <limits>
#include <string>
#include <vector>

#include "agent/store/agent_schema.h"
#include "telemetry/json_text.h"

namespace coral::agent {

using storage::Value;
using telemetry::SinkResponse;

namespace {

Value NanosToTime(uint64_t unix_nano) {
  if (unix_nano == 0) return std::monostate{};
  return storage::Timestamp{static_cast<int64_t>(unix_nano / 1000)};
}

Value IdHex(std::span<const uint8_t> id) {
  if (telemetry::IsZero(id)) return std::monostate{};
  return telemetry::ToHex(id);
}

// Lowercase hex of an id into out (2 characters a byte).
void HexInto(std::span<const uint8_t> id, char* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (uint8_t b : id) {
    *out++ = kDigits[b >> 4];
    *out++ = kDigits[b & 15];
  }
}

int64_t Clamp(uint64_t v) {
  constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(v > kMax ? kMax : v);
}

Value Text(std::string_view text) { return std::string(text); }

Value Optional(const std::optional<double>& v) {
  if (!v) return std::monostate{};
  return *v;
}

void AppendJsonNumber(std::string& out, double v) { telemetry::AppendJsonDouble(out, v); }
void AppendJsonNumber(std::string& out, uint64_t v) { telemetry::AppendJsonUint(out, v); }

template <typename T>
Value JsonArray(std::span<const T> values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonNumber(out, values[i]);
  }
  return out + "]";
}

// Summary quantiles arrive flat (q, v, q, v...); stored as [[q,v],...].
Value QuantilesJson(std::span<const double> flat) {
  std::string out = "[";
  for (size_t i = 0; i + 1 < flat.size(); i += 2) {
    if (i > 0) out += ',';
    out += '[';
    telemetry::AppendJsonDouble(out, flat[i]);
    out += ',';
    telemetry::AppendJsonDouble(out, flat[i + 1]);
    out += ']';
  }
  return out + "]";
}

const std::vector<std::string>& MetricColumns() {
  static const std::vector<std::string> kColumns = {"service_name",
                                                    "metric_name",
                                                    "description",
                                                    "unit",
                                                    "type",
                                                    "temporality",
                                                    "is_monotonic",
                                                    "time",
                                                    "start_time",
                                                    "value",
                                                    "count",
                                                    "sum",
                                                    "min",
                                                    "max",
                                                    "bucket_bounds",
                                                    "bucket_counts",
                                                    "exp_scale",
                                                    "exp_zero_count",
                                                    "exp_positive_offset",
                                                    "exp_positive_counts",
                                                    "exp_negative_offset",
                                                    "exp_negative_counts",
                                                    "quantiles",
                                                    "attributes",
                                                    "resource_attributes",
                                                    "scope_name"};
  return kColumns;
}

const std::vector<std::string>& LogColumns() {
  static const std::vector<std::string> kColumns = {
      "time",       "observed_time", "severity_number", "severity_text", "body",
      "trace_id",   "span_id",       "service_name",    "attributes",    "resource_attributes",
      "scope_name", "event_name"};
  return kColumns;
}

}  // namespace

// Holds one of the max_inflight places for the length of a request.
class AgentTelemetrySink::InflightSlot {
 public:
  explicit InflightSlot(AgentTelemetrySink& sink)
      : sink_(sink), held_(sink.inflight_.fetch_add(1) < sink.options_.max_inflight) {}
  ~InflightSlot() { sink_.inflight_.fetch_sub(1); }
  InflightSlot(const InflightSlot&) = delete;
  InflightSlot& operator=(const InflightSlot&) = delete;

  // Whether this request may go ahead; else the answer to give.
  std::optional<SinkResponse> Refusal() const {
    if (held_) return std::nullopt;
    sink_.requests_overloaded_.fetch_add(1, std::memory_order_relaxed);
    return SinkResponse::Overloaded(
        sink_.options_.retry_after,
        "the agent is storing " + std::to_string(sink_.options_.max_inflight) +
            " OTLP requests already (otlp.max_inflight_requests); retry later");
  }

 private:
  AgentTelemetrySink& sink_;
  bool held_;
};

AgentTelemetrySink::AgentTelemetrySink(AgentStore& store, AgentTelemetrySinkOptions options)
    : store_(store), options_(std::move(options)), sampler_(options_.sampling) {}

Result<SinkResponse> AgentTelemetrySink::AcceptSpans(const telemetry::SpanBatch& batch) {
  InflightSlot slot(*this);
  if (auto refusal = slot.Refusal()) return *refusal;
  spans_received_.fetch_add(static_cast<int64_t>(batch.spans.size()), std::memory_order_relaxed);
  // Which spans to keep, first: the columns below are sized for them.
  std::vector<const telemetry::Span*> kept;
  kept.reserve(batch.spans.size());
  int64_t kept_error = 0, kept_slow = 0, dropped = 0;
  for (const telemetry::Span& s : batch.spans) {
    switch (sampler_.Decide(s)) {
      case SampleDecision::kDropped:
        ++dropped;
        continue;
      case SampleDecision::kKeptError:
        ++kept_error;
        break;
      case SampleDecision::kKeptSlow:
        ++kept_slow;
        break;
      case SampleDecision::kKeptSampled:
        break;
    }
    kept.push_back(&s);
  }
  spans_sampled_out_.fetch_add(dropped, std::memory_order_relaxed);
  // Ids as hex text, 64 characters a span (trace, span, parent), written
  // once into one buffer that the columns view; it is sized before any view
  // is taken, so the views stay valid.
  constexpr size_t kHexPerSpan = 2 * (16 + 8 + 8);
  std::string hex(kept.size() * kHexPerSpan, '\0');
  for (size_t i = 0; i < kept.size(); ++i) {
    char* out = hex.data() + i * kHexPerSpan;
    HexInto(kept[i]->trace_id, out);
    HexInto(kept[i]->span_id, out + 32);
    HexInto(kept[i]->parent_span_id, out + 48);
  }
  using storage::ColumnType;
  storage::ColumnBatch rows{kSpansTable, {}};
  rows.columns.reserve(18);  // 16 here, and seq and ts, which the store adds
  auto column = [&](const char* name, ColumnType type) -> storage::ColumnValues& {
    storage::ColumnValues& c = rows.columns.emplace_back(name, type);
    c.Reserve(kept.size());
    return c;
  };
  auto& trace_id = column("trace_id", ColumnType::kString);
  auto& span_id = column("span_id", ColumnType::kString);
  auto& parent_span_id = column("parent_span_id", ColumnType::kString);
  auto& service_name = column("service_name", ColumnType::kString);
  auto& name = column("name", ColumnType::kString);
  auto& kind = column("kind", ColumnType::kString);
  auto& start_time = column("start_time", ColumnType::kTimestamp);
  auto& end_time = column("end_time", ColumnType::kTimestamp);
  auto& duration_ns = column("duration_ns", ColumnType::kInt64);
  auto& status_code = column("status_code", ColumnType::kString);
  auto& status_message = column("status_message", ColumnType::kString);
  auto& attributes = column("attributes", ColumnType::kString);
  auto& resource_attributes = column("resource_attributes", ColumnType::kString);
  auto& event_count = column("event_count", ColumnType::kInt64);
  auto& link_count = column("link_count", ColumnType::kInt64);
  auto& scope_name = column("scope_name", ColumnType::kString);
  auto add_time = [](storage::ColumnValues& c, uint64_t unix_nano) {
    if (unix_nano == 0) return c.AddNull();
    c.AddTimestamp(storage::Timestamp{static_cast<int64_t>(unix_nano / 1000)});
  };
  for (size_t i = 0; i < kept.size(); ++i) {
    const telemetry::Span& s = *kept[i];
    const telemetry::Source& src = batch.sources[s.source];
    std::string_view ids(hex.data() + i * kHexPerSpan, kHexPerSpan);
    trace_id.AddString(ids.substr(0, 32));
    span_id.AddString(ids.substr(32, 16));
    if (telemetry::IsZero(s.parent_span_id)) {
      parent_span_id.AddNull();
    } else {
      parent_span_id.AddString(ids.substr(48, 16));
    }
    service_name.AddString(batch.str(src.service_name));
    name.AddString(batch.str(s.name));
    kind.AddString(telemetry::SpanKindName(s.kind));
    add_time(start_time, s.start_unix_nano);
    add_time(end_time, s.end_unix_nano);
    duration_ns.AddInt(Clamp(s.duration_nano()));
    status_code.AddString(telemetry::SpanStatusName(s.status_code));
    status_message.AddString(batch.str(s.status_message));
    attributes.AddString(batch.str(s.attributes_json));
    resource_attributes.AddString(batch.str(src.resource_attributes_json));
    event_count.AddInt(int64_t{s.event_count});
    link_count.AddInt(int64_t{s.link_count});
    scope_name.AddString(batch.str(src.scope_name));
  }
  int64_t stored = static_cast<int64_t>(kept.size());
  if (Status s = store_.StageColumns(std::move(rows)); !s.ok()) {
    requests_failed_.fetch_add(1, std::memory_order_relaxed);
    return s.WithContext("OTLP spans into the agent store");
  }
  spans_stored_.fetch_add(stored, std::memory_order_relaxed);
  spans_kept_error_.fetch_add(kept_error, std::memory_order_relaxed);
  spans_kept_slow_.fetch_add(kept_slow, std::memory_order_relaxed);
  return SinkResponse::Accepted();
}

Result<SinkResponse> AgentTelemetrySink::AcceptMetrics(const telemetry::MetricBatch& batch) {
  InflightSlot slot(*this);
  if (auto refusal = slot.Refusal()) return *refusal;
  using telemetry::MetricType;
  std::vector<std::vector<Value>> rows;
  rows.reserve(batch.points.size());
  for (const telemetry::MetricPoint& p : batch.points) {
    const telemetry::Source& src = batch.sources[p.source];
    Value value = std::monostate{};
    if (p.value_kind == telemetry::NumberKind::kDouble) value = p.double_value;
    if (p.value_kind == telemetry::NumberKind::kInt) value = static_cast<double>(p.int_value);
    bool gauge_or_sum = p.type == MetricType::kGauge || p.type == MetricType::kSum;
    bool explicit_histogram = p.type == MetricType::kHistogram;
    bool exponential = p.type == MetricType::kExponentialHistogram;
    auto only = [](bool when, Value v) { return when ? std::move(v) : Value(std::monostate{}); };
    Value temporality = std::monostate{};
    if (p.type == MetricType::kSum || explicit_histogram || exponential) {
      temporality = Text(telemetry::TemporalityName(p.temporality));
    }
    rows.push_back(
        {Text(batch.str(src.service_name)),
         Text(batch.str(p.metric_name)),
         Text(batch.str(p.description)),
         Text(batch.str(p.unit)),
         Text(telemetry::MetricTypeName(p.type)),
         std::move(temporality),
         only(p.type == MetricType::kSum, p.monotonicity == telemetry::Monotonicity::kMonotonic),
         NanosToTime(p.time_unix_nano),
         NanosToTime(p.start_unix_nano),
         std::move(value),
         only(!gauge_or_sum, Clamp(p.count)),
         only(!gauge_or_sum, Optional(p.sum)),
         Optional(p.min),
         Optional(p.max),
         only(explicit_histogram, JsonArray(batch.doubles_of(p.explicit_bounds))),
         only(explicit_histogram, JsonArray(batch.counts_of(p.bucket_counts))),
         only(exponential, int64_t{p.scale}),
         only(exponential, Clamp(p.zero_count)),
         only(exponential, int64_t{p.positive_offset}),
         only(exponential, JsonArray(batch.counts_of(p.positive_counts))),
         only(exponential, int64_t{p.negative_offset}),
         only(exponential, JsonArray(batch.counts_of(p.negative_counts))),
         only(p.type == MetricType::kSummary, QuantilesJson(batch.doubles_of(p.quantiles))),
         Text(batch.str(p.attributes_json)),
         Text(batch.str(src.resource_attributes_json)),
         Text(batch.str(src.scope_name))});
  }
  int64_t stored = static_cast<int64_t>(rows.size());
  if (Status s = store_.Append(kMetricPointsTable, MetricColumns(), std::move(rows)); !s.ok()) {
    requests_failed_.fetch_add(1, std::memory_order_relaxed);
    return s.WithContext("OTLP metric points into the agent store");
  }
  metric_points_stored_.fetch_add(stored, std::memory_order_relaxed);
  return SinkResponse::Accepted();
}

Result<SinkResponse> AgentTelemetrySink::AcceptLogs(const telemetry::LogBatch& batch) {
  InflightSlot slot(*this);
  if (auto refusal = slot.Refusal()) return *refusal;
  std::vector<std::vector<Value>> rows;
  rows.reserve(batch.records.size());
  for (const telemetry::LogRecord& r : batch.records) {
    const telemetry::Source& src = batch.sources[r.source];
    auto text_or_null = [&](telemetry::TextRef ref) {
      return ref.size == 0 ? Value(std::monostate{}) : Text(batch.str(ref));
    };
    rows.push_back({NanosToTime(r.time_unix_nano), NanosToTime(r.observed_time_unix_nano),
                    int64_t{r.severity_number}, Text(batch.str(r.severity_text)),
                    Text(batch.str(r.body)), IdHex(r.trace_id), IdHex(r.span_id),
                    Text(batch.str(src.service_name)), Text(batch.str(r.attributes_json)),
                    Text(batch.str(src.resource_attributes_json)), Text(batch.str(src.scope_name)),
                    text_or_null(r.event_name)});
  }
  int64_t stored = static_cast<int64_t>(rows.size());
  if (Status s = store_.Append(kLogRecordsTable, LogColumns(), std::move(rows)); !s.ok()) {
    requests_failed_.fetch_add(1, std::memory_order_relaxed);
    return s.WithContext("OTLP log records into the agent store");
  }
  log_records_stored_.fetch_add(stored, std::memory_order_relaxed);
  return SinkResponse::Accepted();
}

TelemetryCounters AgentTelemetrySink::counters() const {
  auto get = [](const std::atomic<int64_t>& a) { return a.load(std::memory_order_relaxed); };
  return {get(spans_received_),     get(spans_stored_),        get(spans_kept_error_),
          get(spans_kept_slow_),    get(spans_sampled_out_),   get(metric_points_stored_),
          get(log_records_stored_), get(requests_overloaded_), get(requests_failed_)};
}

}  // namespace coral::agent

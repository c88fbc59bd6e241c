#include "telemetry/model.h"

#include "base/check.h"
#include "base/ids.h"
#include "telemetry/json_text.h"

namespace coral::telemetry {

TextRef TextArena::Add(std::string_view text) {
  size_t begin = Begin();
  data_.append(text);
  return End(begin);
}

TextRef TextArena::End(size_t begin) const {
  // Requests are capped far below 4 GiB, so offsets fit in 32 bits.
  CORAL_CHECK(data_.size() <= UINT32_MAX, "telemetry batch text over 4 GiB");
  return TextRef{static_cast<uint32_t>(begin), static_cast<uint32_t>(data_.size() - begin)};
}

bool IsZero(std::span<const uint8_t> id) {
  for (uint8_t b : id) {
    if (b != 0) return false;
  }
  return true;
}

std::string ToHex(std::span<const uint8_t> id) { return HexEncode(id.data(), id.size()); }

std::string_view SpanKindName(SpanKind kind) {
  switch (kind) {
    case SpanKind::kUnspecified:
      return "unspecified";
    case SpanKind::kInternal:
      return "internal";
    case SpanKind::kServer:
      return "server";
    case SpanKind::kClient:
      return "client";
    case SpanKind::kProducer:
      return "producer";
    case SpanKind::kConsumer:
      return "consumer";
  }
  return "?";
}

std::string_view SpanStatusName(SpanStatusCode code) {
  switch (code) {
    case SpanStatusCode::kUnset:
      return "unset";
    case SpanStatusCode::kOk:
      return "ok";
    case SpanStatusCode::kError:
      return "error";
  }
  return "?";
}

std::string_view MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kSum:
      return "sum";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kExponentialHistogram:
      return "exponential_histogram";
    case MetricType::kSummary:
      return "summary";
  }
  return "?";
}

std::string_view TemporalityName(Temporality temporality) {
  switch (temporality) {
    case Temporality::kUnspecified:
      return "unspecified";
    case Temporality::kDelta:
      return "delta";
    case Temporality::kCumulative:
      return "cumulative";
  }
  return "?";
}

void SpanBatch::Clear() {
  text.Clear();
  sources.clear();
  spans.clear();
}

void MetricBatch::Clear() {
  text.Clear();
  sources.clear();
  points.clear();
  doubles.clear();
  counts.clear();
}

void LogBatch::Clear() {
  text.Clear();
  sources.clear();
  records.clear();
}

namespace {

void AppendSources(std::string& out, const TextArena& text, const std::vector<Source>& sources) {
  for (size_t i = 0; i < sources.size(); ++i) {
    const Source& s = sources[i];
    out += "source " + std::to_string(i) + " service=";
    AppendJsonString(out, text.Get(s.service_name));
    out += " scope=";
    AppendJsonString(out, text.Get(s.scope_name));
    out += " version=";
    AppendJsonString(out, text.Get(s.scope_version));
    out += " resource=";
    out += text.Get(s.resource_attributes_json);
    out += "\n";
  }
}

void AppendField(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += '=';
  out += value;
}

void AppendQuoted(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += '=';
  AppendJsonString(out, value);
}

template <typename T>
void AppendList(std::string& out, std::string_view name, std::span<const T> values) {
  out += ' ';
  out += name;
  out += "=[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    if constexpr (std::is_same_v<T, double>) {
      AppendJsonDouble(out, values[i]);
    } else {
      AppendJsonUint(out, values[i]);
    }
  }
  out += ']';
}

void AppendOptional(std::string& out, std::string_view name, const std::optional<double>& v) {
  if (!v) return;
  out += ' ';
  out += name;
  out += '=';
  AppendJsonDouble(out, *v);
}

}  // namespace

std::string ToDebugText(const SpanBatch& batch) {
  std::string out;
  AppendSources(out, batch.text, batch.sources);
  for (const Span& s : batch.spans) {
    out += "span";
    AppendField(out, "trace", ToHex(s.trace_id));
    AppendField(out, "span", ToHex(s.span_id));
    AppendField(out, "parent", IsZero(s.parent_span_id) ? "-" : ToHex(s.parent_span_id));
    AppendField(out, "source", std::to_string(s.source));
    AppendQuoted(out, "name", batch.str(s.name));
    AppendField(out, "kind", SpanKindName(s.kind));
    AppendField(out, "start", std::to_string(s.start_unix_nano));
    AppendField(out, "end", std::to_string(s.end_unix_nano));
    AppendField(out, "duration", std::to_string(s.duration_nano()));
    AppendField(out, "status", SpanStatusName(s.status_code));
    AppendQuoted(out, "message", batch.str(s.status_message));
    AppendField(out, "events", std::to_string(s.event_count));
    AppendField(out, "links", std::to_string(s.link_count));
    AppendField(out, "flags", std::to_string(s.flags));
    AppendQuoted(out, "state", batch.str(s.trace_state));
    AppendField(out, "attributes", batch.str(s.attributes_json));
    out += '\n';
  }
  return out;
}

std::string ToDebugText(const MetricBatch& batch) {
  std::string out;
  AppendSources(out, batch.text, batch.sources);
  for (const MetricPoint& p : batch.points) {
    out += "point";
    AppendField(out, "source", std::to_string(p.source));
    AppendQuoted(out, "metric", batch.str(p.metric_name));
    AppendQuoted(out, "description", batch.str(p.description));
    AppendQuoted(out, "unit", batch.str(p.unit));
    AppendField(out, "type", MetricTypeName(p.type));
    AppendField(out, "temporality", TemporalityName(p.temporality));
    if (p.type == MetricType::kSum) {
      AppendField(out, "monotonic", p.monotonicity == Monotonicity::kMonotonic ? "true" : "false");
    }
    AppendField(out, "start", std::to_string(p.start_unix_nano));
    AppendField(out, "time", std::to_string(p.time_unix_nano));
    AppendField(out, "flags", std::to_string(p.flags));
    switch (p.type) {
      case MetricType::kGauge:
      case MetricType::kSum:
        if (p.value_kind == NumberKind::kInt) {
          AppendField(out, "int", std::to_string(p.int_value));
        } else if (p.value_kind == NumberKind::kDouble) {
          std::string v;
          AppendJsonDouble(v, p.double_value);
          AppendField(out, "double", v);
        } else {
          AppendField(out, "value", "none");
        }
        break;
      case MetricType::kHistogram:
        AppendField(out, "count", std::to_string(p.count));
        AppendOptional(out, "sum", p.sum);
        AppendOptional(out, "min", p.min);
        AppendOptional(out, "max", p.max);
        AppendList(out, "bounds", batch.doubles_of(p.explicit_bounds));
        AppendList(out, "buckets", batch.counts_of(p.bucket_counts));
        break;
      case MetricType::kExponentialHistogram: {
        AppendField(out, "count", std::to_string(p.count));
        AppendOptional(out, "sum", p.sum);
        AppendOptional(out, "min", p.min);
        AppendOptional(out, "max", p.max);
        AppendField(out, "scale", std::to_string(p.scale));
        AppendField(out, "zero_count", std::to_string(p.zero_count));
        std::string zt;
        AppendJsonDouble(zt, p.zero_threshold);
        AppendField(out, "zero_threshold", zt);
        AppendField(out, "positive_offset", std::to_string(p.positive_offset));
        AppendList(out, "positive", batch.counts_of(p.positive_counts));
        AppendField(out, "negative_offset", std::to_string(p.negative_offset));
        AppendList(out, "negative", batch.counts_of(p.negative_counts));
        break;
      }
      case MetricType::kSummary:
        AppendField(out, "count", std::to_string(p.count));
        AppendOptional(out, "sum", p.sum);
        AppendList(out, "quantiles", batch.doubles_of(p.quantiles));
        break;
    }
    AppendField(out, "attributes", batch.str(p.attributes_json));
    out += '\n';
  }
  return out;
}

std::string ToDebugText(const LogBatch& batch) {
  std::string out;
  AppendSources(out, batch.text, batch.sources);
  for (const LogRecord& r : batch.records) {
    out += "log";
    AppendField(out, "source", std::to_string(r.source));
    AppendField(out, "time", std::to_string(r.time_unix_nano));
    AppendField(out, "observed", std::to_string(r.observed_time_unix_nano));
    AppendField(out, "severity", std::to_string(r.severity_number));
    AppendQuoted(out, "severity_text", batch.str(r.severity_text));
    AppendQuoted(out, "body", batch.str(r.body));
    AppendField(out, "trace", IsZero(r.trace_id) ? "-" : ToHex(r.trace_id));
    AppendField(out, "span", IsZero(r.span_id) ? "-" : ToHex(r.span_id));
    AppendField(out, "flags", std::to_string(r.flags));
    AppendQuoted(out, "event", batch.str(r.event_name));
    AppendField(out, "attributes", batch.str(r.attributes_json));
    out += '\n';
  }
  return out;
}

}  // namespace coral::telemetry

#include "telemetry/proto_decoder.h"

#include <limits>

#include <cstring>
#include <string>

#include "telemetry/json_text.h"

namespace coral::telemetry {

namespace common = opentelemetry::proto::common::v1;
namespace resource = opentelemetry::proto::resource::v1;
namespace trace = opentelemetry::proto::trace::v1;
namespace metrics = opentelemetry::proto::metrics::v1;
namespace logs = opentelemetry::proto::logs::v1;
using google::protobuf::RepeatedPtrField;

namespace {

// The location being decoded, in OTLP/JSON field names, built up and torn
// down as the decoder walks so an error can say exactly where it is. One
// string reused for the whole request: no allocation per row.
class Path {
 public:
  class Scope {
   public:
    Scope(Path& path, size_t old) : path_(path), old_(old) {}
    ~Scope() { path_.text_.resize(old_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Path& path_;
    size_t old_;
  };

  [[nodiscard]] Scope Enter(std::string_view field, size_t index) {
    size_t old = text_.size();
    if (!text_.empty()) text_ += '.';
    text_ += field;
    text_ += '[';
    AppendJsonUint(text_, index);
    text_ += ']';
    return Scope(*this, old);
  }
  [[nodiscard]] Scope Enter(std::string_view field) {
    size_t old = text_.size();
    if (!text_.empty()) text_ += '.';
    text_ += field;
    return Scope(*this, old);
  }

  Status Error(std::string_view field, std::string_view what) const {
    std::string where = text_;
    if (!field.empty()) {
      if (!where.empty()) where += '.';
      where += field;
    }
    return InvalidArgument(where + ": " + std::string(what));
  }

 private:
  std::string text_;
};

class Decoder {
 public:
  explicit Decoder(const DecodeLimits& limits) : limits_(limits) {}

  Path& path() { return path_; }

  Status CheckText(std::string_view field, const std::string& value) {
    if (value.size() > limits_.max_value_bytes) {
      return path_.Error(field, std::to_string(value.size()) + " bytes, more than the limit of " +
                                    std::to_string(limits_.max_value_bytes));
    }
    return Status::Ok();
  }

  // `field` (an OTLP string) into the arena, checked against the size limit.
  // A time in nanoseconds since 1970. OTLP carries it as fixed64, but past
  // 2^63 - 1 (the year 2262) no store can hold it: refused rather than
  // wrapped into 1970 or clamped.
  Result<uint64_t> Time(std::string_view field, uint64_t unix_nano) const {
    if (unix_nano > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return path_.Error(field, std::to_string(unix_nano) +
                                    " is after the year 2262; times are nanoseconds since 1970");
    }
    return unix_nano;
  }

  Result<TextRef> Text(TextArena& arena, std::string_view field, const std::string& value) {
    CORAL_TRY(CheckText(field, value));
    return arena.Add(value);
  }

  // {"key":value,...} into the arena.
  Result<TextRef> Attributes(TextArena& arena, std::string_view field,
                             const RepeatedPtrField<common::KeyValue>& attributes) {
    if (static_cast<size_t>(attributes.size()) > limits_.max_attributes) {
      return path_.Error(field, std::to_string(attributes.size()) +
                                    " attributes, more than the limit of " +
                                    std::to_string(limits_.max_attributes));
    }
    size_t begin = arena.Begin();
    CORAL_TRY(AppendKeyValues(arena.buffer(), field, attributes, 0));
    return arena.End(begin);
  }

  // A log body: a string as is, anything else as JSON; nothing when unset.
  Result<TextRef> Body(TextArena& arena, const common::AnyValue& body) {
    if (body.value_case() == common::AnyValue::kStringValue) {
      return Text(arena, "body", body.string_value());
    }
    if (body.value_case() == common::AnyValue::VALUE_NOT_SET) return TextRef{};
    size_t begin = arena.Begin();
    auto scope = path_.Enter("body");
    CORAL_TRY(AppendAnyValue(arena.buffer(), body, 0));
    return arena.End(begin);
  }

  template <size_t N>
  Status Id(std::string_view field, const std::string& bytes, std::array<uint8_t, N>& out,
            bool required) {
    if (bytes.empty() && !required) {
      out.fill(0);
      return Status::Ok();
    }
    if (bytes.size() != N) {
      return path_.Error(
          field, "expected " + std::to_string(N) + " bytes, got " + std::to_string(bytes.size()));
    }
    std::memcpy(out.data(), bytes.data(), N);
    if (required && IsZero(out)) return path_.Error(field, "must not be all zero");
    return Status::Ok();
  }

  // One Source per (resource, scope); returns its index.
  Result<uint32_t> AddSource(TextArena& arena, std::vector<Source>& sources,
                             const common::InstrumentationScope& scope, TextRef resource_json,
                             TextRef service_name) {
    Source source;
    source.resource_attributes_json = resource_json;
    source.service_name = service_name;
    {
      auto s = path_.Enter("scope");
      source.scope_name = CORAL_TRY(Text(arena, "name", scope.name()));
      source.scope_version = CORAL_TRY(Text(arena, "version", scope.version()));
    }
    sources.push_back(source);
    return static_cast<uint32_t>(sources.size() - 1);
  }

  // The resource's attributes as JSON, and service.name from them.
  Status Resource(TextArena& arena, const resource::Resource& res, TextRef* json,
                  TextRef* service_name) {
    auto s = path_.Enter("resource");
    *json = CORAL_TRY(Attributes(arena, "attributes", res.attributes()));
    *service_name = TextRef{};
    for (const auto& kv : res.attributes()) {
      if (kv.key() == "service.name" && kv.value().value_case() == common::AnyValue::kStringValue) {
        *service_name = arena.Add(kv.value().string_value());
      }
    }
    return Status::Ok();
  }

 private:
  Status AppendKeyValues(std::string& out, std::string_view field,
                         const RepeatedPtrField<common::KeyValue>& kvs, int depth) {
    out += '{';
    for (int i = 0; i < kvs.size(); ++i) {
      const common::KeyValue& kv = kvs[i];
      auto scope = path_.Enter(field, i);
      CORAL_TRY(CheckText("key", kv.key()));
      if (i > 0) out += ',';
      AppendJsonString(out, kv.key());
      out += ':';
      auto value_scope = path_.Enter("value");
      CORAL_TRY(AppendAnyValue(out, kv.value(), depth));
    }
    out += '}';
    return Status::Ok();
  }

  Status AppendAnyValue(std::string& out, const common::AnyValue& v, int depth) {
    if (depth > limits_.max_depth) {
      return path_.Error("",
                         "values nested more than " + std::to_string(limits_.max_depth) + " deep");
    }
    switch (v.value_case()) {
      case common::AnyValue::kStringValue:
        CORAL_TRY(CheckText("stringValue", v.string_value()));
        AppendJsonString(out, v.string_value());
        break;
      case common::AnyValue::kBoolValue:
        out += v.bool_value() ? "true" : "false";
        break;
      case common::AnyValue::kIntValue:
        AppendJsonInt(out, v.int_value());
        break;
      case common::AnyValue::kDoubleValue:
        AppendJsonDouble(out, v.double_value());
        break;
      case common::AnyValue::kBytesValue:
        CORAL_TRY(CheckText("bytesValue", v.bytes_value()));
        AppendBase64(out, v.bytes_value());
        break;
      case common::AnyValue::kArrayValue: {
        const auto& values = v.array_value().values();
        if (static_cast<size_t>(values.size()) > limits_.max_attributes) {
          return path_.Error("arrayValue", std::to_string(values.size()) +
                                               " values, more than the limit of " +
                                               std::to_string(limits_.max_attributes));
        }
        out += '[';
        for (int i = 0; i < values.size(); ++i) {
          if (i > 0) out += ',';
          auto scope = path_.Enter("arrayValue.values", i);
          CORAL_TRY(AppendAnyValue(out, values[i], depth + 1));
        }
        out += ']';
        break;
      }
      case common::AnyValue::kKvlistValue: {
        const auto& values = v.kvlist_value().values();
        if (static_cast<size_t>(values.size()) > limits_.max_attributes) {
          return path_.Error("kvlistValue", std::to_string(values.size()) +
                                                " values, more than the limit of " +
                                                std::to_string(limits_.max_attributes));
        }
        CORAL_TRY(AppendKeyValues(out, "kvlistValue.values", values, depth + 1));
        break;
      }
      case common::AnyValue::VALUE_NOT_SET:
        out += "null";
        break;
    }
    return Status::Ok();
  }

  const DecodeLimits& limits_;
  Path path_;
};

// Runs `decode`; on failure leaves the batch empty so nothing half-decoded escapes.
template <typename Batch, typename F>
Status Guarded(Batch* out, F&& decode) {
  out->Clear();
  Status status = decode();
  if (!status.ok()) out->Clear();
  return status;
}

Status DecodeSpan(Decoder& d, const trace::Span& in, uint32_t source, SpanBatch* out) {
  Span& span = out->spans.emplace_back();
  span.source = source;
  CORAL_TRY(d.Id("traceId", in.trace_id(), span.trace_id, true));
  CORAL_TRY(d.Id("spanId", in.span_id(), span.span_id, true));
  CORAL_TRY(d.Id("parentSpanId", in.parent_span_id(), span.parent_span_id, false));
  span.name = CORAL_TRY(d.Text(out->text, "name", in.name()));
  span.kind = static_cast<SpanKind>(in.kind() >= 0 && in.kind() <= 5 ? in.kind() : 0);
  span.start_unix_nano = CORAL_TRY(d.Time("startTimeUnixNano", in.start_time_unix_nano()));
  span.end_unix_nano = CORAL_TRY(d.Time("endTimeUnixNano", in.end_time_unix_nano()));
  int code = in.status().code();
  span.status_code = static_cast<SpanStatusCode>(code >= 0 && code <= 2 ? code : 0);
  {
    auto s = d.path().Enter("status");
    span.status_message = CORAL_TRY(d.Text(out->text, "message", in.status().message()));
  }
  span.attributes_json = CORAL_TRY(d.Attributes(out->text, "attributes", in.attributes()));
  span.event_count = static_cast<uint32_t>(in.events_size());
  span.link_count = static_cast<uint32_t>(in.links_size());
  span.trace_state = CORAL_TRY(d.Text(out->text, "traceState", in.trace_state()));
  span.flags = in.flags();
  // Events and links are counted, not stored, but are still validated so a
  // request is accepted or refused as a whole.
  for (int i = 0; i < in.events_size(); ++i) {
    auto s = d.path().Enter("events", i);
    size_t mark = out->text.Begin();
    CORAL_TRY(d.Text(out->text, "name", in.events(i).name()));
    CORAL_TRY(d.Attributes(out->text, "attributes", in.events(i).attributes()));
    out->text.buffer().resize(mark);
  }
  for (int i = 0; i < in.links_size(); ++i) {
    auto s = d.path().Enter("links", i);
    TraceId trace_id;
    SpanId span_id;
    CORAL_TRY(d.Id("traceId", in.links(i).trace_id(), trace_id, true));
    CORAL_TRY(d.Id("spanId", in.links(i).span_id(), span_id, true));
    size_t mark = out->text.Begin();
    CORAL_TRY(d.Attributes(out->text, "attributes", in.links(i).attributes()));
    out->text.buffer().resize(mark);
  }
  return Status::Ok();
}

Result<Range> AddDoubles(std::vector<double>& to,
                         const google::protobuf::RepeatedField<double>& v) {
  Range r{static_cast<uint32_t>(to.size()), static_cast<uint32_t>(v.size())};
  to.insert(to.end(), v.begin(), v.end());
  return r;
}

template <typename Ints>
Range AddCounts(std::vector<uint64_t>& to, const Ints& v) {
  Range r{static_cast<uint32_t>(to.size()), static_cast<uint32_t>(v.size())};
  to.insert(to.end(), v.begin(), v.end());
  return r;
}

// A new point of `metric` with what every OTLP data point carries: times,
// flags and attributes.
template <typename DataPoint>
Result<MetricPoint*> NewPoint(Decoder& d, MetricBatch* out, const MetricPoint& metric,
                              const DataPoint& in) {
  MetricPoint& p = out->points.emplace_back();
  p.source = metric.source;
  p.metric_name = metric.metric_name;
  p.description = metric.description;
  p.unit = metric.unit;
  p.type = metric.type;
  p.temporality = metric.temporality;
  p.monotonicity = metric.monotonicity;
  p.start_unix_nano = CORAL_TRY(d.Time("startTimeUnixNano", in.start_time_unix_nano()));
  p.time_unix_nano = CORAL_TRY(d.Time("timeUnixNano", in.time_unix_nano()));
  p.flags = in.flags();
  p.attributes_json = CORAL_TRY(d.Attributes(out->text, "attributes", in.attributes()));
  return &p;
}

Temporality ToTemporality(int t) { return static_cast<Temporality>(t >= 0 && t <= 2 ? t : 0); }

Status DecodeNumberPoints(Decoder& d, const RepeatedPtrField<metrics::NumberDataPoint>& points,
                          const MetricPoint& metric, MetricBatch* out) {
  for (int i = 0; i < points.size(); ++i) {
    const auto& in = points[i];
    auto s = d.path().Enter("dataPoints", i);
    MetricPoint& p = *CORAL_TRY(NewPoint(d, out, metric, in));
    if (in.value_case() == metrics::NumberDataPoint::kAsDouble) {
      p.value_kind = NumberKind::kDouble;
      p.double_value = in.as_double();
    } else if (in.value_case() == metrics::NumberDataPoint::kAsInt) {
      p.value_kind = NumberKind::kInt;
      p.int_value = in.as_int();
    }
  }
  return Status::Ok();
}

Status DecodeMetric(Decoder& d, const metrics::Metric& in, uint32_t source, MetricBatch* out) {
  MetricPoint metric;
  metric.source = source;
  metric.metric_name = CORAL_TRY(d.Text(out->text, "name", in.name()));
  metric.description = CORAL_TRY(d.Text(out->text, "description", in.description()));
  metric.unit = CORAL_TRY(d.Text(out->text, "unit", in.unit()));
  switch (in.data_case()) {
    case metrics::Metric::kGauge: {
      auto s = d.path().Enter("gauge");
      metric.type = MetricType::kGauge;
      return DecodeNumberPoints(d, in.gauge().data_points(), metric, out);
    }
    case metrics::Metric::kSum: {
      auto s = d.path().Enter("sum");
      metric.type = MetricType::kSum;
      metric.temporality = ToTemporality(in.sum().aggregation_temporality());
      metric.monotonicity =
          in.sum().is_monotonic() ? Monotonicity::kMonotonic : Monotonicity::kNotMonotonic;
      return DecodeNumberPoints(d, in.sum().data_points(), metric, out);
    }
    case metrics::Metric::kHistogram: {
      auto s = d.path().Enter("histogram");
      metric.type = MetricType::kHistogram;
      metric.temporality = ToTemporality(in.histogram().aggregation_temporality());
      const auto& points = in.histogram().data_points();
      for (int i = 0; i < points.size(); ++i) {
        const auto& pin = points[i];
        auto ps = d.path().Enter("dataPoints", i);
        if (pin.bucket_counts_size() != 0 &&
            pin.bucket_counts_size() != pin.explicit_bounds_size() + 1) {
          return d.path().Error("bucketCounts", std::to_string(pin.bucket_counts_size()) +
                                                    " buckets for " +
                                                    std::to_string(pin.explicit_bounds_size()) +
                                                    " explicit bounds, expected " +
                                                    std::to_string(pin.explicit_bounds_size() + 1));
        }
        MetricPoint& p = *CORAL_TRY(NewPoint(d, out, metric, pin));
        p.count = pin.count();
        if (pin.has_sum()) p.sum = pin.sum();
        if (pin.has_min()) p.min = pin.min();
        if (pin.has_max()) p.max = pin.max();
        p.explicit_bounds = CORAL_TRY(AddDoubles(out->doubles, pin.explicit_bounds()));
        p.bucket_counts = AddCounts(out->counts, pin.bucket_counts());
      }
      return Status::Ok();
    }
    case metrics::Metric::kExponentialHistogram: {
      auto s = d.path().Enter("exponentialHistogram");
      metric.type = MetricType::kExponentialHistogram;
      metric.temporality = ToTemporality(in.exponential_histogram().aggregation_temporality());
      const auto& points = in.exponential_histogram().data_points();
      for (int i = 0; i < points.size(); ++i) {
        const auto& pin = points[i];
        auto ps = d.path().Enter("dataPoints", i);
        MetricPoint& p = *CORAL_TRY(NewPoint(d, out, metric, pin));
        p.count = pin.count();
        if (pin.has_sum()) p.sum = pin.sum();
        if (pin.has_min()) p.min = pin.min();
        if (pin.has_max()) p.max = pin.max();
        p.scale = pin.scale();
        p.zero_count = pin.zero_count();
        p.zero_threshold = pin.zero_threshold();
        p.positive_offset = pin.positive().offset();
        p.positive_counts = AddCounts(out->counts, pin.positive().bucket_counts());
        p.negative_offset = pin.negative().offset();
        p.negative_counts = AddCounts(out->counts, pin.negative().bucket_counts());
      }
      return Status::Ok();
    }
    case metrics::Metric::kSummary: {
      auto s = d.path().Enter("summary");
      metric.type = MetricType::kSummary;
      const auto& points = in.summary().data_points();
      for (int i = 0; i < points.size(); ++i) {
        const auto& pin = points[i];
        auto ps = d.path().Enter("dataPoints", i);
        MetricPoint& p = *CORAL_TRY(NewPoint(d, out, metric, pin));
        p.count = pin.count();
        p.sum = pin.sum();
        p.quantiles.offset = static_cast<uint32_t>(out->doubles.size());
        for (const auto& q : pin.quantile_values()) {
          out->doubles.push_back(q.quantile());
          out->doubles.push_back(q.value());
        }
        p.quantiles.size = static_cast<uint32_t>(out->doubles.size()) - p.quantiles.offset;
      }
      return Status::Ok();
    }
    case metrics::Metric::DATA_NOT_SET:
      // A metric without data carries no points; the specification lets
      // receivers drop it rather than refuse the request.
      return Status::Ok();
  }
  return Status::Ok();
}

Status DecodeLogRecord(Decoder& d, const logs::LogRecord& in, uint32_t source, LogBatch* out) {
  LogRecord& r = out->records.emplace_back();
  r.source = source;
  r.time_unix_nano = CORAL_TRY(d.Time("timeUnixNano", in.time_unix_nano()));
  r.observed_time_unix_nano =
      CORAL_TRY(d.Time("observedTimeUnixNano", in.observed_time_unix_nano()));
  int severity = in.severity_number();
  if (severity < 0 || severity > 24) {
    return d.path().Error("severityNumber", "expected 0 to 24, got " + std::to_string(severity));
  }
  r.severity_number = static_cast<uint8_t>(severity);
  r.severity_text = CORAL_TRY(d.Text(out->text, "severityText", in.severity_text()));
  r.body = CORAL_TRY(d.Body(out->text, in.body()));
  CORAL_TRY(d.Id("traceId", in.trace_id(), r.trace_id, false));
  CORAL_TRY(d.Id("spanId", in.span_id(), r.span_id, false));
  r.attributes_json = CORAL_TRY(d.Attributes(out->text, "attributes", in.attributes()));
  r.event_name = CORAL_TRY(d.Text(out->text, "eventName", in.event_name()));
  r.flags = in.flags();
  return Status::Ok();
}

// The shared walk: resource -> scope -> items, for all three signals.
template <typename Batch, typename ResourceList, typename ScopesOf, typename ItemsOf,
          typename DecodeItem>
Status Walk(Decoder& d, Batch* out, std::string_view resource_field, const ResourceList& list,
            std::string_view scope_field, ScopesOf scopes_of, std::string_view item_field,
            ItemsOf items_of, DecodeItem decode_item) {
  for (int r = 0; r < list.size(); ++r) {
    auto rs = d.path().Enter(resource_field, r);
    TextRef resource_json;
    TextRef service_name;
    CORAL_TRY(d.Resource(out->text, list[r].resource(), &resource_json, &service_name));
    const auto& scopes = scopes_of(list[r]);
    for (int s = 0; s < scopes.size(); ++s) {
      auto ss = d.path().Enter(scope_field, s);
      uint32_t source = CORAL_TRY(
          d.AddSource(out->text, out->sources, scopes[s].scope(), resource_json, service_name));
      const auto& items = items_of(scopes[s]);
      for (int i = 0; i < items.size(); ++i) {
        auto is = d.path().Enter(item_field, i);
        CORAL_TRY(decode_item(d, items[i], source, out));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status DecodeTraces(const ExportTraceRequest& request, const DecodeLimits& limits, SpanBatch* out) {
  return Guarded(out, [&]() -> Status {
    Decoder d(limits);
    return Walk(
        d, out, "resourceSpans", request.resource_spans(), "scopeSpans",
        [](const trace::ResourceSpans& r) -> const auto& { return r.scope_spans(); }, "spans",
        [](const trace::ScopeSpans& s) -> const auto& { return s.spans(); }, DecodeSpan);
  });
}

Status DecodeMetrics(const ExportMetricsRequest& request, const DecodeLimits& limits,
                     MetricBatch* out) {
  return Guarded(out, [&]() -> Status {
    Decoder d(limits);
    return Walk(
        d, out, "resourceMetrics", request.resource_metrics(), "scopeMetrics",
        [](const metrics::ResourceMetrics& r) -> const auto& { return r.scope_metrics(); },
        "metrics", [](const metrics::ScopeMetrics& s) -> const auto& { return s.metrics(); },
        DecodeMetric);
  });
}

Status DecodeLogs(const ExportLogsRequest& request, const DecodeLimits& limits, LogBatch* out) {
  return Guarded(out, [&]() -> Status {
    Decoder d(limits);
    return Walk(
        d, out, "resourceLogs", request.resource_logs(), "scopeLogs",
        [](const logs::ResourceLogs& r) -> const auto& { return r.scope_logs(); }, "logRecords",
        [](const logs::ScopeLogs& s) -> const auto& { return s.log_records(); }, DecodeLogRecord);
  });
}

namespace {
template <typename Request>
Status Parse(std::string_view bytes, Request* scratch) {
  scratch->Clear();
  if (!scratch->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgument("cannot parse " + scratch->GetTypeName() + " from " +
                           std::to_string(bytes.size()) +
                           " bytes of protobuf: truncated, not protobuf, or a string field that "
                           "is not valid UTF-8");
  }
  return Status::Ok();
}
}  // namespace

Status DecodeTracesProto(std::string_view bytes, const DecodeLimits& limits,
                         ExportTraceRequest* scratch, SpanBatch* out) {
  out->Clear();
  CORAL_TRY(Parse(bytes, scratch));
  return DecodeTraces(*scratch, limits, out);
}

Status DecodeMetricsProto(std::string_view bytes, const DecodeLimits& limits,
                          ExportMetricsRequest* scratch, MetricBatch* out) {
  out->Clear();
  CORAL_TRY(Parse(bytes, scratch));
  return DecodeMetrics(*scratch, limits, out);
}

Status DecodeLogsProto(std::string_view bytes, const DecodeLimits& limits,
                       ExportLogsRequest* scratch, LogBatch* out) {
  out->Clear();
  CORAL_TRY(Parse(bytes, scratch));
  return DecodeLogs(*scratch, limits, out);
}

}  // namespace coral::telemetry

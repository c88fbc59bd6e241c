#include "telemetry/memory_sink.h"

namespace coral::telemetry {

namespace {
std::string IdHex(std::span<const uint8_t> id) { return IsZero(id) ? "" : ToHex(id); }

template <typename T>
std::vector<T> ToVector(std::span<const T> values) {
  return std::vector<T>(values.begin(), values.end());
}
}  // namespace

std::optional<Result<SinkResponse>> MemorySink::RefusalLocked() {
  if (fail_) return Result<SinkResponse>(*fail_);
  if (overload_) {
    if (overload_calls_ > 0 && --overload_calls_ == 0) {
      auto retry_after = *overload_;
      overload_.reset();
      return Result<SinkResponse>(
          SinkResponse::Overloaded(retry_after, "memory sink told to overload"));
    }
    return Result<SinkResponse>(
        SinkResponse::Overloaded(*overload_, "memory sink told to overload"));
  }
  return std::nullopt;
}

Result<SinkResponse> MemorySink::AcceptSpans(const SpanBatch& batch) {
  std::lock_guard lock(mu_);
  ++calls_;
  if (auto refusal = RefusalLocked()) return *refusal;
  int64_t rejected = 0;
  for (const Span& s : batch.spans) {
    if (!reject_name_.empty() && batch.str(s.name) == reject_name_) {
      ++rejected;
      continue;
    }
    const Source& src = batch.sources[s.source];
    StoredSpan& out = spans_.emplace_back();
    out.trace_id = ToHex(s.trace_id);
    out.span_id = ToHex(s.span_id);
    out.parent_span_id = IdHex(s.parent_span_id);
    out.service_name = batch.str(src.service_name);
    out.scope_name = batch.str(src.scope_name);
    out.name = batch.str(s.name);
    out.kind = s.kind;
    out.start_unix_nano = s.start_unix_nano;
    out.end_unix_nano = s.end_unix_nano;
    out.duration_nano = s.duration_nano();
    out.status_code = s.status_code;
    out.status_message = batch.str(s.status_message);
    out.attributes_json = batch.str(s.attributes_json);
    out.resource_attributes_json = batch.str(src.resource_attributes_json);
    out.event_count = s.event_count;
    out.link_count = s.link_count;
  }
  if (rejected > 0) {
    return SinkResponse::Partial(rejected, "spans named \"" + reject_name_ + "\" are refused");
  }
  return SinkResponse::Accepted();
}

Result<SinkResponse> MemorySink::AcceptMetrics(const MetricBatch& batch) {
  std::lock_guard lock(mu_);
  ++calls_;
  if (auto refusal = RefusalLocked()) return *refusal;
  int64_t rejected = 0;
  for (const MetricPoint& p : batch.points) {
    if (!reject_name_.empty() && batch.str(p.metric_name) == reject_name_) {
      ++rejected;
      continue;
    }
    StoredPoint& out = points_.emplace_back();
    out.service_name = batch.str(batch.sources[p.source].service_name);
    out.metric_name = batch.str(p.metric_name);
    out.unit = batch.str(p.unit);
    out.type = p.type;
    out.temporality = p.temporality;
    out.monotonicity = p.monotonicity;
    out.start_unix_nano = p.start_unix_nano;
    out.time_unix_nano = p.time_unix_nano;
    out.attributes_json = batch.str(p.attributes_json);
    out.value_kind = p.value_kind;
    out.double_value = p.double_value;
    out.int_value = p.int_value;
    out.count = p.count;
    out.sum = p.sum;
    out.min = p.min;
    out.max = p.max;
    out.explicit_bounds = ToVector(batch.doubles_of(p.explicit_bounds));
    out.bucket_counts = ToVector(batch.counts_of(p.bucket_counts));
    out.scale = p.scale;
    out.zero_count = p.zero_count;
    out.positive_offset = p.positive_offset;
    out.positive_counts = ToVector(batch.counts_of(p.positive_counts));
    out.negative_offset = p.negative_offset;
    out.negative_counts = ToVector(batch.counts_of(p.negative_counts));
  }
  if (rejected > 0) {
    return SinkResponse::Partial(rejected, "metrics named \"" + reject_name_ + "\" are refused");
  }
  return SinkResponse::Accepted();
}

Result<SinkResponse> MemorySink::AcceptLogs(const LogBatch& batch) {
  std::lock_guard lock(mu_);
  ++calls_;
  if (auto refusal = RefusalLocked()) return *refusal;
  int64_t rejected = 0;
  for (const LogRecord& r : batch.records) {
    if (!reject_name_.empty() && batch.str(r.body) == reject_name_) {
      ++rejected;
      continue;
    }
    StoredLog& out = logs_.emplace_back();
    out.service_name = batch.str(batch.sources[r.source].service_name);
    out.time_unix_nano = r.time_unix_nano;
    out.observed_time_unix_nano = r.observed_time_unix_nano;
    out.severity_number = r.severity_number;
    out.severity_text = batch.str(r.severity_text);
    out.body = batch.str(r.body);
    out.trace_id = IdHex(r.trace_id);
    out.span_id = IdHex(r.span_id);
    out.attributes_json = batch.str(r.attributes_json);
  }
  if (rejected > 0) {
    return SinkResponse::Partial(rejected, "logs with body \"" + reject_name_ + "\" are refused");
  }
  return SinkResponse::Accepted();
}

void MemorySink::Overload(std::chrono::seconds retry_after) {
  std::lock_guard lock(mu_);
  overload_ = retry_after;
  overload_calls_ = -1;
}

void MemorySink::OverloadNext(int calls, std::chrono::seconds retry_after) {
  std::lock_guard lock(mu_);
  overload_ = calls > 0 ? std::optional(retry_after) : std::nullopt;
  overload_calls_ = calls;
}

void MemorySink::Fail(Status status) {
  std::lock_guard lock(mu_);
  fail_ = std::move(status);
}

void MemorySink::Normal() {
  std::lock_guard lock(mu_);
  overload_.reset();
  fail_.reset();
  reject_name_.clear();
}

void MemorySink::RejectNamed(std::string name) {
  std::lock_guard lock(mu_);
  reject_name_ = std::move(name);
}

std::vector<StoredSpan> MemorySink::spans() const {
  std::lock_guard lock(mu_);
  return spans_;
}

std::vector<StoredPoint> MemorySink::points() const {
  std::lock_guard lock(mu_);
  return points_;
}

std::vector<StoredLog> MemorySink::logs() const {
  std::lock_guard lock(mu_);
  return logs_;
}

size_t MemorySink::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

}  // namespace coral::telemetry

#include "telemetry/otlp_export.h"

namespace coral::telemetry {

ExportResult ToExportResult(const Status& decode_status, const Result<SinkResponse>* sink) {
  ExportResult out;
  if (!decode_status.ok()) {
    out.answer = decode_status.code() == StatusCode::kResourceExhausted ? ExportAnswer::kTooLarge
                                                                        : ExportAnswer::kInvalid;
    out.message = decode_status.message();
    return out;
  }
  if (!sink->ok()) {
    const Status& s = sink->status();
    out.message = s.message();
    if (s.code() == StatusCode::kUnavailable) {
      out.answer = ExportAnswer::kUnavailable;
      out.retry_after = std::chrono::seconds(1);
    } else if (s.code() == StatusCode::kResourceExhausted) {
      // The store's disk is full: the sender keeps its data and tries later.
      out.answer = ExportAnswer::kUnavailable;
      out.retry_after = std::chrono::seconds(5);
    } else {
      out.answer = ExportAnswer::kInternal;
    }
    return out;
  }
  const SinkResponse& r = sink->value();
  out.message = r.message;
  if (r.outcome == SinkOutcome::kOverloaded) {
    out.answer = ExportAnswer::kOverloaded;
    out.retry_after = r.retry_after.count() > 0 ? r.retry_after : std::chrono::seconds(1);
    return out;
  }
  out.rejected = r.rejected;
  return out;
}

}  // namespace coral::telemetry

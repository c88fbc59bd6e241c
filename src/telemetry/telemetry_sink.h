// TelemetrySink: where the OTLP receivers hand decoded batches. The agent's
// store implements it (batched appends, sampling); MemorySink implements it
// for tests.
//
// Contract for implementations:
//   - Each call gets one whole, validated request. Append it in one batch.
//   - kAccepted with rejected == 0: everything stored (or deliberately
//     sampled away: sampling is not a rejection).
//   - kAccepted with rejected > 0: the rest stored; `message` says why those
//     rows were refused. Receivers answer OTLP partial success.
//   - kOverloaded: nothing of the batch stored; the client should retry after
//     `retry_after`. Receivers answer HTTP 429 + Retry-After, gRPC
//     RESOURCE_EXHAUSTED + google.rpc.RetryInfo.
//   - An error Status: nothing stored. kUnavailable -> HTTP 503 / gRPC
//     UNAVAILABLE (retryable, after 1 s); kResourceExhausted (the store's
//     disk is full) -> the same, after 5 s; anything else -> HTTP 500 / gRPC
//     INTERNAL.
//   - The batch and the text it points to live only for the call: copy what
//     must outlive it.
//
// Thread-safety: receivers call a sink from many threads at once; sinks must
// be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "base/status.h"
#include "telemetry/model.h"

namespace coral::telemetry {

enum class SinkOutcome { kAccepted, kOverloaded };

struct SinkResponse {
  SinkOutcome outcome = SinkOutcome::kAccepted;
  int64_t rejected = 0;                 // rows of the batch not stored (kAccepted only)
  std::string message;                  // why rows were rejected, or why overloaded
  std::chrono::seconds retry_after{1};  // kOverloaded: when the client may retry

  static SinkResponse Accepted() { return {}; }
  static SinkResponse Partial(int64_t rejected, std::string message) {
    return {SinkOutcome::kAccepted, rejected, std::move(message)};
  }
  static SinkResponse Overloaded(std::chrono::seconds retry_after, std::string message) {
    return {SinkOutcome::kOverloaded, 0, std::move(message), retry_after};
  }
};

class TelemetrySink {
 public:
  virtual ~TelemetrySink() = default;

  virtual Result<SinkResponse> AcceptSpans(const SpanBatch& batch) = 0;
  virtual Result<SinkResponse> AcceptMetrics(const MetricBatch& batch) = 0;
  virtual Result<SinkResponse> AcceptLogs(const LogBatch& batch) = 0;
};

}  // namespace coral::telemetry

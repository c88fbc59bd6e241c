// OTLP/HTTP as a client on the network drives it: the handler behind the
// agent's and the colony's OTLP ports, with its gzip and both decoders
// (protobuf and JSON) feeding a MemorySink.
//
// The first input byte picks the request: bits 0-1 the signal (traces,
// metrics, logs), bit 2 JSON instead of protobuf, bit 3 the body is sent as
// gzip (compressed here, so the decoders see mutated messages behind
// gzip), bit 4 the body is labelled gzip as it stands (so Gunzip sees
// mutated streams). The rest is the body.
//
// Invariants: the answer is one of OTLP's statuses; 200 only when the
// decoded rows reached the sink; no stored time past INT64_MAX (the stores
// take signed microseconds); a body inflating past the limit is 413, never
// inflated in full.
#include <cstdint>
#include <limits>
#include <memory>
#include <set>
#include <string>

#include "base/check.h"
#include "fuzz_target.h"
#include "telemetry/gzip.h"
#include "telemetry/memory_sink.h"
#include "telemetry/otlp_http_handler.h"

namespace {

using namespace coral;

constexpr size_t kMaxRequestBytes = 1 << 20;
constexpr uint64_t kMaxTime = std::numeric_limits<int64_t>::max();

// A sink and its handler; made again now and then, as the sink keeps every
// row and a long run would grow without end.
struct Receiver {
  telemetry::MemorySink sink;
  telemetry::OtlpHttpHandler handler{
      &sink,
      {.max_request_bytes = kMaxRequestBytes,
       .limits = {.max_attributes = 64, .max_value_bytes = 4096, .max_depth = 8}}};
};

template <typename Row>
void CheckTimes(const std::vector<Row>& rows, size_t from, uint64_t Row::*a, uint64_t Row::*b) {
  for (size_t i = from; i < rows.size(); ++i) {
    CORAL_CHECK(rows[i].*a <= kMaxTime && rows[i].*b <= kMaxTime, "a time past INT64_MAX stored");
  }
}

}  // namespace

int CoralFuzzTarget(const uint8_t* data, size_t size) {
  static auto receiver = std::make_unique<Receiver>();
  static int inputs = 0;
  if (++inputs % 4096 == 0) receiver = std::make_unique<Receiver>();
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  static const char* kPaths[] = {"/v1/traces", "/v1/metrics", "/v1/logs", "/v1/traces"};
  net::HttpRequest req;
  req.method = "POST";
  req.path = req.target = kPaths[flags & 3];
  req.headers.push_back(
      {"Content-Type", flags & 4 ? "application/json" : "application/x-protobuf"});
  req.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);
  if (flags & 8) {
    auto zipped = telemetry::Gzip(req.body);
    CORAL_CHECK(zipped.ok(), "gzip");
    req.body = std::move(*zipped);
  }
  if (flags & (8 | 16)) req.headers.push_back({"Content-Encoding", "gzip"});

  telemetry::MemorySink& sink = receiver->sink;
  const size_t spans = sink.spans().size(), points = sink.points().size(),
               logs = sink.logs().size();
  net::HttpResponse r = receiver->handler.Handle(req);
  static const std::set<int> kStatuses = {200, 400, 413};
  CORAL_CHECK(kStatuses.contains(r.status), "status " + std::to_string(r.status));
  const auto now_spans = sink.spans();
  const auto now_points = sink.points();
  const auto now_logs = sink.logs();
  if (r.status != 200) {
    CORAL_CHECK(now_spans.size() == spans && now_points.size() == points && now_logs.size() == logs,
                "a refused request stored rows");
  }
  using telemetry::StoredLog, telemetry::StoredPoint, telemetry::StoredSpan;
  CheckTimes(now_spans, spans, &StoredSpan::start_unix_nano, &StoredSpan::end_unix_nano);
  CheckTimes(now_points, points, &StoredPoint::start_unix_nano, &StoredPoint::time_unix_nano);
  CheckTimes(now_logs, logs, &StoredLog::time_unix_nano, &StoredLog::observed_time_unix_nano);
  return 0;
}

std::vector<std::vector<uint8_t>> CoralFuzzSeeds() { return {}; }

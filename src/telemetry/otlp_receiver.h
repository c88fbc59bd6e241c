// The OTLP receivers together: OTLP/gRPC (default port 4317) and OTLP/HTTP
// (default 4318), bound to loopback unless told otherwise, feeding one
// TelemetrySink. Port 0 lets the kernel pick (tests); grpc_port() and
// http_port() say what was bound.
//
// Thread-safety: Start/Stop/destroy from one thread; requests are served on
// the servers' threads and reach the sink concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "net/grpc_server.h"
#include "net/http_server.h"
#include "telemetry/decode_limits.h"
#include "telemetry/otlp_grpc_service.h"
#include "telemetry/otlp_http_handler.h"
#include "telemetry/telemetry_sink.h"

namespace coral::telemetry {

enum class Transport { kEnabled, kDisabled };

struct OtlpReceiverOptions {
  std::string bind = "127.0.0.1";  // an IPv4 or IPv6 literal
  uint16_t grpc_port = 4317;
  uint16_t http_port = 4318;
  Transport grpc = Transport::kEnabled;
  Transport http = Transport::kEnabled;
  // The largest request after gzip, on both; on the wire, HTTP's body is
  // bounded by this too and gRPC's message by its own 4 MiB receive limit.
  size_t max_request_bytes = 4 << 20;
  int http_threads = 2;
  DecodeLimits limits;
};

class OtlpReceiver {
 public:
  // `sink` is not owned and must outlive the receiver.
  static Result<std::unique_ptr<OtlpReceiver>> Start(const OtlpReceiverOptions& options,
                                                     TelemetrySink* sink);
  ~OtlpReceiver();
  OtlpReceiver(const OtlpReceiver&) = delete;
  OtlpReceiver& operator=(const OtlpReceiver&) = delete;

  uint16_t grpc_port() const { return grpc_port_; }  // 0 when disabled
  uint16_t http_port() const { return http_port_; }  // 0 when disabled
  // Stops both servers, waiting for requests in flight. Idempotent.
  void Stop();

 private:
  OtlpReceiver(TelemetrySink* sink, const OtlpReceiverOptions& options);

  OtlpTraceGrpcService trace_service_;
  OtlpMetricsGrpcService metrics_service_;
  OtlpLogsGrpcService logs_service_;
  OtlpHttpHandler http_handler_;
  std::unique_ptr<net::GrpcServer> grpc_;
  std::unique_ptr<net::HttpServer> http_;
  uint16_t grpc_port_ = 0;
  uint16_t http_port_ = 0;
};

}  // namespace coral::telemetry

#include "telemetry/otlp_receiver.h"

namespace coral::telemetry {

namespace {
// "[::1]:4317" for IPv6 literals, "127.0.0.1:4317" otherwise.
std::string HostPort(const std::string& host, uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}
}  // namespace

OtlpReceiver::OtlpReceiver(TelemetrySink* sink, const OtlpReceiverOptions& options)
    : trace_service_(sink, options.limits, options.max_request_bytes),
      metrics_service_(sink, options.limits, options.max_request_bytes),
      logs_service_(sink, options.limits, options.max_request_bytes),
      http_handler_(sink, OtlpHttpOptions{.max_request_bytes = options.max_request_bytes,
                                          .limits = options.limits}) {}

Result<std::unique_ptr<OtlpReceiver>> OtlpReceiver::Start(const OtlpReceiverOptions& options,
                                                          TelemetrySink* sink) {
  std::unique_ptr<OtlpReceiver> r(new OtlpReceiver(sink, options));
  if (options.grpc == Transport::kEnabled) {
    net::GrpcServerOptions grpc_options;
    grpc_options.addresses = {HostPort(options.bind, options.grpc_port)};
    grpc_options.services = {&r->trace_service_, &r->metrics_service_, &r->logs_service_};
    grpc_options.compression = net::GrpcCompression::kRaw;
    auto server = net::GrpcServer::Start(grpc_options);
    if (!server.ok()) return server.status().WithContext("OTLP/gRPC receiver");
    r->grpc_ = std::move(*server);
    r->grpc_port_ = static_cast<uint16_t>(r->grpc_->ports()[0]);
  }
  if (options.http == Transport::kEnabled) {
    net::HttpServerOptions http_options;
    http_options.bind = options.bind;
    http_options.port = options.http_port;
    http_options.threads = options.http_threads;
    http_options.max_body_bytes = options.max_request_bytes;
    OtlpReceiver* self = r.get();
    auto server = net::HttpServer::Start(http_options, [self](const net::HttpRequest& req) {
      return self->http_handler_.Handle(req);
    });
    if (!server.ok()) return server.status().WithContext("OTLP/HTTP receiver");
    r->http_ = std::move(*server);
    r->http_port_ = r->http_->port();
  }
  return r;
}

OtlpReceiver::~OtlpReceiver() { Stop(); }

void OtlpReceiver::Stop() {
  if (http_) http_->Stop();
  if (grpc_) grpc_->Stop();
}

}  // namespace coral::telemetry

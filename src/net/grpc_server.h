// Starting gRPC servers the same way everywhere: bind, learn the real port
// (for port 0), TLS or mTLS credentials from PEM, clear errors.
//
// Thread-safety: GrpcServer is owned by one thread; gRPC runs the services on
// its own threads, so services must be thread-safe. A watch thread probes the
// listeners (see GrpcServerOptions::probe_interval).
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"

namespace coral::net {

struct GrpcTls {
  std::string cert_pem;
  std::string key_pem;
  std::string client_ca_pem;  // when set, clients must present a certificate from it
};

// What a server does with compressed requests. gRPC 1.51 inflates a
// compressed message whole before its size limit applies (a 1 MB request can
// take gigabytes), so gRPC never inflates anything here:
//   kRefuse  gzip and deflate are not accepted: such a call ends UNIMPLEMENTED
//            when its headers arrive, before its message is read
//   kRaw     gzip is accepted, but the message reaches the handler as gRPC
//            received it; the handler inflates it with a bound
//            (RawMessage below). For OTLP, whose exporters send gzip.
enum class GrpcCompression { kRefuse, kRaw };

struct GrpcServerOptions {
  std::vector<std::string> addresses;  // "127.0.0.1:9000", "[::1]:0", "100.97.0.1:9000"
  std::optional<GrpcTls> tls;
  std::vector<grpc::Service*> services;  // not owned; must outlive the server
  GrpcCompression compression = GrpcCompression::kRefuse;
  // The listeners are watched: every probe_interval each address gets a new
  // connection (with probe_credentials: for a TLS server, a certificate it
  // accepts; an insecure server needs none), and after three failures in a
  // row the server is built again on the same ports. gRPC 1.51 stops
  // accepting for good once accept4 fails with EMFILE; this brings it back
  // when descriptors are free again. A TLS server without probe credentials
  // is not watched; a zero interval watches nothing.
  std::shared_ptr<grpc::ChannelCredentials> probe_credentials;
  std::chrono::milliseconds probe_interval{10'000};
};

class GrpcServer {
 public:
  static Result<std::unique_ptr<GrpcServer>> Start(const GrpcServerOptions& options);
  ~GrpcServer();

  // The bound port of each address, in order.
  const std::vector<int>& ports() const { return ports_; }
  // How many times the watch built the server again.
  int restarts() const { return restarts_.load(); }
  void Stop();

 private:
  Status Build();  // builds server_ on options_.addresses, learning ports_
  bool Probe(const std::string& address);
  void WatchMain();

  GrpcServerOptions options_;
  std::vector<int> ports_;
  std::atomic<int> restarts_{0};
  std::mutex mu_;  // guards server_, stopping_
  std::unique_ptr<grpc::Server> server_;
  bool stopping_ = false;
  std::condition_variable stop_cv_;
  std::thread watch_;
};

// Client channel credentials: TLS trusting ca_pem (plus mTLS when a client
// cert is given), or insecure when ca_pem is empty (loopback only).
std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(const std::string& ca_pem,
                                                             const std::string& cert_pem = "",
                                                             const std::string& key_pem = "");

// A Status from a gRPC status, keeping the meaning of the code, and back.
Status FromGrpc(const grpc::Status& status, std::string_view what);
grpc::Status ToGrpc(const Status& status);

// A request message as it came off the wire, for kRaw servers: its bytes
// (the slices copied once) and whether they are gzip, without gRPC inflating
// them (grpc::ByteBuffer's readers would, whole).
struct RawMessage {
  std::string bytes;
  bool gzip = false;
};
RawMessage ReadRawMessage(const grpc::ByteBuffer& message);

// The PEM certificate the client presented over mTLS, or "".
std::string PeerCertificatePem(const grpc::ServerContext& ctx);

}  // namespace coral::net

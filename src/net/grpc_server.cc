#include "net/grpc_server.h"

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <cstring>

#include "base/ids.h"
#include "base/log.h"

namespace coral::net {

Result<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerOptions& options) {
  if (options.addresses.empty()) return InvalidArgument("grpc: no listen address");
  auto server = std::make_unique<GrpcServer>();
  server->options_ = options;
  if (!server->options_.tls && !server->options_.probe_credentials) {
    server->options_.probe_credentials = grpc::InsecureChannelCredentials();
  }
  CORAL_TRY(server->Build());
  // Later builds use the ports the kernel picked for any port 0.
  for (size_t i = 0; i < server->ports_.size(); ++i) {
    std::string& a = server->options_.addresses[i];
    a = a.substr(0, a.rfind(':') + 1) + std::to_string(server->ports_[i]);
  }
  if (server->options_.probe_interval.count() > 0 && server->options_.probe_credentials) {
    server->watch_ = std::thread([s = server.get()] { s->WatchMain(); });
  }
  return server;
}

Status GrpcServer::Build() {
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (options_.tls) {
    grpc::SslServerCredentialsOptions ssl(
        options_.tls->client_ca_pem.empty()
            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = options_.tls->client_ca_pem;
    ssl.pem_key_cert_pairs.push_back({options_.tls->key_pem, options_.tls->cert_pem});
    creds = grpc::SslServerCredentials(ssl);
  } else {
    creds = grpc::InsecureServerCredentials();
  }
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default: a second server on the same port would
  // then silently share its traffic. A busy port must be an error instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Connections that hold a descriptor and do nothing are shed: those that
  // never finish the handshake (TLS and the HTTP/2 preface) after 10 s, those
  // with no call for 5 minutes. gRPC 1.51 has no cap on connections; with
  // the descriptor limit raised at start and silent ones shed, running a
  // server out takes a flood, and the watch brings the listener back after.
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 5 * 60'000);
  // Nothing is inflated by gRPC (see GrpcCompression).
  builder.AddChannelArgument(GRPC_ARG_ENABLE_PER_MESSAGE_DECOMPRESSION, 0);
  builder.SetCompressionAlgorithmSupportStatus(GRPC_COMPRESS_DEFLATE, false);
  builder.SetCompressionAlgorithmSupportStatus(GRPC_COMPRESS_GZIP,
                                               options_.compression == GrpcCompression::kRaw);
  std::vector<int> ports(options_.addresses.size(), 0);
  for (size_t i = 0; i < options_.addresses.size(); ++i) {
    builder.AddListeningPort(options_.addresses[i], creds, &ports[i]);
  }
  for (grpc::Service* s : options_.services) builder.RegisterService(s);
  std::unique_ptr<grpc::Server> built = builder.BuildAndStart();
  if (!built) {
    std::string list;
    for (const auto& a : options_.addresses) list += (list.empty() ? "" : ", ") + a;
    return Unavailable("grpc: cannot listen on " + list +
                       " (address in use, or not an address of this host)");
  }
  for (size_t i = 0; i < options_.addresses.size(); ++i) {
    if (ports[i] == 0) {
      built->Shutdown();
      built->Wait();
      return Unavailable("grpc: cannot listen on " + options_.addresses[i]);
    }
  }
  std::lock_guard lock(mu_);
  server_ = std::move(built);
  ports_ = std::move(ports);
  return Status::Ok();
}

bool GrpcServer::Probe(const std::string& address) {
  // A channel of its own (a unique argument keeps gRPC from reusing a
  // connection), so the probe proves the listener accepts now.
  grpc::ChannelArguments args;
  args.SetString("coral.probe.id", RandomHex(8));
  auto channel = grpc::CreateCustomChannel(address, options_.probe_credentials, args);
  return channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

void GrpcServer::WatchMain() {
  std::vector<int> failures(options_.addresses.size(), 0);
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (stop_cv_.wait_for(lock, options_.probe_interval, [this] { return stopping_; })) return;
    }
    bool rebuild = false;
    for (size_t i = 0; i < options_.addresses.size(); ++i) {
      failures[i] = Probe(options_.addresses[i]) ? 0 : failures[i] + 1;
      rebuild |= failures[i] >= 3;
    }
    if (!rebuild) continue;
    CORAL_LOG_WARN("grpc: {} stopped answering (descriptors were short?); building it again",
                   options_.addresses.front());
    std::unique_ptr<grpc::Server> old;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      old = std::move(server_);
    }
    if (old) {
      old->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
      old->Wait();
      old.reset();
    }
    if (Status s = Build(); !s.ok()) {
      CORAL_LOG_ERROR("grpc: building the server again failed: {}; trying again", s.message());
      continue;  // server_ is null until a build works
    }
    ++restarts_;
    std::fill(failures.begin(), failures.end(), 0);
    CORAL_LOG_INFO("grpc: {} answering again", options_.addresses.front());
  }
}

GrpcServer::~GrpcServer() { Stop(); }

void GrpcServer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (watch_.joinable()) watch_.join();
  std::unique_ptr<grpc::Server> server;
  {
    std::lock_guard lock(mu_);
    server = std::move(server_);
  }
  if (server) {
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server->Wait();
  }
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(const std::string& ca_pem,
                                                             const std::string& cert_pem,
                                                             const std::string& key_pem) {
  if (ca_pem.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ca_pem;
  ssl.pem_cert_chain = cert_pem;
  ssl.pem_private_key = key_pem;
  return grpc::SslCredentials(ssl);
}

Status FromGrpc(const grpc::Status& status, std::string_view what) {
  if (status.ok()) return Status::Ok();
  std::string message = std::string(what) + ": " + status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      return InvalidArgument(message);
    case grpc::StatusCode::NOT_FOUND:
      return NotFound(message);
    case grpc::StatusCode::ALREADY_EXISTS:
      return AlreadyExists(message);
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return PermissionDenied(message);
    case grpc::StatusCode::FAILED_PRECONDITION:
      return FailedPrecondition(message);
    case grpc::StatusCode::UNAVAILABLE:
      return Unavailable(message);
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return DeadlineExceeded(message);
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return ResourceExhausted(message);
    case grpc::StatusCode::UNIMPLEMENTED:
      return Unimplemented(message);
    default:
      return Internal(message);
  }
}

grpc::Status ToGrpc(const Status& s) {
  if (s.ok()) return grpc::Status::OK;
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case StatusCode::kNotFound:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    case StatusCode::kAlreadyExists:
      code = grpc::StatusCode::ALREADY_EXISTS;
      break;
    case StatusCode::kPermissionDenied:
      code = grpc::StatusCode::PERMISSION_DENIED;
      break;
    case StatusCode::kFailedPrecondition:
      code = grpc::StatusCode::FAILED_PRECONDITION;
      break;
    case StatusCode::kUnavailable:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case StatusCode::kDeadlineExceeded:
      code = grpc::StatusCode::DEADLINE_EXCEEDED;
      break;
    case StatusCode::kResourceExhausted:
      code = grpc::StatusCode::RESOURCE_EXHAUSTED;
      break;
    case StatusCode::kUnimplemented:
      code = grpc::StatusCode::UNIMPLEMENTED;
      break;
    case StatusCode::kUnauthenticated:
      code = grpc::StatusCode::UNAUTHENTICATED;
      break;
    default:
      break;
  }
  return grpc::Status(code, s.message());
}

RawMessage ReadRawMessage(const grpc::ByteBuffer& message) {
  // grpc::ByteBuffer keeps its grpc_byte_buffer private and every reader it
  // offers inflates a compressed one whole, which is the bomb to avoid. The
  // class holds that one pointer and nothing else (checked here), so it is
  // read from the object; the C struct is gRPC's public C API.
  static_assert(sizeof(grpc::ByteBuffer) == sizeof(grpc_byte_buffer*));
  grpc_byte_buffer* raw = nullptr;
  std::memcpy(&raw, &message, sizeof(raw));
  RawMessage out;
  if (raw == nullptr || raw->type != GRPC_BB_RAW) return out;
  const grpc_slice_buffer& slices = raw->data.raw.slice_buffer;
  out.bytes.reserve(slices.length);
  for (size_t i = 0; i < slices.count; ++i) {
    out.bytes.append(reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(slices.slices[i])),
                     GRPC_SLICE_LENGTH(slices.slices[i]));
  }
  out.gzip = raw->data.raw.compression == GRPC_COMPRESS_GZIP;
  return out;
}

std::string PeerCertificatePem(const grpc::ServerContext& ctx) {
  auto auth = ctx.auth_context();
  if (!auth) return "";
  auto values = auth->FindPropertyValues("x509_pem_cert");
  if (values.empty()) return "";
  return std::string(values.front().data(), values.front().size());
}

}  // namespace coral::net

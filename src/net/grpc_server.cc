#include "net/grpc_server.h"

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <cstring>

namespace coral::net {

Result<std::unique_ptr<GrpcServer>> GrpcServer::Start(const GrpcServerOptions& options) {
  if (options.addresses.empty()) return InvalidArgument("grpc: no listen address");
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (options.tls) {
    grpc::SslServerCredentialsOptions ssl(
        options.tls->client_ca_pem.empty()
            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = options.tls->client_ca_pem;
    ssl.pem_key_cert_pairs.push_back({options.tls->key_pem, options.tls->cert_pem});
    creds = grpc::SslServerCredentials(ssl);
  } else {
    creds = grpc::InsecureServerCredentials();
  }
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default: a second server on the same port would
  // then silently share its traffic. A busy port must be an error instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Nothing is inflated by gRPC (see GrpcCompression).
  builder.AddChannelArgument(GRPC_ARG_ENABLE_PER_MESSAGE_DECOMPRESSION, 0);
  builder.SetCompressionAlgorithmSupportStatus(GRPC_COMPRESS_DEFLATE, false);
  builder.SetCompressionAlgorithmSupportStatus(GRPC_COMPRESS_GZIP,
                                               options.compression == GrpcCompression::kRaw);
  auto server = std::make_unique<GrpcServer>();
  server->ports_.assign(options.addresses.size(), 0);
  for (size_t i = 0; i < options.addresses.size(); ++i) {
    builder.AddListeningPort(options.addresses[i], creds, &server->ports_[i]);
  }
  for (grpc::Service* s : options.services) builder.RegisterService(s);
  server->server_ = builder.BuildAndStart();
  if (!server->server_) {
    std::string list;
    for (const auto& a : options.addresses) list += (list.empty() ? "" : ", ") + a;
    return Unavailable("grpc: cannot listen on " + list +
                       " (address in use, or not an address of this host)");
  }
  for (size_t i = 0; i < options.addresses.size(); ++i) {
    if (server->ports_[i] == 0) {
      server->Stop();
      return Unavailable("grpc: cannot listen on " + options.addresses[i]);
    }
  }
  return server;
}

GrpcServer::~GrpcServer() { Stop(); }

void GrpcServer::Stop() {
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_->Wait();
    server_.reset();
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

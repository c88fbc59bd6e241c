#include "auth/credentials.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cctype>

#include "net/grpc_server.h"
#include "net/http.h"

namespace coral::auth {

std::string BearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer";
  if (authorization.size() <= kScheme.size() || authorization[kScheme.size()] != ' ') return "";
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) return "";
  }
  std::string_view token = authorization.substr(kScheme.size() + 1);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return std::string(token);
}

Credentials FromHttp(const net::HttpRequest& request) {
  return {.bearer = BearerToken(request.header("Authorization")),
          .client_cert_pem = request.peer_cert_pem,
          .remote = request.remote};
}

Credentials FromGrpc(const grpc::ServerContext& context) {
  Credentials out;
  auto it = context.client_metadata().find("authorization");
  if (it != context.client_metadata().end()) {
    out.bearer = BearerToken(std::string_view(it->second.data(), it->second.size()));
  }
  out.client_cert_pem = net::PeerCertificatePem(context);
  out.remote = context.peer();
  return out;
}

}  // namespace coral::auth

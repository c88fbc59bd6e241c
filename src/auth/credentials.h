// What a caller presents, gathered the same way from every door: an HTTP
// request (REST, MCP, enrollment) or a gRPC call. The one place a bearer
// header is parsed.
#pragma once

#include <string>
#include <string_view>

namespace grpc {
class ServerContext;
}

namespace coral::net {
struct HttpRequest;
}

namespace coral::auth {

struct Credentials {
  std::string bearer;           // from "Authorization: Bearer <token>"
  std::string client_cert_pem;  // the TLS client certificate, verified by the server's CA
  std::string join_secret;      // a join token's secret, sent to enroll
  std::string remote;           // the peer's address, for the audit log
};

// The token of an "Authorization: Bearer <token>" value (the scheme in any
// case, RFC 7235), or "" when the value is not a bearer credential.
std::string BearerToken(std::string_view authorization);

Credentials FromHttp(const net::HttpRequest& request);
Credentials FromGrpc(const grpc::ServerContext& context);

}  // namespace coral::auth

// HTTP requests and responses as plain values, shared by the server
// (http_server.h, Boost.Beast) and the client (http_client.h, libcurl), so no
// caller ever includes Beast or curl.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coral::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive header lookup; "" when absent.
std::string_view FindHeader(const Headers& headers, std::string_view name);

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/v1/traces?x=1"
  std::string path;    // "/v1/traces"
  std::string query;   // "x=1"
  Headers headers;
  std::string body;
  std::string remote;  // "127.0.0.1:51234"
  // The client's certificate (PEM), verified against the server's client CA;
  // empty without TLS client authentication.
  std::string peer_cert_pem;

  std::string_view header(std::string_view name) const { return FindHeader(headers, name); }
};

struct HttpResponse {
  int status = 200;
  Headers headers;
  std::string body;

  static HttpResponse Text(int status, std::string body);
  static HttpResponse Json(int status, std::string body);
};

}  // namespace coral::net

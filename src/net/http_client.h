// A blocking HTTP client on libcurl, for enrollment, ClickHouse, LLM providers
// and tests. TLS can trust one given CA (pinning a colony's CA) instead of the
// system store.
//
// Thread-safety: HttpFetch may be called from many threads at once; each call
// uses its own curl handle.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "base/status.h"
#include "net/http.h"

namespace coral::net {

struct HttpClientRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  std::chrono::milliseconds timeout{30'000};
  std::chrono::milliseconds connect_timeout{10'000};
  std::string ca_pem;           // when set, trust only this CA
  // No certificate checks at all. Only for fetching a certificate that the
  // caller then checks against a fingerprint it already trusts (enrollment
  // fetches the colony CA this way and pins it); never for anything else.
  bool unverified_for_pinning = false;
  std::string client_cert_pem;  // mTLS: our certificate and key
  std::string client_key_pem;
  // Called with each piece of the body as it arrives (for streaming APIs);
  // the response body then stays empty. Return false to stop the transfer.
  std::function<bool(std::string_view)> on_body;
  // With on_body: called once with the status and headers just before the
  // first piece of body (not at all for an empty body), so a streaming caller
  // can tell an event stream from an error document. Return false to stop.
  std::function<bool(int status, const Headers& headers)> on_headers;
};

struct HttpClientResponse {
  int status = 0;
  Headers headers;
  std::string body;

  std::string_view header(std::string_view name) const { return FindHeader(headers, name); }
};

// Performs the request. HTTP error statuses (4xx, 5xx) are responses, not
// errors; connection failures, timeouts and TLS failures are errors that say
// what failed and where.
Result<HttpClientResponse> HttpFetch(const HttpClientRequest& request);

}  // namespace coral::net

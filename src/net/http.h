// HTTP requests and responses as plain values, shared by the server
// (http_server.h, Boost.Beast) and the client (http_client.h, libcurl), so no
// caller ever includes Beast or curl.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace coral::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive header lookup; "" when absent.
std::string_view FindHeader(const Headers& headers, std::string_view name);

// The HTTP status that says what a failed Status means: 400 bad input, 401
// no valid credentials, 403 not allowed, 404, 409 already exists, 503 busy
// or unavailable, 504 deadline, else 500.
int HttpStatusOf(const Status& status);

// The pairs of a URL query string ("a=1&b=x%20y"), percent-decoded, '+' read
// as a space, in order; a key without '=' has an empty value. InvalidArgument
// for a bad escape or a decoded NUL.
Result<std::vector<std::pair<std::string, std::string>>> ParseQueryString(std::string_view query);

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

// A response body written over time, for server-sent events. A handler
// returns its response at once with `stream` set; the server sends the
// headers, then each piece written, as it is written (chunked encoding), until
// the writer closes the stream or the client goes away.
//
// Thread-safety: Write and Close may be called from any thread, while the
// server drains the stream on its own.
class ResponseStream {
 public:
  // Queues a piece to send. False once the stream is closed, by Close or by
  // the client leaving: the writer should stop.
  bool Write(std::string data);
  // No more pieces: the server sends what is queued, then ends the body.
  void Close();
  bool closed() const;

  // For the server. `wake` is called (from the writer's thread) whenever
  // something new can be taken; it must not block nor call back into this
  // stream.
  void Attach(std::function<void()> wake);
  // Moves everything queued into *out; true when the writer has closed and
  // nothing more will come.
  bool Take(std::string* out);
  // The client went away or the server stopped: later writes fail, and once
  // this returns `wake` is neither running nor called again.
  void Abandon();

 private:
  void Wake();

  mutable std::mutex mu_;  // guards pending_, closed_by_writer_, abandoned_
  std::string pending_;
  bool closed_by_writer_ = false;
  bool abandoned_ = false;
  std::mutex wake_mu_;  // guards wake_; held while it runs
  std::function<void()> wake_;
};

struct HttpResponse {
  int status = 200;
  Headers headers;
  std::string body;
  // When set, the body comes from here instead of `body`.
  std::shared_ptr<ResponseStream> stream;

  static HttpResponse Text(int status, std::string body);
  static HttpResponse Json(int status, std::string body);
};

}  // namespace coral::net

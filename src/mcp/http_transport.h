// MCP's Streamable HTTP transport, on net::HttpServer: one endpoint (default
// /mcp) that serves both eras of the protocol (server.h), chosen per request by
// the MCP-Protocol-Version header: a handshake version, or none with a body
// that carries no _meta protocolVersion, is the handshake era; a stateless
// version (2026-07-28) is the stateless era; any other version gets 400 with
// an UnsupportedProtocolVersionError (-32022) listing the versions served.
//
// Handshake era (2025-11-25, 2025-06-18, 2025-03-26): each POST carries one
// JSON-RPC message; notifications and responses get 202 Accepted. The server
// issues an Mcp-Session-Id with the initialize result and requires it
// afterwards (400 when missing, 404 when unknown or ended); DELETE ends a
// session.
//
// How a POSTed request is answered: with plain JSON when its handler finishes
// without sending anything first, or when the client does not accept
// text/event-stream. As soon as a handler sends something of its own (a
// progress or log notification, a sampling or elicitation request to the
// client), the answer becomes an SSE stream carrying those messages and then
// the response. Every stream opens with a priming event (an id, empty data,
// a retry time); every event has an id "STREAM-SEQ", and a session keeps its
// recent events, so a client whose stream broke (or that the server closed
// for polling, SEP-1699) reconnects with GET and Last-Event-ID and gets what
// it missed, then the rest of that stream. A GET without Last-Event-ID opens
// the session's general stream, for what the server sends outside any request
// (resource updates). Every sse_keepalive, each open stream gets an SSE
// comment (": keepalive"), so proxies and clients do not take an idle stream
// for a dead one, and a client that left is noticed at the next write;
// comments are not events and are never replayed.
//
// Stateless era (2026-07-28): no session is needed, issued or kept, so any
// transport over the same tools answers any request (servers behind a plain
// load balancer share McpServerOptions::request_state_key). Every POST
// carries one request with its _meta; the routing headers must agree with
// the body, or the answer is 400 with HeaderMismatch (-32020): Mcp-Method
// (the method), MCP-Protocol-Version (_meta's protocolVersion), Mcp-Name
// (params.name of tools/call and prompts/get, params.uri of resources/read)
// and, for tools/call, Mcp-Param-NAME for each argument whose inputSchema
// property has "x-mcp-header": "NAME". Header values are trimmed, and one
// written =?base64?...?= is decoded (invalid base64 is a mismatch). Answers
// are JSON, or an SSE stream once the handler sends something (no ids, no
// priming event, no replay: 2026-07-28 has no resumption); errors in JSON get
// 404 for method-not-found and 400 for invalid params and the -32020..-32022
// errors. subscriptions/listen is always a stream, open until the client
// leaves (noticed at a keepalive) or the transport ends. GET and DELETE with
// a stateless version get 405. Notifications get 202 and are dropped: there is
// no session they could act on.
//
// Guards the spec asks for: Host and Origin validation against DNS rebinding
// (a Host not listed, or a present Origin that is neither loopback nor
// listed, gets 403), a message size limit (413), 406 for a client whose
// Accept header rules out JSON, and for a GET that does not accept
// text/event-stream.
//
// Thread-safety: Handle is called from the HTTP server's worker threads at
// once. Requests answered by a stream run on a thread of their own, so a long
// tool call does not hold an HTTP worker; the destructor ends them (their
// client requests and listen streams fail) and waits for them.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "mcp/server.h"
#include "net/http.h"

namespace coral::mcp {

struct HttpTransportOptions {
  std::string path = "/mcp";
  // Host header names (no port; any case) this endpoint answers to; others get
  // 403. The loopback default stops DNS rebinding against a local server even
  // from clients that send no Origin. A colony serving other names lists
  // them; empty accepts any Host (only behind TLS and authentication).
  std::vector<std::string> allowed_hosts = {"localhost", "127.0.0.1", "[::1]"};
  // Browser origins allowed besides loopback ones, exactly as browsers send
  // them: "https://console.example.com:8443".
  std::vector<std::string> allowed_origins;
  // http(s)://localhost, 127.0.0.1 and [::1] on any port.
  bool allow_loopback_origins = true;
  size_t max_message_bytes = 1u << 20;
  size_t max_sessions = 1024;  // initialize beyond this gets 503
  // Requests answered on a thread of their own at once; beyond this they are
  // answered in plain JSON on the HTTP worker.
  size_t max_streaming_requests = 64;
  // Events a session keeps per stream, for clients that reconnect.
  size_t max_replay_events = 256;
  // The reconnection delay each stream's priming event asks for.
  std::chrono::milliseconds sse_retry{1000};
  // How often open streams get a keepalive comment; zero: never.
  std::chrono::milliseconds sse_keepalive{15'000};
  // A session unused this long is ended when a new one is made, so clients
  // that vanish without DELETE do not fill the table.
  std::chrono::seconds session_idle_timeout{30 * 60};
  const Clock* clock = nullptr;  // SystemClock when null
};

// Told when a POSTed request has its answer (nothing when the client
// cancelled it), however the answer travels: for audit logs. Called on the
// thread that produced the answer.
using AnswerObserver = std::function<void(const std::optional<Message>& answer)>;

class McpHttpTransport {
 public:
  McpHttpTransport(McpServer& server, HttpTransportOptions options);
  ~McpHttpTransport();
  McpHttpTransport(const McpHttpTransport&) = delete;
  McpHttpTransport& operator=(const McpHttpTransport&) = delete;

  // The net::HttpHandler: serve it with
  //   HttpServer::Start(opts, [&](const HttpRequest& r) { return transport.Handle(r); })
  net::HttpResponse Handle(const net::HttpRequest& request, AnswerObserver on_answer = nullptr);

  size_t session_count() const;

  struct SessionState;   // a session and its event streams (http_transport.cc)
  struct StatelessCall;  // a stateless request running on its own thread

 private:
  net::HttpResponse Post(const net::HttpRequest& request, AnswerObserver on_answer);
  net::HttpResponse PostStateless(const net::HttpRequest& request, const Message& message,
                                  AnswerObserver on_answer);
  net::HttpResponse Get(const net::HttpRequest& request);
  net::HttpResponse Delete(const net::HttpRequest& request);
  // Runs a request on a thread of its own; answers in JSON or as a stream.
  net::HttpResponse Exchange(std::shared_ptr<SessionState> state, Message message,
                             AnswerObserver on_answer);
  net::HttpResponse ExchangeStateless(Request request, AnswerObserver on_answer);
  // The 400 HeaderMismatch answer when the routing headers disagree with the
  // body of a stateless request; nothing when they agree.
  std::optional<net::HttpResponse> CheckRoutingHeaders(const net::HttpRequest& http,
                                                       const Request& request) const;
  // Takes a slot for a request thread; false when all are busy.
  bool ReserveWorker();
  bool HostAllowed(std::string_view host) const;
  bool OriginAllowed(std::string_view origin) const;
  // The session with this id, marked as used now; null when unknown.
  std::shared_ptr<SessionState> FindSession(std::string_view id);
  void EndIdleSessionsLocked(MonoTime now);
  // Sends the keepalive comments every options_.sse_keepalive until stopping_.
  void KeepAliveMain();

  struct Entry {
    std::shared_ptr<SessionState> state;
    MonoTime last_used;
  };

  McpServer& server_;
  const HttpTransportOptions options_;
  const Clock& clock_;

  mutable std::mutex mu_;  // guards sessions_, stateless_calls_ and workers_
  std::map<std::string, Entry, std::less<>> sessions_;
  // Stateless requests running on their own threads, for keepalives and
  // shutdown.
  std::set<std::shared_ptr<StatelessCall>> stateless_calls_;
  size_t workers_ = 0;  // request threads running
  std::condition_variable workers_done_;
  bool stopping_ = false;  // guarded by mu_
  std::condition_variable stop_;
  std::thread keepalive_;
};

}  // namespace coral::mcp

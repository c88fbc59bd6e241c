#include "mcp/http_transport.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <thread>

#include "base/ids.h"
#include "base/log.h"

namespace coral::mcp {
namespace {

constexpr char kSessionHeader[] = "Mcp-Session-Id";
constexpr char kVersionHeader[] = "MCP-Protocol-Version";
constexpr char kMethodHeader[] = "Mcp-Method";
constexpr char kNameHeader[] = "Mcp-Name";
constexpr char kParamHeaderPrefix[] = "Mcp-Param-";

// An HTTP error with a JSON-RPC error body (id null), which the spec allows
// and which clients can show.
net::HttpResponse HttpError(int status, std::string message,
                            int code = error_code::kInvalidRequest) {
  return net::HttpResponse::Json(
      status, Serialize(Message(MakeError(std::nullopt, code, std::move(message)))) + "\n");
}

// Without the optional whitespace around a field value (RFC 9110 section 5.5).
std::string_view Trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// Standard base64 with its padding, nothing lenient: header values must
// decode exactly, or they are not the value the body has.
std::optional<std::string> DecodeBase64Strict(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
    ++padding;
  }
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    char c = text[i];
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

// A routing header's value: literal, or decoded from =?base64?...?= (how
// clients send values that are not plain printable ASCII). Nothing when the
// base64 is invalid.
std::optional<std::string> HeaderValue(std::string_view raw) {
  constexpr std::string_view kOpen = "=?base64?", kClose = "?=";
  if (raw.size() >= kOpen.size() + kClose.size() && raw.starts_with(kOpen) &&
      raw.ends_with(kClose)) {
    return DecodeBase64Strict(raw.substr(kOpen.size(), raw.size() - kOpen.size() - kClose.size()));
  }
  return std::string(raw);
}

// Whether an Mcp-Param header's value is the argument's value, as clients
// write them: strings as they are, booleans as true/false, numbers compared
// as numbers.
bool ParamMatches(const Json& value, const std::string& header) {
  if (value.is_string()) return value.get_ref<const std::string&>() == header;
  if (value.is_boolean()) return header == (value.get<bool>() ? "true" : "false");
  if (value.is_number()) {
    char* end = nullptr;
    double parsed = std::strtod(header.c_str(), &end);
    if (header.empty() || end != header.c_str() + header.size()) return false;
    if (value.is_number_float()) return std::fabs(parsed - value.get<double>()) <= 1e-9;
    return parsed == static_cast<double>(value.get<int64_t>());
  }
  return header == Serialize(value);
}

// The HTTP status of a stateless answer in JSON: what 2026-07-28 names for
// unknown methods and rejected requests, 200 for the rest.
int StatelessStatus(const Message& answer) {
  const auto* error = std::get_if<ErrorResponse>(&answer);
  if (error == nullptr) return 200;
  switch (error->error.code) {
    case error_code::kMethodNotFound:
      return 404;
    case error_code::kInvalidRequest:
    case error_code::kInvalidParams:
    case error_code::kHeaderMismatch:
    case error_code::kMissingClientCapability:
    case error_code::kUnsupportedProtocolVersion:
      return 400;
    default:
      return 200;
  }
}

net::HttpResponse JsonMessage(const Message& m) {
  return net::HttpResponse::Json(200, Serialize(m) + "\n");
}

net::HttpResponse Accepted() { return {.status = 202}; }

bool IsLoopbackOrigin(std::string_view origin) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (!origin.starts_with(scheme)) continue;
    std::string_view host = origin.substr(scheme.size());
    for (std::string_view loopback : {"localhost", "127.0.0.1", "[::1]"}) {
      if (host.starts_with(loopback)) {
        std::string_view rest = host.substr(loopback.size());
        if (rest.empty()) return true;
        if (rest[0] != ':' || rest.size() == 1) return false;
        return std::all_of(rest.begin() + 1, rest.end(),
                           [](char c) { return c >= '0' && c <= '9'; });
      }
    }
  }
  return false;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool ContentTypeIsJson(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return Lower(media) == "application/json";
}

// Clients list application/json and text/event-stream; any Accept that lets
// JSON through will do, since every answer can be JSON.
bool AcceptsJson(std::string_view accept) {
  std::string a = Lower(accept);
  return a.find("application/json") != std::string::npos ||
         a.find("application/*") != std::string::npos || a.find("*/*") != std::string::npos;
}

bool AcceptsEventStream(std::string_view accept) {
  std::string a = Lower(accept);
  return a.find("text/event-stream") != std::string::npos ||
         a.find("text/*") != std::string::npos || a.find("*/*") != std::string::npos;
}

net::HttpResponse EventStreamResponse(std::shared_ptr<net::ResponseStream> stream) {
  return {.status = 200,
          .headers = {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}},
          .stream = std::move(stream)};
}

// "STREAM-SEQ", as event ids are written; nothing when malformed.
std::optional<std::pair<uint64_t, uint64_t>> ParseEventId(std::string_view id) {
  size_t dash = id.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == id.size() || id.size() > 41) {
    return std::nullopt;
  }
  auto number = [](std::string_view digits) -> std::optional<uint64_t> {
    uint64_t v = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v;
  };
  auto stream = number(id.substr(0, dash));
  auto seq = number(id.substr(dash + 1));
  if (!stream || !seq) return std::nullopt;
  return std::make_pair(*stream, *seq);
}

// One SSE stream of a session: its recent events, kept for replay, and the
// connection writing it now, if any.
struct EventStream {
  uint64_t id = 0;
  uint64_t next_seq = 1;
  std::deque<std::pair<uint64_t, std::string>> events;  // seq, the event's text
  std::shared_ptr<net::ResponseStream> live;
  bool done = false;  // its request is answered: nothing more will come
};

}  // namespace

// A session with its streams. The McpSession's own sink (messages outside any
// request) writes to the general stream, the one a plain GET opens.
struct McpHttpTransport::SessionState {
  explicit SessionState(size_t max_events, std::chrono::milliseconds retry)
      : max_events(max_events), retry(retry) {}

  const size_t max_events;
  const std::chrono::milliseconds retry;
  std::shared_ptr<McpSession> session;  // set once, right after construction

  std::mutex mu;  // guards everything below
  std::map<uint64_t, std::shared_ptr<EventStream>> streams;
  uint64_t next_stream = 1;
  std::shared_ptr<EventStream> general;

  // A new stream with a connection that starts with the priming event.
  std::shared_ptr<EventStream> OpenStreamLocked() {
    auto stream = std::make_shared<EventStream>();
    stream->id = next_stream++;
    stream->live = std::make_shared<net::ResponseStream>();
    stream->live->Write("id: " + std::to_string(stream->id) +
                        "-0\nretry: " + std::to_string(retry.count()) + "\ndata: \n\n");
    streams[stream->id] = stream;
    // Keep the replay state of recent streams only: drop the oldest finished.
    constexpr size_t kMaxStreams = 64;
    for (auto it = streams.begin(); streams.size() > kMaxStreams && it != streams.end();) {
      it = it->second->done && it->second != general ? streams.erase(it) : std::next(it);
    }
    return stream;
  }

  void SendLocked(EventStream& stream, const Message& m) {
    uint64_t seq = stream.next_seq++;
    std::string text = "id: " + std::to_string(stream.id) + "-" + std::to_string(seq) +
                       "\nevent: message\ndata: " + Serialize(m) + "\n\n";
    if (stream.live && !stream.live->Write(text)) stream.live.reset();
    stream.events.emplace_back(seq, std::move(text));
    while (stream.events.size() > max_events) stream.events.pop_front();
  }

  void FinishLocked(EventStream& stream) {
    stream.done = true;
    if (stream.live) stream.live->Close();
    stream.live.reset();
  }

  void SendGeneral(const Message& m) {
    std::lock_guard lock(mu);
    if (!general) return;  // no GET stream yet: nowhere to send it
    SendLocked(*general, m);
  }

  // A comment on every open connection (not an event: not kept for replay).
  void KeepAlive() {
    std::lock_guard lock(mu);
    for (auto& [id, stream] : streams) {
      if (stream->live && !stream->live->Write(": keepalive\n\n")) stream->live.reset();
    }
  }

  void CloseAll() {
    std::lock_guard lock(mu);
    for (auto& [id, stream] : streams) {
      if (stream->live) stream->live->Close();
      stream->live.reset();
    }
  }
};

// A stateless request on a thread of its own, and how its answer travels:
// the HTTP worker waits to answer in JSON until the handler sends something
// of its own, which turns the answer into a stream. Its session lives as long
// as the request.
struct McpHttpTransport::StatelessCall {
  enum class Phase { kRunning, kAnswered, kStreaming };

  std::shared_ptr<McpSession> session;

  std::mutex mu;  // guards everything below
  std::condition_variable cv;
  Phase phase = Phase::kRunning;
  std::optional<Message> answer;                // for kAnswered
  std::shared_ptr<net::ResponseStream> stream;  // for kStreaming

  // Sends one message, turning the answer into a stream first. A client that
  // left cancels the request (its answer has nowhere to go).
  void Send(const Message& m) {
    bool gone = false;
    {
      std::lock_guard lock(mu);
      if (phase == Phase::kRunning) {
        stream = std::make_shared<net::ResponseStream>();
        phase = Phase::kStreaming;
        cv.notify_all();
      }
      if (phase != Phase::kStreaming) return;  // answered already: nothing can follow
      gone = !stream->Write("event: message\ndata: " + Serialize(m) + "\n\n");
    }
    if (gone) session->CancelAll();
  }

  void KeepAlive() {
    bool gone = false;
    {
      std::lock_guard lock(mu);
      if (phase == Phase::kStreaming) gone = !stream->Write(": keepalive\n\n");
    }
    if (gone) session->CancelAll();
  }

  // The handler is done: the answer goes to the waiting worker, or ends the
  // stream.
  void Finish(std::optional<Message> result) {
    std::lock_guard lock(mu);
    if (phase == Phase::kStreaming) {
      if (result) stream->Write("event: message\ndata: " + Serialize(*result) + "\n\n");
      stream->Close();
      return;
    }
    answer = std::move(result);
    phase = Phase::kAnswered;
    cv.notify_all();
  }

  void Close() {
    std::lock_guard lock(mu);
    if (stream) stream->Close();
  }
};

namespace {

HttpTransportOptions WithLowercaseHosts(HttpTransportOptions options) {
  for (std::string& host : options.allowed_hosts) host = Lower(host);
  return options;
}

}  // namespace

McpHttpTransport::McpHttpTransport(McpServer& server, HttpTransportOptions options)
    : server_(server),
      options_(WithLowercaseHosts(std::move(options))),
      clock_(options_.clock ? *options_.clock : SystemClock::Get()) {
  if (options_.sse_keepalive.count() > 0) keepalive_ = std::thread([this] { KeepAliveMain(); });
}

McpHttpTransport::~McpHttpTransport() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_.notify_all();
  if (keepalive_.joinable()) keepalive_.join();
  std::unique_lock lock(mu_);
  // Handlers waiting on a client's answer give up; then every request thread
  // finishes before the server and sessions go.
  for (auto& [id, entry] : sessions_) {
    entry.state->session->AbandonClientRequests();
    entry.state->CloseAll();
  }
  for (const auto& call : stateless_calls_) {
    call->session->AbandonClientRequests();  // ends subscriptions/listen too
    call->Close();
  }
  workers_done_.wait(lock, [this] { return workers_ == 0; });
}

bool McpHttpTransport::ReserveWorker() {
  std::lock_guard lock(mu_);
  if (workers_ >= options_.max_streaming_requests) return false;
  ++workers_;
  return true;
}

void McpHttpTransport::KeepAliveMain() {
  std::unique_lock lock(mu_);
  while (!stop_.wait_for(lock, options_.sse_keepalive, [this] { return stopping_; })) {
    std::vector<std::shared_ptr<SessionState>> states;
    for (const auto& [id, entry] : sessions_) states.push_back(entry.state);
    std::vector<std::shared_ptr<StatelessCall>> calls(stateless_calls_.begin(),
                                                      stateless_calls_.end());
    lock.unlock();  // a slow session's lock must not hold up requests
    for (const auto& state : states) state->KeepAlive();
    for (const auto& call : calls) call->KeepAlive();
    lock.lock();
  }
}

std::shared_ptr<McpHttpTransport::SessionState> McpHttpTransport::FindSession(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  it->second.last_used = clock_.Monotonic();
  return it->second.state;
}

void McpHttpTransport::EndIdleSessionsLocked(MonoTime now) {
  std::erase_if(sessions_, [&](const auto& kv) {
    if (now - kv.second.last_used <= options_.session_idle_timeout) return false;
    kv.second.state->session->AbandonClientRequests();
    kv.second.state->CloseAll();
    return true;
  });
}

size_t McpHttpTransport::session_count() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

bool McpHttpTransport::HostAllowed(std::string_view host) const {
  if (options_.allowed_hosts.empty()) return true;
  // "name:port", "[v6]:port" or either without the port.
  std::string_view name = host;
  if (name.starts_with('[')) {
    name = name.substr(0, name.find(']') + 1);
  } else {
    name = name.substr(0, name.find(':'));
  }
  std::string lower = Lower(name);
  return std::find(options_.allowed_hosts.begin(), options_.allowed_hosts.end(), lower) !=
         options_.allowed_hosts.end();
}

bool McpHttpTransport::OriginAllowed(std::string_view origin) const {
  if (options_.allow_loopback_origins && IsLoopbackOrigin(origin)) return true;
  return std::find(options_.allowed_origins.begin(), options_.allowed_origins.end(), origin) !=
         options_.allowed_origins.end();
}

net::HttpResponse McpHttpTransport::Handle(const net::HttpRequest& request,
                                           AnswerObserver on_answer) {
  if (request.path != options_.path) {
    return HttpError(404, "no MCP endpoint at " + request.path + "; use " + options_.path);
  }
  if (std::string_view host = request.header("Host"); !HostAllowed(host)) {
    CORAL_LOG_WARN("mcp http: refused Host '{}' from {}", host, request.remote);
    return HttpError(403, "Host '" + std::string(host) +
                              "' is not a name this server answers to (DNS rebinding guard)");
  }
  std::string_view origin = request.header("Origin");
  if (!origin.empty() && !OriginAllowed(origin)) {
    CORAL_LOG_WARN("mcp http: refused Origin {} from {}", origin, request.remote);
    return HttpError(403, "origin " + std::string(origin) + " is not allowed to use this server");
  }
  if (request.method == "POST") return Post(request, std::move(on_answer));
  if (request.method != "POST" &&
      IsStatelessProtocolVersion(Trim(request.header(kVersionHeader)))) {
    net::HttpResponse r =
        HttpError(405, "protocol 2026-07-28 has no " + request.method +
                           ": every message is a POST, and subscriptions/listen opens a stream");
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  if (request.method == "GET") return Get(request);
  if (request.method == "DELETE") return Delete(request);
  net::HttpResponse r = HttpError(405, "method " + request.method +
                                           " not allowed: POST sends a message, GET opens or "
                                           "resumes an event stream, DELETE ends a session");
  r.headers.emplace_back("Allow", "GET, POST, DELETE");
  return r;
}

net::HttpResponse McpHttpTransport::Post(const net::HttpRequest& request,
                                         AnswerObserver on_answer) {
  if (request.body.size() > options_.max_message_bytes) {
    return HttpError(413, "message of " + std::to_string(request.body.size()) +
                              " bytes exceeds the limit of " +
                              std::to_string(options_.max_message_bytes));
  }
  if (std::string_view ct = request.header("Content-Type"); !ct.empty() && !ContentTypeIsJson(ct)) {
    return HttpError(415, "Content-Type must be application/json, got " + std::string(ct));
  }
  if (std::string_view accept = request.header("Accept"); !accept.empty() && !AcceptsJson(accept)) {
    return HttpError(406, "Accept must allow application/json (every answer can be JSON), got " +
                              std::string(accept));
  }
  ParseResult parsed = ParseMessage(request.body);
  if (!parsed.ok()) {
    return net::HttpResponse::Json(400, Serialize(Message(*parsed.error)) + "\n");
  }
  const Message& message = *parsed.message;
  const auto* rpc_request = std::get_if<Request>(&message);

  // The era: the version header decides; without one, a body that carries
  // its version in _meta is a stateless request that forgot the header.
  std::string_view version = Trim(request.header(kVersionHeader));
  if (!version.empty() && !IsSupportedProtocolVersion(version) &&
      !IsStatelessProtocolVersion(version)) {
    std::optional<RequestId> id;
    if (rpc_request != nullptr) id = rpc_request->id;
    return net::HttpResponse::Json(
        400,
        Serialize(Message(MakeError(
            id, error_code::kUnsupportedProtocolVersion,
            "unsupported " + std::string(kVersionHeader) + ": " + std::string(version) +
                "; this server supports 2026-07-28 (stateless) and 2025-11-25, 2025-06-18 "
                "and 2025-03-26 (after initialize)",
            Json{{"supported", AllProtocolVersions()}, {"requested", std::string(version)}}))) +
            "\n");
  }
  bool stateless = IsStatelessProtocolVersion(version);
  if (version.empty() && rpc_request != nullptr && rpc_request->params &&
      rpc_request->params->is_object()) {
    const Json& meta = rpc_request->params->value("_meta", Json::object());
    stateless = meta.is_object() && meta.contains(meta_key::kProtocolVersion);
  }
  if (stateless) return PostStateless(request, message, std::move(on_answer));

  if (rpc_request != nullptr && rpc_request->method == "initialize") {
    {
      std::lock_guard lock(mu_);
      EndIdleSessionsLocked(clock_.Monotonic());
      if (sessions_.size() >= options_.max_sessions) {
        return HttpError(503, "too many MCP sessions (" + std::to_string(options_.max_sessions) +
                                  "); end unused ones with DELETE");
      }
    }
    auto state = std::make_shared<SessionState>(options_.max_replay_events, options_.sse_retry);
    std::weak_ptr<SessionState> weak = state;
    state->session = server_.NewSession([weak](const Message& m) {
      if (auto s = weak.lock()) s->SendGeneral(m);
    });
    std::optional<Message> answer = state->session->Handle(message);
    CORAL_CHECK(answer.has_value(), "initialize always gets an answer");
    if (on_answer) on_answer(answer);
    net::HttpResponse response = JsonMessage(*answer);
    if (std::holds_alternative<Response>(*answer)) {
      std::string id = RandomHex(16);
      {
        std::lock_guard lock(mu_);
        sessions_.emplace(id, Entry{std::move(state), clock_.Monotonic()});
      }
      response.headers.emplace_back(kSessionHeader, id);
    }
    return response;
  }

  std::string_view id = request.header(kSessionHeader);
  if (id.empty()) {
    return HttpError(400, std::string(kSessionHeader) +
                              " header required: send initialize first and echo the id it "
                              "returns");
  }
  std::shared_ptr<SessionState> state = FindSession(id);
  if (state == nullptr) {
    return HttpError(404, "session " + std::string(id) +
                              " not found (ended or never existed); initialize a new one");
  }
  if (rpc_request != nullptr && AcceptsEventStream(request.header("Accept")) && ReserveWorker()) {
    return Exchange(std::move(state), message, std::move(on_answer));
  }
  std::optional<Message> answer = state->session->Handle(message);
  if (rpc_request == nullptr) return Accepted();  // a notification, or an answer to our request
  if (on_answer) on_answer(answer);
  if (!answer) return Accepted();  // cancelled
  return JsonMessage(*answer);
}

namespace {

// One POSTed request running on its own thread, and how its answer travels.
// Until the handler sends something of its own, the HTTP worker waits to
// answer in JSON; the first message it sends turns the answer into a stream.
struct ExchangeState {
  enum class Phase { kRunning, kAnswered, kStreaming };

  std::mutex mu;  // guards everything below
  std::condition_variable cv;
  Phase phase = Phase::kRunning;
  std::optional<Message> answer;                          // for kAnswered
  std::shared_ptr<EventStream> stream;                    // for kStreaming
  std::shared_ptr<net::ResponseStream> first_connection;  // what the POST answers with
};

}  // namespace

net::HttpResponse McpHttpTransport::Exchange(std::shared_ptr<SessionState> state, Message message,
                                             AnswerObserver on_answer) {
  auto ex = std::make_shared<ExchangeState>();
  // Called with ex->mu held: from kRunning, becomes a stream.
  auto start_streaming = [state, ex] {
    if (ex->phase == ExchangeState::Phase::kStreaming) return;
    std::lock_guard lock(state->mu);
    ex->stream = state->OpenStreamLocked();
    ex->first_connection = ex->stream->live;
    ex->phase = ExchangeState::Phase::kStreaming;
    ex->cv.notify_all();
  };
  RequestHooks hooks{
      .sink =
          [state, ex, start_streaming](const Message& m) {
            std::lock_guard lock(ex->mu);
            start_streaming();
            std::lock_guard state_lock(state->mu);
            state->SendLocked(*ex->stream, m);
          },
      .close_stream =
          [state, ex, start_streaming] {
            std::lock_guard lock(ex->mu);
            start_streaming();
            std::lock_guard state_lock(state->mu);
            if (ex->stream->live) ex->stream->live->Close();
            ex->stream->live.reset();
          },
  };
  std::thread([this, state, ex, message = std::move(message), hooks = std::move(hooks),
               on_answer = std::move(on_answer)]() mutable {
    std::optional<Message> answer = state->session->Handle(message, std::move(hooks));
    if (on_answer) on_answer(answer);
    {
      std::lock_guard lock(ex->mu);
      if (ex->phase == ExchangeState::Phase::kStreaming) {
        std::lock_guard state_lock(state->mu);
        if (answer) state->SendLocked(*ex->stream, *answer);
        state->FinishLocked(*ex->stream);
      } else {
        ex->answer = std::move(answer);
        ex->phase = ExchangeState::Phase::kAnswered;
        ex->cv.notify_all();
      }
    }
    // Last: the transport may be destroyed as soon as this count drops.
    std::lock_guard lock(mu_);
    --workers_;
    workers_done_.notify_all();
  }).detach();

  std::unique_lock lock(ex->mu);
  ex->cv.wait(lock, [&] { return ex->phase != ExchangeState::Phase::kRunning; });
  if (ex->phase == ExchangeState::Phase::kStreaming)
    return EventStreamResponse(ex->first_connection);
  if (!ex->answer) return Accepted();  // cancelled
  return JsonMessage(*ex->answer);
}

net::HttpResponse McpHttpTransport::PostStateless(const net::HttpRequest& http,
                                                  const Message& message,
                                                  AnswerObserver on_answer) {
  const auto* request = std::get_if<Request>(&message);
  if (request == nullptr) return Accepted();  // no session a notification could act on
  if (auto mismatch = CheckRoutingHeaders(http, *request)) return std::move(*mismatch);
  bool can_stream = AcceptsEventStream(http.header("Accept"));
  if (can_stream && ReserveWorker()) return ExchangeStateless(*request, std::move(on_answer));
  if (request->method == "subscriptions/listen") {
    // Its answer is a stream that stays open: it needs a thread of its own.
    if (!can_stream) {
      return HttpError(406,
                       "subscriptions/listen answers with an event stream: Accept must "
                       "allow text/event-stream");
    }
    return HttpError(503, "too many streams open (" +
                              std::to_string(options_.max_streaming_requests) +
                              "); try subscriptions/listen again later");
  }
  // Answered here in JSON: without a stream, what the handler sends of its
  // own (progress, log messages) has nowhere to go and is dropped.
  McpSession session(server_, nullptr);
  std::optional<Message> answer = session.Handle(message, {.era = Era::kStateless});
  if (on_answer) on_answer(answer);
  if (!answer) return Accepted();  // cancelled
  return net::HttpResponse::Json(StatelessStatus(*answer), Serialize(*answer) + "\n");
}

std::optional<net::HttpResponse> McpHttpTransport::CheckRoutingHeaders(
    const net::HttpRequest& http, const Request& request) const {
  auto mismatch = [&](std::string message) {
    return net::HttpResponse::Json(
        400,
        Serialize(Message(MakeError(request.id, error_code::kHeaderMismatch, std::move(message)))) +
            "\n");
  };
  std::string_view method = Trim(http.header(kMethodHeader));
  if (method.empty()) {
    return mismatch(std::string(kMethodHeader) +
                    " header required on a 2026-07-28 request: it names the body's method (" +
                    request.method + ")");
  }
  if (method != request.method) {
    return mismatch(std::string(kMethodHeader) + " header '" + std::string(method) +
                    "' does not match the body's method '" + request.method + "'");
  }
  if (!request.params || !request.params->is_object()) return std::nullopt;  // the core says why
  const Json& params = *request.params;

  // The version header against _meta's (a missing one is the core's to report).
  const Json& meta = params.value("_meta", Json::object());
  if (meta.is_object()) {
    if (auto v = meta.find(meta_key::kProtocolVersion); v != meta.end() && v->is_string()) {
      std::string_view header = Trim(http.header(kVersionHeader));
      if (header.empty()) {
        return mismatch(std::string(kVersionHeader) + " header required: the body's _meta says " +
                        v->get<std::string>());
      }
      if (header != v->get_ref<const std::string&>()) {
        return mismatch(std::string(kVersionHeader) + " header says " + std::string(header) +
                        " but the body's _meta says " + v->get<std::string>());
      }
    }
  }

  // Mcp-Name: what the request is about.
  const char* name_field = nullptr;
  if (request.method == "tools/call" || request.method == "prompts/get") name_field = "name";
  if (request.method == "resources/read") name_field = "uri";
  if (name_field != nullptr) {
    if (auto v = params.find(name_field); v != params.end() && v->is_string()) {
      std::string_view raw = Trim(http.header(kNameHeader));
      if (raw.empty()) {
        return mismatch(std::string(kNameHeader) + " header required on " + request.method +
                        ": it names params." + name_field + " (" + v->get<std::string>() + ")");
      }
      auto name = HeaderValue(raw);
      if (!name) return mismatch(std::string(kNameHeader) + " header is not valid base64");
      if (*name != v->get_ref<const std::string&>()) {
        return mismatch(std::string(kNameHeader) + " header '" + *name +
                        "' does not match the body's params." + name_field + " '" +
                        v->get<std::string>() + "'");
      }
    }
  }

  // Mcp-Param-NAME: the tool's arguments it asks clients to mirror.
  if (request.method != "tools/call") return std::nullopt;
  const Tool* tool = server_.FindTool(
      params.value("name", Json()).is_string() ? params["name"].get<std::string>() : std::string());
  if (tool == nullptr) return std::nullopt;  // the core answers unknown tools
  const Json& properties = tool->input_schema.value("properties", Json::object());
  if (!properties.is_object()) return std::nullopt;
  const Json& args = params.value("arguments", Json::object());
  for (const auto& [argument, schema] : properties.items()) {
    if (!schema.is_object() || !schema.value("x-mcp-header", Json()).is_string()) continue;
    std::string header = kParamHeaderPrefix + schema["x-mcp-header"].get<std::string>();
    std::string_view raw = Trim(http.header(header));
    const Json* value = args.is_object() && args.contains(argument) && !args[argument].is_null()
                            ? &args[argument]
                            : nullptr;
    if (value == nullptr) {
      if (!raw.empty()) {
        return mismatch(header + " header is set but the body has no argument '" + argument + "'");
      }
      continue;
    }
    if (raw.empty()) {
      return mismatch(header + " header required: tool " + tool->name + " mirrors argument '" +
                      argument + "' into it");
    }
    auto decoded = HeaderValue(raw);
    if (!decoded) return mismatch(header + " header is not valid base64");
    if (!ParamMatches(*value, *decoded)) {
      return mismatch(header + " header '" + *decoded + "' does not match argument '" + argument +
                      "' (" + Serialize(*value) + ")");
    }
  }
  return std::nullopt;
}

net::HttpResponse McpHttpTransport::ExchangeStateless(Request request, AnswerObserver on_answer) {
  auto call = std::make_shared<StatelessCall>();
  std::weak_ptr<StatelessCall> weak = call;
  call->session = server_.NewSession(nullptr);
  {
    std::lock_guard lock(mu_);
    stateless_calls_.insert(call);
  }
  RequestHooks hooks{.sink =
                         [weak](const Message& m) {
                           if (auto c = weak.lock()) c->Send(m);
                         },
                     .era = Era::kStateless};
  std::thread([this, call, request = std::move(request), hooks = std::move(hooks),
               on_answer = std::move(on_answer)]() mutable {
    std::optional<Message> answer = call->session->Handle(request, std::move(hooks));
    if (on_answer) on_answer(answer);
    call->Finish(std::move(answer));
    {
      std::lock_guard lock(mu_);
      stateless_calls_.erase(call);
    }
    // The session ends with its request, while the server surely still lives
    // (the handler's captures go too).
    call.reset();
    on_answer = nullptr;
    // Last: the transport may be destroyed as soon as this count drops.
    std::lock_guard lock(mu_);
    --workers_;
    workers_done_.notify_all();
  }).detach();

  std::unique_lock lock(call->mu);
  call->cv.wait(lock, [&] { return call->phase != StatelessCall::Phase::kRunning; });
  if (call->phase == StatelessCall::Phase::kStreaming) return EventStreamResponse(call->stream);
  if (!call->answer) return Accepted();  // cancelled
  return net::HttpResponse::Json(StatelessStatus(*call->answer), Serialize(*call->answer) + "\n");
}

net::HttpResponse McpHttpTransport::Get(const net::HttpRequest& request) {
  if (!AcceptsEventStream(request.header("Accept"))) {
    return HttpError(406, "GET opens an event stream: Accept must allow text/event-stream");
  }
  std::string_view id = request.header(kSessionHeader);
  if (id.empty()) {
    return HttpError(
        400, std::string(kSessionHeader) + " header required: a stream belongs to a session");
  }
  std::shared_ptr<SessionState> state = FindSession(id);
  if (state == nullptr) {
    return HttpError(404, "session " + std::string(id) +
                              " not found (ended or never existed); initialize a new one");
  }
  std::lock_guard lock(state->mu);
  std::string_view last = request.header("Last-Event-ID");
  if (last.empty()) {
    // The general stream; a new GET takes it over from an older connection.
    if (state->general && state->general->live) state->general->live->Close();
    if (!state->general) {
      state->general = state->OpenStreamLocked();
    } else {
      state->general->live = std::make_shared<net::ResponseStream>();
      state->general->live->Write("retry: " + std::to_string(state->retry.count()) + "\n\n");
    }
    return EventStreamResponse(state->general->live);
  }
  auto parsed = ParseEventId(last);
  auto it = parsed ? state->streams.find(parsed->first) : state->streams.end();
  if (it == state->streams.end()) {
    return HttpError(404, "Last-Event-ID " + std::string(last) +
                              " names no stream this session still has; open a new GET stream");
  }
  EventStream& stream = *it->second;
  if (stream.live) stream.live->Close();  // one connection per stream
  auto connection = std::make_shared<net::ResponseStream>();
  for (const auto& [seq, text] : stream.events) {
    if (seq > parsed->second) connection->Write(text);
  }
  if (stream.done) {
    connection->Close();
  } else {
    stream.live = connection;
  }
  return EventStreamResponse(connection);
}

net::HttpResponse McpHttpTransport::Delete(const net::HttpRequest& request) {
  std::string_view id = request.header(kSessionHeader);
  if (id.empty()) return HttpError(400, std::string(kSessionHeader) + " header required");
  std::lock_guard lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return HttpError(404, "session " + std::string(id) + " not found");
  it->second.state->session->AbandonClientRequests();
  it->second.state->CloseAll();
  sessions_.erase(it);
  return {.status = 200};
}

}  // namespace coral::mcp

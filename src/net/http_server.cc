#include "net/http_server.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <array>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "base/descriptors.h"
#include "base/log.h"
#include "base/rate_limit.h"

namespace coral::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

HttpRequest ToRequest(http::request<http::string_body>& req, const std::string& remote) {
  HttpRequest out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  size_t q = out.target.find('?');
  out.path = out.target.substr(0, q);
  if (q != std::string::npos) out.query = out.target.substr(q + 1);
  for (const auto& field : req) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.body = std::move(req.body());
  out.remote = remote;
  return out;
}

http::response<http::string_body> ToBeast(HttpResponse&& resp, unsigned version, bool keep_alive) {
  http::response<http::string_body> out{static_cast<http::status>(resp.status), version};
  out.set(http::field::server, "coral");
  for (auto& [k, v] : resp.headers) out.set(k, v);
  out.body() = std::move(resp.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

// The verified client certificate of a TLS connection, as PEM, or "".
std::string PeerCertificate(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return "";
  std::string out;
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    if (PEM_write_bio_X509(bio, cert) == 1) {
      char* data = nullptr;
      long n = BIO_get_mem_data(bio, &data);
      out.assign(data, static_cast<size_t>(n));
    }
    BIO_free(bio);
  }
  X509_free(cert);
  return out;
}

// The connections of one listener: a cap on all of them and on each peer
// address, and a shorter idle timeout when the listener is busy.
class ConnectionGate {
 public:
  explicit ConnectionGate(const HttpServerOptions& options) : options_(options) {}

  // Held by a connection for as long as it is open.
  class Slot {
   public:
    Slot(ConnectionGate& gate, std::string peer) : gate_(gate), peer_(std::move(peer)) {}
    ~Slot() { gate_.Release(peer_); }
    std::chrono::seconds IdleTimeout() const { return gate_.IdleTimeout(); }

   private:
    ConnectionGate& gate_;
    std::string peer_;
  };

  // A slot for a connection from `peer` (an address without port), or null
  // when the listener or that peer is at its cap.
  std::shared_ptr<Slot> Admit(const std::string& peer) {
    std::lock_guard lock(mu_);
    size_t& mine = per_peer_[peer];
    if (open_ >= options_.max_connections || mine >= options_.max_connections_per_peer) {
      if (mine == 0) per_peer_.erase(peer);
      return nullptr;
    }
    ++open_;
    ++mine;
    return std::make_shared<Slot>(*this, peer);
  }

  std::chrono::seconds IdleTimeout() const {
    std::lock_guard lock(mu_);
    return open_ * 4 >= options_.max_connections * 3 ? options_.busy_idle_timeout
                                                     : options_.idle_timeout;
  }

  size_t open() const {
    std::lock_guard lock(mu_);
    return open_;
  }

 private:
  void Release(const std::string& peer) {
    std::lock_guard lock(mu_);
    --open_;
    if (auto it = per_peer_.find(peer); it != per_peer_.end() && --it->second == 0) {
      per_peer_.erase(it);
    }
  }

  const HttpServerOptions& options_;
  mutable std::mutex mu_;  // guards open_, per_peer_
  size_t open_ = 0;
  std::map<std::string, size_t> per_peer_;
};

// The streamed bodies of one listener. A writer thread wakes its connection
// by posting into the listener's io_context, so before that context goes away
// every stream is abandoned: after that no writer touches it.
class OpenStreams {
 public:
  void Add(const std::shared_ptr<ResponseStream>& stream) {
    std::lock_guard lock(mu_);
    std::erase_if(streams_, [](const auto& weak) { return weak.expired(); });
    streams_.push_back(stream);
  }

  void AbandonAll() {
    std::vector<std::weak_ptr<ResponseStream>> streams;
    {
      std::lock_guard lock(mu_);
      streams.swap(streams_);
    }
    for (auto& weak : streams) {
      if (auto stream = weak.lock()) stream->Abandon();
    }
  }

 private:
  std::mutex mu_;  // guards streams_
  std::vector<std::weak_ptr<ResponseStream>> streams_;
};

// One connection. Stream is beast::tcp_stream or beast::ssl_stream<...>.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, const HttpServerOptions& options, const HttpHandler& handler,
          OpenStreams& open_streams, std::string remote, std::shared_ptr<ConnectionGate::Slot> slot)
      : stream_(std::move(stream)),
        options_(options),
        handler_(handler),
        open_streams_(open_streams),
        remote_(std::move(remote)),
        slot_(std::move(slot)) {
    // Beast reads at most the buffer's free capacity at a time: left to grow
    // on its own it stays near 1 KB, and a 200 KB body takes 200 reads.
    buffer_.reserve(kReadBufferBytes);
  }
  ~Session() {
    if (out_stream_) out_stream_->Abandon();
  }

  void Run() {
    if constexpr (kTls) {
      Lowest().expires_after(slot_->IdleTimeout());
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](
                                                                  beast::error_code ec) {
        if (ec) {
          CORAL_LOG_DEBUG("http: TLS handshake from {} failed: {}", self->remote_, ec.message());
          return;
        }
        self->peer_cert_pem_ = PeerCertificate(self->stream_.native_handle());
        self->Read();
      });
    } else {
      Read();
    }
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;
  static constexpr size_t kReadBufferBytes = 64 * 1024;

  beast::tcp_stream& Lowest() {
    if constexpr (kTls) {
      return beast::get_lowest_layer(stream_);
    } else {
      return stream_;
    }
  }

  void Read() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    Lowest().expires_after(slot_->IdleTimeout());
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      return Send(HttpResponse::Text(413, "request body exceeds the limit of " +
                                              std::to_string(options_.max_body_bytes) + " bytes\n"),
                  11, false, /*unread_body=*/true);
    }
    if (ec) {
      return Send(HttpResponse::Text(400, "malformed HTTP request: " + ec.message() + "\n"), 11,
                  false, /*unread_body=*/true);
    }
    auto req = parser_->release();
    unsigned version = req.version();
    bool keep_alive = req.keep_alive();
    HttpRequest request = ToRequest(req, remote_);
    request.peer_cert_pem = peer_cert_pem_;
    HttpResponse resp = handler_(request);
    Send(std::move(resp), version, keep_alive);
  }

  // unread_body: the request was refused before its body was read.
  void Send(HttpResponse&& resp, unsigned version, bool keep_alive, bool unread_body = false) {
    if (resp.stream) return SendStream(std::move(resp), version);
    auto msg = std::make_shared<http::response<http::string_body>>(
        ToBeast(std::move(resp), version, keep_alive));
    http::async_write(
        stream_, *msg,
        [self = this->shared_from_this(), msg, unread_body](beast::error_code ec, size_t) {
          if (!ec && unread_body) return self->Linger();
          if (ec || !msg->keep_alive()) return self->Close();
          self->Read();
        });
  }

  // A lingering close, after an answer to a request whose body was not read:
  // stop sending, then read and drop what the client still sends, for a few
  // seconds at most, before the socket closes. Closing at once would reset
  // the connection under a client still sending, which then reports a broken
  // pipe instead of the answer.
  void Linger() {
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    Lowest().expires_after(std::chrono::seconds(5));
    Drain();
  }
  void Drain() {
    Lowest().async_read_some(asio::buffer(watch_buffer_),
                             [self = this->shared_from_this()](beast::error_code ec, size_t) {
                               if (!ec) self->Drain();  // EOF, timeout or error: done
                             });
  }

  // A streamed body: the headers now, then chunks as the writer makes them,
  // and the connection closes after it (streams are long; no keep-alive).
  // Every step runs on the connection's strand; `writing_` keeps one write in
  // flight at a time. A read stays posted while streaming: it notices the
  // client leaving, and it is what keeps this session alive between writes.
  void SendStream(HttpResponse&& resp, unsigned version) {
    out_stream_ = std::move(resp.stream);
    open_streams_.Add(out_stream_);
    auto head = std::make_shared<http::response<http::empty_body>>(
        static_cast<http::status>(resp.status), version);
    head->set(http::field::server, "coral");
    for (auto& [k, v] : resp.headers) head->set(k, v);
    head->keep_alive(false);
    head->chunked(true);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*head);
    // A stream may stay quiet for long; the writer decides when it ends.
    Lowest().expires_never();
    writing_ = true;
    http::async_write_header(
        stream_, *serializer,
        [self = this->shared_from_this(), head, serializer](beast::error_code ec, size_t) {
          self->writing_ = false;
          if (ec) return self->EndStream();
          self->WatchClient();
          std::weak_ptr<Session> weak = self;
          auto executor = self->stream_.get_executor();
          self->out_stream_->Attach([weak, executor] {
            asio::post(executor, [weak] {
              if (auto s = weak.lock()) s->Pump();
            });
          });
        });
  }

  void WatchClient() {
    stream_.async_read_some(asio::buffer(watch_buffer_),
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->EndStream();
                              self->WatchClient();  // a client has nothing to say here; ignore it
                            });
  }

  void Pump() {
    if (writing_ || !out_stream_) return;
    auto chunk = std::make_shared<std::string>();
    bool finished = out_stream_->Take(chunk.get());
    if (chunk->empty() && !finished) return;  // woken for nothing new
    writing_ = true;
    auto done = [self = this->shared_from_this(), chunk, finished](beast::error_code ec, size_t) {
      self->writing_ = false;
      if (ec || finished) return self->EndStream();
      self->Pump();
    };
    if (chunk->empty()) {
      asio::async_write(stream_, http::make_chunk_last(), std::move(done));
    } else if (finished) {
      // The last piece, then the end of the body.
      asio::async_write(
          stream_, http::make_chunk(asio::buffer(*chunk)),
          [self = this->shared_from_this(), chunk, done](beast::error_code ec, size_t) mutable {
            if (ec) return done(ec, 0);
            asio::async_write(self->stream_, http::make_chunk_last(), done);
          });
    } else {
      asio::async_write(stream_, http::make_chunk(asio::buffer(*chunk)), std::move(done));
    }
  }

  void EndStream() {
    if (!out_stream_) return;
    out_stream_->Abandon();
    out_stream_.reset();
    Close();
  }

  void Close() {
    beast::error_code ec;
    if constexpr (kTls) {
      // Closing the socket is enough: a TLS close_notify is a courtesy, not
      // needed for integrity here since HTTP framing delimits every message.
      Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    } else {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  Stream stream_;
  const HttpServerOptions& options_;
  const HttpHandler& handler_;
  OpenStreams& open_streams_;
  std::string remote_;
  std::shared_ptr<ConnectionGate::Slot> slot_;  // released when the connection goes
  std::string peer_cert_pem_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<ResponseStream> out_stream_;  // the body being streamed, if any
  bool writing_ = false;
  std::array<char, 512> watch_buffer_;
};

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, HttpHandler handler)
      : options_(std::move(options)), handler_(std::move(handler)), acceptor_(io_) {}

  Status Listen() {
    beast::error_code ec;
    auto address = asio::ip::make_address(options_.bind, ec);
    if (ec) {
      return InvalidArgument("http: bind address '" + options_.bind + "' is not an IP address");
    }
    if (options_.tls) {
      ssl_.emplace(asio::ssl::context::tls_server);
      ssl_->set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                        asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
      ssl_->use_certificate_chain(asio::buffer(options_.tls->cert_pem), ec);
      if (!ec)
        ssl_->use_private_key(asio::buffer(options_.tls->key_pem), asio::ssl::context::pem, ec);
      if (ec) return InvalidArgument("http: TLS certificate or key rejected: " + ec.message());
      if (!options_.tls->client_ca_pem.empty()) {
        ssl_->add_certificate_authority(asio::buffer(options_.tls->client_ca_pem), ec);
        if (ec) return InvalidArgument("http: client CA rejected: " + ec.message());
        // With client certificates in play, OpenSSL refuses to resume a
        // session (a TLS 1.3 ticket, say) unless a session id context is set:
        // it fails the handshake with an internal_error alert instead.
        static constexpr unsigned char kSessionContext[] = "coral-http";
        SSL_CTX_set_session_id_context(ssl_->native_handle(), kSessionContext,
                                       sizeof(kSessionContext) - 1);
        ssl_->set_verify_mode(options_.tls->client_certs == ClientCerts::kRequired
                                  ? asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert
                                  : asio::ssl::verify_peer);
      }
    }
    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Unavailable("http: cannot listen on " + options_.bind + ":" +
                         std::to_string(options_.port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    int threads = std::max(1, options_.threads);
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
    return Status::Ok();
  }

  void Stop() {
    if (stopped_.exchange(true)) return;
    asio::post(io_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
    });
    io_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    // No handler runs now; writers still might post into io_ until this.
    open_streams_.AbandonAll();
  }

  ~Impl() { Stop(); }

  uint16_t port() const { return port_; }

 private:
  // Errors that mean the process is short of descriptors or memory: accepting
  // again at once would fail again, as fast as the loop runs.
  static bool ShortOfResources(const beast::error_code& ec) {
    return ec == asio::error::no_descriptors || ec == asio::error::no_memory ||
           ec == asio::error::no_buffer_space || ec.value() == ENFILE;
  }

  void Accept() {
    acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted) return;
      if (ec) {
        if (auto held = accept_errors_.Allow()) {
          CORAL_LOG_WARN(
              "http: accepting on port {} failed: {}{} ({} connections open)", port_, ec.message(),
              *held > 0 ? " (and " + std::to_string(*held) + " more since)" : "", gate_.open());
        }
        if (!ShortOfResources(ec)) return Accept();
        // Back off while descriptors are short; the kernel keeps the queue.
        backoff_ = std::min(
            backoff_ == std::chrono::milliseconds(0) ? std::chrono::milliseconds(10) : backoff_ * 2,
            std::chrono::milliseconds(1000));
        retry_.expires_after(backoff_);
        retry_.async_wait([this](beast::error_code wait) {
          if (!wait) Accept();
        });
        return;
      }
      backoff_ = std::chrono::milliseconds(0);
      beast::error_code rec;
      auto ep = s.remote_endpoint(rec);
      std::string address = rec ? "unknown" : ep.address().to_string();
      std::string remote = rec ? "unknown" : address + ":" + std::to_string(ep.port());
      auto slot = gate_.Admit(address);
      if (slot == nullptr) {
        if (auto held = refusals_.Allow()) {
          CORAL_LOG_WARN(
              "http: port {} closed a connection from {}: {} open, at most {} ({} per "
              "client){}",
              port_, address, gate_.open(), options_.max_connections,
              options_.max_connections_per_peer,
              *held > 0 ? " (and " + std::to_string(*held) + " more since)" : "");
        }
        s.close(rec);
        return Accept();
      }
      if (ssl_) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
            beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(s)), *ssl_), options_,
            handler_, open_streams_, remote, std::move(slot))
            ->Run();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(s)), options_,
                                                     handler_, open_streams_, remote,
                                                     std::move(slot))
            ->Run();
      }
      Accept();
    });
  }

  HttpServerOptions options_;
  HttpHandler handler_;
  // Before io_: connections still queued in io_ release their slots into it.
  ConnectionGate gate_{options_};
  OpenStreams open_streams_;
  RateLimit accept_errors_{std::chrono::seconds(10)};
  RateLimit refusals_{std::chrono::seconds(10)};
  asio::io_context io_;
  std::optional<asio::ssl::context> ssl_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_{io_};
  std::chrono::milliseconds backoff_{0};  // only the acceptor's handlers touch it
  std::vector<std::thread> threads_;
  std::atomic<bool> stopped_{false};
  uint16_t port_ = 0;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() = default;

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                      HttpHandler handler) {
  // One listener may hold at most half the descriptors the process may have,
  // so others (gRPC, the stores, a second listener) keep room.
  HttpServerOptions capped = options;
  if (size_t soft = CurrentDescriptorLimit().soft; soft > 0) {
    capped.max_connections = std::max<size_t>(1, std::min(options.max_connections, soft / 2));
  }
  auto impl = std::make_unique<Impl>(capped, std::move(handler));
  CORAL_TRY(impl->Listen());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->port(); }
void HttpServer::Stop() { impl_->Stop(); }

}  // namespace coral::net

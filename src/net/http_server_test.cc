#include "net/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "../../tests/eventually.h"
#include "../../tests/sockets.h"
#include "base/descriptors.h"
#include "base/files.h"
#include "base/log.h"
#include "base/temp_dir.h"
#include "crypto/ca.h"
#include "net/http_client.h"

namespace coral::net {
namespace {

using namespace std::chrono_literals;

HttpResponse Echo(const HttpRequest& req) {
  std::string body = req.method + " " + req.path + " q=" + req.query +
                     " x-test=" + std::string(req.header("X-Test")) + " body=" + req.body;
  HttpResponse resp = HttpResponse::Text(req.path == "/missing" ? 404 : 200, body);
  resp.headers.emplace_back("X-Reply", "yes");
  return resp;
}

std::string Url(const HttpServer& server, const std::string& path, const char* scheme = "http",
                const char* host = "127.0.0.1") {
  return std::string(scheme) + "://" + host + ":" + std::to_string(server.port()) + path;
}

TEST(HttpServerTest, RoundTripsMethodPathQueryHeadersAndBody) {
  auto server = HttpServer::Start({}, Echo);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ASSERT_NE((*server)->port(), 0);
  auto resp = HttpFetch({.method = "POST",
                         .url = Url(**server, "/v1/traces?a=1&b=2"),
                         .headers = {{"X-Test", "hello"}},
                         .body = "payload"});
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "POST /v1/traces q=a=1&b=2 x-test=hello body=payload");
  EXPECT_EQ(resp->header("x-reply"), "yes");
  auto missing = HttpFetch({.url = Url(**server, "/missing")});
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);  // an HTTP status is a response, not an error
}

TEST(HttpServerTest, OversizedBodyGets413) {
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  auto server = HttpServer::Start(options, Echo);
  ASSERT_TRUE(server.ok());
  auto resp =
      HttpFetch({.method = "POST", .url = Url(**server, "/"), .body = std::string(4096, 'x')});
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 413);
  auto small = HttpFetch({.method = "POST", .url = Url(**server, "/"), .body = "ok"});
  EXPECT_EQ(small->status, 200);
}

TEST(HttpServerTest, MalformedRequestGets400) {
  auto server = HttpServer::Start({}, Echo);
  ASSERT_TRUE(server.ok());
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons((*server)->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  std::string garbage = "NOT HTTP AT ALL\r\n\r\n";
  ASSERT_EQ(::write(fd, garbage.data(), garbage.size()), static_cast<ssize_t>(garbage.size()));
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char buf[512] = {};
  ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf).rfind("HTTP/1.1 400", 0), 0u) << buf;
}

TEST(HttpServerTest, ServesConcurrentClients) {
  std::atomic<int> handled{0};
  auto server = HttpServer::Start({.threads = 2}, [&](const HttpRequest& req) {
    ++handled;
    return HttpResponse::Text(200, req.body);
  });
  ASSERT_TRUE(server.ok());
  std::atomic<int> good{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < 20; ++i) {
        std::string body = std::to_string(c) + ":" + std::to_string(i);
        auto r = HttpFetch({.method = "POST", .url = Url(**server, "/"), .body = body});
        if (r.ok() && r->status == 200 && r->body == body) ++good;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(good.load(), 160);
  EXPECT_EQ(handled.load(), 160);
}

// A streamed body arrives piece by piece while the writer is still writing.
TEST(HttpServerTest, StreamsABodyAsItIsWritten) {
  std::mutex mu;
  std::condition_variable cv;
  int released = 0;  // pieces the writer may send; guarded by mu
  std::vector<std::thread> writers;
  auto server = HttpServer::Start({}, [&](const HttpRequest& req) {
    if (req.path != "/events") return HttpResponse::Text(200, "plain");
    auto stream = std::make_shared<ResponseStream>();
    writers.emplace_back([&, stream] {
      for (int i = 1; i <= 3; ++i) {
        std::unique_lock lock(mu);
        ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return released >= i; }));
        lock.unlock();
        EXPECT_TRUE(stream->Write("data: " + std::to_string(i) + "\n\n"));
      }
      stream->Close();
      EXPECT_FALSE(stream->Write("late"));
    });
    return HttpResponse{
        .status = 200, .headers = {{"Content-Type", "text/event-stream"}}, .stream = stream};
  });
  ASSERT_TRUE(server.ok());
  std::string seen;
  auto release = [&] {
    std::lock_guard lock(mu);
    ++released;
    cv.notify_all();
  };
  release();
  auto resp = HttpFetch({.url = Url(**server, "/events"), .on_body = [&](std::string_view piece) {
                           seen += piece;
                           // Each piece arrives before the writer may send the next one.
                           if (seen.size() < 3 * 9) release();
                           return true;
                         }});
  release();  // lets the writer finish even when the fetch failed early
  release();
  for (auto& t : writers) t.join();
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->header("Content-Type"), "text/event-stream");
  EXPECT_EQ(seen, "data: 1\n\ndata: 2\n\ndata: 3\n\n");
  auto plain = HttpFetch({.url = Url(**server, "/plain")});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->body, "plain");
}

// A client that leaves makes later writes fail, so the writer stops.
TEST(HttpServerTest, StreamWritesFailOnceTheClientLeaves) {
  auto stream = std::make_shared<ResponseStream>();
  auto server = HttpServer::Start(
      {}, [&](const HttpRequest&) { return HttpResponse{.status = 200, .stream = stream}; });
  ASSERT_TRUE(server.ok());
  ASSERT_TRUE(stream->Write("first\n"));
  std::string seen;
  auto resp = HttpFetch({.url = Url(**server, "/"), .on_body = [&](std::string_view piece) {
                           seen += piece;
                           return false;  // hang up after the first piece
                         }});
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(seen, "first\n");
  bool failed = false;
  for (int i = 0; i < 200 && !failed; ++i) {  // the server notices on a write
    failed = !stream->Write(std::string(64 * 1024, 'x'));
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(failed);
  EXPECT_TRUE(stream->closed());
}

TEST(HttpServerTest, StoppingWhileAWriterWritesEndsTheStreamSafely) {
  // The writer's thread wakes the connection inside the server; stopping the
  // server at any moment must leave it nothing to touch (ASan checks).
  for (int round = 0; round < 20; ++round) {
    auto stream = std::make_shared<ResponseStream>();
    auto server = HttpServer::Start(
        {}, [&](const HttpRequest&) { return HttpResponse{.status = 200, .stream = stream}; });
    ASSERT_TRUE(server.ok());
    std::atomic<bool> refused{false};
    std::thread writer([&] {
      for (int i = 0; i < 1'000'000 && stream->Write("data: x\n\n"); ++i) {
      }
      refused = true;
    });
    int fd = testkit::ConnectFrom("127.0.0.1", (*server)->port());
    ASSERT_GE(fd, 0);
    std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
    char buf[256];
    timeval wait{.tv_sec = 10, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
    EXPECT_GT(recv(fd, buf, sizeof(buf), 0), 0);  // the stream is flowing
    server->reset();
    writer.join();
    EXPECT_TRUE(refused);
    EXPECT_TRUE(stream->closed());
    close(fd);
  }
}

TEST(HttpServerTest, BindErrorsAreClear) {
  auto bad = HttpServer::Start({.bind = "not-an-ip"}, Echo);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  auto first = HttpServer::Start({}, Echo);
  ASSERT_TRUE(first.ok());
  auto clash = HttpServer::Start({.port = (*first)->port()}, Echo);
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.status().message().find(std::to_string((*first)->port())), std::string::npos);
}

TEST(HttpServerTest, ListensOnIpv6Loopback) {
  auto server = HttpServer::Start({.bind = "::1"}, Echo);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto resp = HttpFetch({.url = Url(**server, "/six", "http", "[::1]")});
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 200);
}

TEST(HttpServerTest, StopIsIdempotentAndRefusesNewConnections) {
  auto server = HttpServer::Start({}, Echo);
  ASSERT_TRUE(server.ok());
  std::string url = Url(**server, "/");
  (*server)->Stop();
  (*server)->Stop();
  auto resp = HttpFetch({.url = url, .timeout = 2s});
  EXPECT_FALSE(resp.ok());
}

// Idle connections cannot use up a listener: past the cap per client address
// and the cap per listener, a new connection is closed as soon as it comes,
// and a slot is free again once a connection goes.
TEST(HttpServerTest, CapsConnectionsPerClientAndPerListener) {
  auto server = HttpServer::Start(
      {.max_connections = 4, .max_connections_per_peer = 2, .busy_idle_timeout = 60s}, Echo);
  ASSERT_TRUE(server.ok());
  int port = (*server)->port();
  testkit::Sockets held;
  for (const char* peer : {"127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3"}) {
    held.fds.push_back(testkit::ConnectFrom(peer, port));
    ASSERT_GE(held.fds.back(), 0);
  }
  for (int fd : held.fds) EXPECT_FALSE(testkit::ClosedByServer(fd, 200));
  testkit::Sockets refused;
  refused.fds.push_back(testkit::ConnectFrom("127.0.0.2", port));  // third from one client
  refused.fds.push_back(testkit::ConnectFrom("127.0.0.4", port));  // fifth on the listener
  for (int fd : refused.fds) {
    ASSERT_GE(fd, 0);
    EXPECT_TRUE(testkit::ClosedByServer(fd, 5000));
  }
  held.CloseAll();
  EXPECT_TRUE(
      Eventually([&] { return HttpFetch({.url = Url(**server, "/"), .timeout = 2s}).ok(); }, 10s));
}

// Once three quarters of the connections a listener may hold are open, idle
// ones are shed after busy_idle_timeout instead of idle_timeout.
TEST(HttpServerTest, ShedsIdleConnectionsWhenBusy) {
  auto server = HttpServer::Start(
      {.idle_timeout = 600s, .max_connections = 4, .busy_idle_timeout = 1s}, Echo);
  ASSERT_TRUE(server.ok());
  int port = (*server)->port();
  testkit::Sockets held;
  for (int i = 0; i < 3; ++i) {
    held.fds.push_back(testkit::ConnectFrom("127.0.0.1", port));
    ASSERT_GE(held.fds.back(), 0);
    EXPECT_FALSE(testkit::ClosedByServer(held.fds.back(), 200));  // admitted in turn
  }
  // The third came when the listener was busy; the first did not.
  EXPECT_TRUE(testkit::ClosedByServer(held.fds[2], 10'000));
  EXPECT_FALSE(testkit::ClosedByServer(held.fds[0], 0));
}

// Out of descriptors, accepting fails with EMFILE: the listener backs off and
// says so once (it used to retry at once and log every failure, hundreds of
// MB a second), then serves again once descriptors are free.
TEST(HttpServerTest, BacksOffWhenOutOfDescriptorsAndRecovers) {
  TempDir dir("coral-http-emfile");
  ASSERT_TRUE(log::Init(log::Level::kInfo, (dir.path() / "log").string()).ok());
  auto server = HttpServer::Start({}, Echo);
  ASSERT_TRUE(server.ok());
  int port = (*server)->port();
  testkit::Sockets flood;
  {
    testkit::LowerDescriptorLimit limit(OpenDescriptorCount() + 40);
    // Each connection costs this process two descriptors (both ends); the
    // client's run out soon after the server's.
    for (int i = 0; i < 100; ++i) {
      int fd = testkit::ConnectFrom("127.0.0.1", port);
      if (fd < 0) break;
      flood.fds.push_back(fd);
    }
    std::this_thread::sleep_for(2s);  // accept keeps failing meanwhile
  }
  flood.CloseAll();
  EXPECT_TRUE(
      Eventually([&] { return HttpFetch({.url = Url(**server, "/"), .timeout = 2s}).ok(); }, 10s));
  ASSERT_TRUE(log::Init(log::Level::kInfo).ok());  // closes the file
  std::string lines = ReadFile(dir.path() / "log").value_or("");
  size_t failures = 0;
  for (size_t at = 0; (at = lines.find("failed: Too many open files", at)) != std::string::npos;
       ++at) {
    ++failures;
  }
  EXPECT_EQ(failures, 1u) << lines;
}

class HttpTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = crypto::CertificateAuthority::Create("test CA", 1);
    ASSERT_TRUE(ca.ok());
    ca_ = std::make_unique<crypto::CertificateAuthority>(std::move(*ca));
    auto leaf = ca_->Issue({.common_name = "localhost",
                            .dns_names = {"localhost"},
                            .ip_addresses = {"127.0.0.1"},
                            .usage = crypto::CertUsage::kServer});
    ASSERT_TRUE(leaf.ok());
    server_cert_ = *leaf;
  }
  std::unique_ptr<crypto::CertificateAuthority> ca_;
  crypto::IssuedCert server_cert_;
};

TEST_F(HttpTlsTest, ClientTrustingTheCaConnects) {
  HttpServerOptions options;
  options.tls = TlsServerConfig{server_cert_.cert_pem, server_cert_.key_pem, ""};
  auto server = HttpServer::Start(options, Echo);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto resp =
      HttpFetch({.url = Url(**server, "/secure", "https"), .ca_pem = ca_->files().cert_pem});
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body.rfind("GET /secure", 0), 0u);
}

TEST_F(HttpTlsTest, ClientPinnedToAnotherCaRefuses) {
  HttpServerOptions options;
  options.tls = TlsServerConfig{server_cert_.cert_pem, server_cert_.key_pem, ""};
  auto server = HttpServer::Start(options, Echo);
  ASSERT_TRUE(server.ok());
  auto other = crypto::CertificateAuthority::Create("other CA", 1);
  auto resp = HttpFetch({.url = Url(**server, "/", "https"), .ca_pem = other->files().cert_pem});
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kPermissionDenied) << resp.status().ToString();
}

TEST_F(HttpTlsTest, MutualTlsRequiresAClientCertificateFromTheCa) {
  HttpServerOptions options;
  options.tls = TlsServerConfig{server_cert_.cert_pem, server_cert_.key_pem, ca_->files().cert_pem};
  auto server = HttpServer::Start(options, Echo);
  ASSERT_TRUE(server.ok());
  std::string url = Url(**server, "/", "https");
  auto anonymous = HttpFetch({.url = url, .timeout = 5s, .ca_pem = ca_->files().cert_pem});
  EXPECT_FALSE(anonymous.ok());
  auto client = ca_->Issue({.common_name = "agent", .usage = crypto::CertUsage::kClient});
  ASSERT_TRUE(client.ok());
  auto resp = HttpFetch({.url = url,
                         .ca_pem = ca_->files().cert_pem,
                         .client_cert_pem = client->cert_pem,
                         .client_key_pem = client->key_pem});
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 200);
}

TEST_F(HttpTlsTest, OptionalClientCertificatesReachTheHandlerVerified) {
  HttpServerOptions options;
  options.tls = TlsServerConfig{.cert_pem = server_cert_.cert_pem,
                                .key_pem = server_cert_.key_pem,
                                .client_ca_pem = ca_->files().cert_pem,
                                .client_certs = ClientCerts::kOptional};
  auto server = HttpServer::Start(
      options, [](const HttpRequest& req) { return HttpResponse::Text(200, req.peer_cert_pem); });
  ASSERT_TRUE(server.ok());
  std::string url = Url(**server, "/", "https");
  auto anonymous = HttpFetch({.url = url, .ca_pem = ca_->files().cert_pem});
  ASSERT_TRUE(anonymous.ok()) << anonymous.status().ToString();
  EXPECT_EQ(anonymous->body, "");
  auto client = ca_->Issue({.common_name = "agent", .usage = crypto::CertUsage::kClient});
  ASSERT_TRUE(client.ok());
  auto with_cert = HttpFetch({.url = url,
                              .ca_pem = ca_->files().cert_pem,
                              .client_cert_pem = client->cert_pem,
                              .client_key_pem = client->key_pem});
  ASSERT_TRUE(with_cert.ok()) << with_cert.status().ToString();
  EXPECT_EQ(*crypto::CertificateFingerprint(with_cert->body),
            *crypto::CertificateFingerprint(client->cert_pem));
  // A certificate from another CA is refused at the handshake.
  auto other = crypto::CertificateAuthority::Create("other CA", 1);
  auto stranger = other->Issue({.common_name = "x", .usage = crypto::CertUsage::kClient});
  auto refused = HttpFetch({.url = url,
                            .timeout = 5s,
                            .ca_pem = ca_->files().cert_pem,
                            .client_cert_pem = stranger->cert_pem,
                            .client_key_pem = stranger->key_pem});
  EXPECT_FALSE(refused.ok());
}

TEST(HttpClientTest, ConnectionRefusedIsUnavailable) {
  // Find a port with nothing on it: start a server, note its port, stop it.
  auto server = HttpServer::Start({}, Echo);
  ASSERT_TRUE(server.ok());
  std::string url = Url(**server, "/");
  (*server)->Stop();
  server->reset();
  auto resp = HttpFetch({.url = url, .timeout = 2s});
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kUnavailable) << resp.status().ToString();
  EXPECT_NE(resp.status().message().find(url), std::string::npos);
}

TEST(HttpClientTest, TimeoutIsDeadlineExceeded) {
  auto server = HttpServer::Start({}, [](const HttpRequest&) {
    std::this_thread::sleep_for(1500ms);
    return HttpResponse::Text(200, "late");
  });
  ASSERT_TRUE(server.ok());
  auto resp = HttpFetch({.url = Url(**server, "/"), .timeout = 200ms});
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kDeadlineExceeded);
}

TEST(HttpClientTest, StreamsTheBodyAndCanStopEarly) {
  std::string big(256 * 1024, 'z');
  auto server =
      HttpServer::Start({}, [&](const HttpRequest&) { return HttpResponse::Text(200, big); });
  ASSERT_TRUE(server.ok());
  size_t seen = 0;
  auto all = HttpFetch({.url = Url(**server, "/"), .on_body = [&](std::string_view piece) {
                          seen += piece.size();
                          return true;
                        }});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(seen, big.size());
  EXPECT_TRUE(all->body.empty());
  size_t first = 0;
  auto stopped = HttpFetch({.url = Url(**server, "/"), .on_body = [&](std::string_view piece) {
                              first += piece.size();
                              return false;
                            }});
  EXPECT_TRUE(stopped.ok()) << stopped.status().ToString();
  EXPECT_LT(first, big.size());
}

TEST(HttpClientTest, MalformedUrlIsInvalidArgument) {
  auto resp = HttpFetch({.url = "ftp://127.0.0.1/x"});
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kInvalidArgument) << resp.status().ToString();
}

}  // namespace
}  // namespace coral::net

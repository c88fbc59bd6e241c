#include "agent/observers/ebpf_connections.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <optional>

#include "base/unique_fd.h"

namespace coral::agent {
namespace {

using namespace std::chrono_literals;

TEST(ConnEventTest, DecodesAddressesPortsAndOwner) {
  coral_conn_event raw{};
  raw.kind = CORAL_CONN_CLOSE;
  raw.origin = CORAL_CONN_ORIGIN_ACTIVE;
  raw.family = AF_INET6;
  raw.local_port = 40000;
  raw.remote_port = 443;
  inet_pton(AF_INET6, "fd00::1", raw.local_addr);
  inet_pton(AF_INET6, "fd00::2", raw.remote_addr);
  raw.netns = 4026531840u;
  raw.pid = 1234;
  std::memcpy(raw.comm, "curl", 4);
  raw.bytes_sent = 10;
  raw.bytes_received = 20;
  ConnEvent e = DecodeConnEvent(raw);
  EXPECT_EQ(e.kind, ConnEventKind::kClose);
  EXPECT_EQ(e.origin, ConnOrigin::kActive);
  EXPECT_EQ(e.local_address, "fd00::1");
  EXPECT_EQ(e.remote_address, "fd00::2");
  EXPECT_EQ(e.local_port, 40000);
  EXPECT_EQ(e.remote_port, 443);
  EXPECT_EQ(e.netns, 4026531840u);
  EXPECT_EQ(e.pid, 1234);
  EXPECT_EQ(e.comm, "curl");
  EXPECT_EQ(e.bytes_sent, 10u);
  EXPECT_EQ(e.bytes_received, 20u);
  EXPECT_EQ(ConnEventKindName(e.kind), "close");
}

uint16_t LocalPort(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

// Loads the program, makes one loopback connection that carries a known
// number of bytes each way, and expects its open and close events.
TEST(EbpfConnectionsTest, TracesALoopbackConnection) {
  if (!EbpfConnections::Built()) {
    GTEST_SKIP() << "eBPF support was not built: " << EbpfConnections::NotBuiltReason();
  }
  if (::geteuid() != 0) GTEST_SKIP() << "loading BPF programs needs root";
  auto tracer = EbpfConnections::Open();
  ASSERT_TRUE(tracer.ok()) << tracer.status().ToString();

  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_GE(listener.get(), 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listener.get(), 1), 0);
  uint16_t server_port = LocalPort(listener.get());
  addr.sin_port = htons(server_port);

  constexpr size_t kSent = 3000, kReplied = 700;
  uint16_t client_port = 0;
  {
    UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_GE(client.get(), 0);
    ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    client_port = LocalPort(client.get());
    UniqueFd server(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    ASSERT_GE(server.get(), 0);
    std::string out(kSent, 'x'), back(kReplied, 'y');
    ASSERT_EQ(::send(client.get(), out.data(), out.size(), 0), static_cast<ssize_t>(kSent));
    std::string in(kSent, '\0');
    ASSERT_EQ(::recv(server.get(), in.data(), in.size(), MSG_WAITALL), static_cast<ssize_t>(kSent));
    ASSERT_EQ(::send(server.get(), back.data(), back.size(), 0), static_cast<ssize_t>(kReplied));
    std::string in2(kReplied, '\0');
    ASSERT_EQ(::recv(client.get(), in2.data(), in2.size(), MSG_WAITALL),
              static_cast<ssize_t>(kReplied));
    // The client closes first, the server reads EOF and closes when the block
    // ends: the server's socket reaches TCP_CLOSE from LAST_ACK, the client's
    // when FIN_WAIT2 hands over to a time-wait socket.
    client.reset();
    char c;
    ASSERT_EQ(::recv(server.get(), &c, 1, 0), 0);
  }

  // Client side: local port client_port, remote server_port. Server side: the reverse.
  std::string seen;  // every event, for failure messages
  std::optional<ConnEvent> client_open, server_open, client_close, server_close;
  for (int i = 0; i < 50 && !(client_open && server_open && client_close && server_close); ++i) {
    auto events = tracer.value()->Poll(100ms);
    ASSERT_TRUE(events.ok()) << events.status().ToString();
    for (auto& e : *events) {
      seen += ConnEventKindName(e.kind);
      seen += " " + e.local_address + ":" + std::to_string(e.local_port) + " -> " +
              e.remote_address + ":" + std::to_string(e.remote_port) + "; ";
      if (e.local_address != "127.0.0.1" || e.remote_address != "127.0.0.1") continue;
      bool client_side = e.local_port == client_port && e.remote_port == server_port;
      bool server_side = e.local_port == server_port && e.remote_port == client_port;
      if (!client_side && !server_side) continue;
      auto& slot = e.kind == ConnEventKind::kOpen ? (client_side ? client_open : server_open)
                                                  : (client_side ? client_close : server_close);
      slot = e;
    }
  }
  ASSERT_TRUE(client_open) << "no open event for the client side; saw " << seen;
  ASSERT_TRUE(server_open) << "no open event for the server side";
  ASSERT_TRUE(client_close) << "no close event for the client side";
  ASSERT_TRUE(server_close) << "no close event for the server side";

  EXPECT_EQ(client_open->family, AF_INET);
  EXPECT_EQ(client_open->origin, ConnOrigin::kActive);
  EXPECT_EQ(client_open->pid, ::getpid());
  EXPECT_FALSE(client_open->comm.empty());
  EXPECT_EQ(server_open->origin, ConnOrigin::kPassive);
  EXPECT_EQ(server_open->pid, 0);
  EXPECT_EQ(client_close->pid, ::getpid());
  EXPECT_NE(client_open->netns, 0u);
  EXPECT_EQ(server_open->netns, client_open->netns);

  // The counters are tcp_sock's bytes_acked and bytes_received, which follow
  // snd_una and rcv_nxt: the SYN the client sent and the FIN each side got or
  // sent take one sequence number each, so they may add up to 2 over payload.
  auto payload_plus_control = [](uint64_t counted, uint64_t payload) {
    return counted >= payload && counted <= payload + 2;
  };
  EXPECT_PRED2(payload_plus_control, client_close->bytes_sent, kSent);
  EXPECT_PRED2(payload_plus_control, client_close->bytes_received, kReplied);
  EXPECT_PRED2(payload_plus_control, server_close->bytes_sent, kReplied);
  EXPECT_PRED2(payload_plus_control, server_close->bytes_received, kSent);
}

TEST(EbpfConnectionsTest, OpenSaysWhyWhenNotBuilt) {
  if (EbpfConnections::Built()) GTEST_SKIP() << "eBPF support is built into this binary";
  auto tracer = EbpfConnections::Open();
  ASSERT_FALSE(tracer.ok());
  EXPECT_NE(tracer.status().message().find("not built"), std::string::npos);
}

}  // namespace
}  // namespace coral::agent

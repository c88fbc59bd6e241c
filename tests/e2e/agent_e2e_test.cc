// The agent on this host, as users run it (`coral agent start --foreground`),
// against real listeners: it must report them with the right pid, port and
// name, see a connection between two of them, record host metrics, and mark a
// stopped service unhealthy within two health-check intervals.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <map>
#include <nlohmann/json.hpp>

#include <cstring>
#include <optional>
#include <thread>

#include "../eventually.h"
#include "../free_port.h"
#include "../grpc_bomb.h"
#include "../sockets.h"
#include "base/descriptors.h"
#include "base/files.h"
#include "base/ids.h"
#include "base/subprocess.h"
#include "base/temp_dir.h"
#include "cli/agent_client.h"
#include "config/home.h"
#include "net/http_client.h"

namespace coral {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

constexpr char kEchoServer[] = R"py(
import socket, sys, threading
port, http_port = int(sys.argv[1]), int(sys.argv[2])
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port)); srv.listen(8)
peer = socket.create_connection(("127.0.0.1", http_port))  # held open: an edge to http.server
print("ready", flush=True)
def serve(c):
    while True:
        d = c.recv(4096)
        if not d: break
        c.sendall(d)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
)py";

class AgentE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = std::filesystem::temp_directory_path() / ("coral-agent-e2e-" + RandomHex(6));
    ASSERT_TRUE(MakeDirs(home_, FileMode::kPrivate).ok());
    api_port_ = FreePort();
    otlp_grpc_port_ = FreePort();
    otlp_http_port_ = FreePort();
  }
  void TearDown() override { (void)RemoveAll(home_); }

  // `wrapper` runs the agent under another command (prlimit ... --).
  Subprocess StartAgent(std::map<std::string, std::string> extra_env = {},
                        std::vector<std::string> wrapper = {}) {
    SubprocessOptions o;
    o.argv = std::move(wrapper);
    for (const char* arg : {CORAL_BINARY, "agent", "start", "--foreground", "-o", "json"}) {
      o.argv.push_back(arg);
    }
    o.env = {{"CORAL_HOME", home_.string()},
             {"CORAL_AGENT_API_GRPC_PORT", std::to_string(api_port_)},
             {"CORAL_AGENT_OTLP_GRPC_PORT", std::to_string(otlp_grpc_port_)},
             {"CORAL_AGENT_OTLP_HTTP_PORT", std::to_string(otlp_http_port_)},
             {"CORAL_AGENT_DISCOVERY_INTERVAL", "500ms"},
             {"CORAL_AGENT_HEALTH_INTERVAL", "500ms"},
             {"CORAL_AGENT_HEALTH_TIMEOUT", "300ms"},
             {"CORAL_AGENT_HOST_METRICS_INTERVAL", "1s"}};
    o.env.insert(extra_env.begin(), extra_env.end());
    auto p = Subprocess::Start(o);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_TRUE(p->WaitForOutput("\"agent_id\"", 60s)) << p->stderr_data();
    return std::move(*p);
  }
  std::string Address() const { return "127.0.0.1:" + std::to_string(api_port_); }

  // One page of an agent table through its API, with its token; nothing
  // when the call fails.
  std::optional<coral::v1::QueryTableResponse> QueryTable(const std::string& table,
                                                          int64_t after_seq = 0) const {
    auto stub = coral::v1::AgentService::NewStub(
        grpc::CreateChannel(Address(), grpc::InsecureChannelCredentials()));
    std::string token = *ReadFile(home_ / "agent" / "api.token");
    token.pop_back();
    coral::v1::QueryTableRequest req;
    req.set_table(table);
    req.set_after_seq(after_seq);
    req.set_limit(100000);
    coral::v1::QueryTableResponse resp;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + token);
    if (!stub->QueryTable(&ctx, req, &resp).ok()) return std::nullopt;
    return resp;
  }

  // Every span in the agent's store, by paging its spans table to the end;
  // -1 when a call fails.
  int64_t StoredSpans() const {
    int64_t rows = 0, after = 0;
    for (int pages = 0; pages < 1000; ++pages) {
      auto page = QueryTable("spans", after);
      if (!page) return -1;
      rows += page->rows_size();
      after = page->next_seq();
      if (!page->more()) break;
    }
    return rows;
  }

  std::filesystem::path home_;
  int api_port_ = 0;
  int otlp_grpc_port_ = 0;
  int otlp_http_port_ = 0;
};

TEST_F(AgentE2eTest, SeesRealServicesConnectionsMetricsAndHealth) {
  int http_port = FreePort();
  int echo_port = FreePort();
  SubprocessOptions http;
  http.argv = {"python3", "-m", "http.server", std::to_string(http_port), "--bind", "127.0.0.1"};
  http.stdout_mode = Capture::kDiscard;
  http.stderr_mode = Capture::kDiscard;
  auto http_proc = Subprocess::Start(http);
  ASSERT_TRUE(http_proc.ok()) << http_proc.status().ToString();
  // Wait until the HTTP server listens, then start the echo server that connects to it.
  ASSERT_TRUE(Eventually(
      [&] {
        return RunCommand({"python3", "-c",
                           "import socket; socket.create_connection(('127.0.0.1', " +
                               std::to_string(http_port) + "))"},
                          5s)
            ->exit.ok();
      },
      20s));
  auto script = home_ / "echo_server.py";
  ASSERT_TRUE(WriteFileAtomic(script, kEchoServer, FileMode::kPublic).ok());
  SubprocessOptions echo;
  echo.argv = {"python3", script.string(), std::to_string(echo_port), std::to_string(http_port)};
  auto echo_proc = Subprocess::Start(echo);
  ASSERT_TRUE(echo_proc.ok());
  ASSERT_TRUE(echo_proc->WaitForOutput("ready", 20s)) << echo_proc->stderr_data();

  Subprocess agent = StartAgent();
  auto client = cli::AgentClient::Open(config::Home(home_), Address());
  ASSERT_TRUE(client.ok()) << client.status().ToString();

  // 1. Both listeners, with the right pid, port and name.
  auto find = [&](int port) -> std::optional<coral::v1::ServiceInfo> {
    auto list = client->ListServices();
    if (!list.ok()) return std::nullopt;
    for (const auto& s : list->services()) {
      if (s.port() == port) return s;
    }
    return std::nullopt;
  };
  ASSERT_TRUE(Eventually([&] { return find(http_port) && find(echo_port); }, 10s));
  auto web = *find(http_port);
  EXPECT_EQ(web.name(), "http.server");
  EXPECT_EQ(web.pid(), http_proc->pid());
  EXPECT_EQ(web.transport(), "tcp");
  auto echo_svc = *find(echo_port);
  EXPECT_EQ(echo_svc.name(), "echo_server");
  EXPECT_EQ(echo_svc.pid(), echo_proc->pid());

  // 2. The connection from the echo server to the HTTP server, both ends.
  auto query = [&](const std::string& table) {
    auto page = QueryTable(table);
    EXPECT_TRUE(page.has_value());
    return page.value_or(coral::v1::QueryTableResponse{});
  };
  auto col = [](const coral::v1::QueryTableResponse& r, const std::string& name) {
    for (int i = 0; i < r.columns_size(); ++i) {
      if (r.columns(i) == name) return i;
    }
    return -1;
  };
  bool client_side = false, server_side = false;
  ASSERT_TRUE(Eventually(
      [&] {
        auto conns = query("connections");
        int pid = col(conns, "pid"), rport = col(conns, "remote_port"),
            lport = col(conns, "local_port"), proc = col(conns, "process");
        for (const auto& row : conns.rows()) {
          if (row.values(pid).int_value() == echo_proc->pid() &&
              row.values(rport).int_value() == http_port) {
            client_side = row.values(proc).string_value() == "echo_server";
          }
          if (row.values(pid).int_value() == http_proc->pid() &&
              row.values(lport).int_value() == http_port) {
            server_side = row.values(proc).string_value() == "http.server";
          }
        }
        return client_side && server_side;
      },
      10s));

  // 3. Host metrics, including CPU once two samples exist.
  ASSERT_TRUE(Eventually(
      [&] {
        auto m = query("host_metrics");
        int name = col(m, "name");
        for (const auto& row : m.rows()) {
          if (row.values(name).string_value() == "cpu.percent") return true;
        }
        return false;
      },
      10s));

  // 4. A connected service turns unhealthy within two intervals once stopped.
  auto connected = client->Connect("web", http_port, "/");
  ASSERT_TRUE(connected.ok()) << connected.status().ToString();
  EXPECT_EQ(connected->health(), "healthy");
  EXPECT_EQ(connected->pid(), http_proc->pid());
  http_proc->Kill(SIGKILL);
  ASSERT_TRUE(http_proc->Wait(10s).ok());
  // Two intervals are 1 s; the wait allows scheduling slack on a loaded machine.
  ASSERT_TRUE(Eventually(
      [&] {
        auto s = find(http_port);
        return s && s->health() == "unhealthy";
      },
      5s));
  auto events = query("health_events");
  int healthy = col(events, "healthy"), reason = col(events, "reason");
  ASSERT_GE(events.rows_size(), 2);
  EXPECT_TRUE(events.rows(0).values(healthy).bool_value());
  EXPECT_FALSE(events.rows(events.rows_size() - 1).values(healthy).bool_value());
  EXPECT_EQ(events.rows(events.rows_size() - 1).values(reason).string_value(),
            "connection refused");

  // The explicit service survives an agent restart.
  agent.Kill(SIGTERM);
  ASSERT_TRUE(agent.Wait(30s).ok());
  Subprocess again = StartAgent();
  auto client2 = cli::AgentClient::Open(config::Home(home_), Address());
  ASSERT_TRUE(Eventually(
      [&] {
        auto list = client2->ListServices();
        if (!list.ok()) return false;
        for (const auto& s : list->services()) {
          if (s.name() == "web" && s.source() == "explicit") return true;
        }
        return false;
      },
      10s));
}

// A secret passed on a process's command line (here a password, an API key,
// an environment-style pair and an operator's own pattern) is redacted before
// the agent stores the process: no table holds it.
TEST_F(AgentE2eTest, SecretsOnCommandLinesAreRedactedBeforeTheyAreStored) {
  SubprocessOptions o;
  o.argv = {"python3",     "-c",         "import time; time.sleep(600)", "--password=hunter2",
            "--api-key",   "k-SECRET-1", "DB_PASSWORD=pw-SECRET-2",      "--license",
            "LIC-SECRET-3"};
  auto victim = Subprocess::Start(o);
  ASSERT_TRUE(victim.ok()) << victim.status().ToString();
  Subprocess agent = StartAgent({{"CORAL_AGENT_REDACT_PATTERNS", "LIC-[A-Z0-9-]+"}});
  std::string stored;
  ASSERT_TRUE(Eventually(
      [&] {
        auto resp = QueryTable("processes");
        if (!resp) return false;
        stored = resp->DebugString();
        for (const auto& row : resp->rows()) {
          for (const auto& v : row.values()) {
            if (v.string_value().find("time.sleep(600)") != std::string::npos) {
              stored = v.string_value();
              return true;
            }
          }
        }
        return false;
      },
      20s));
  // argv[0] is whichever python3 PATH found.
  EXPECT_TRUE(stored.ends_with(
      "python3 -c import time; time.sleep(600) --password=<redacted> --api-key <redacted> "
      "DB_PASSWORD=<redacted> --license <redacted>"))
      << stored;
  victim->Kill(SIGKILL);
}

// Compressed bombs (1 GB of zeros in 1 MB) to both of the agent's gRPC ports,
// without any token: the API refuses compressed calls before reading them,
// OTLP inflates with a ceiling; the agent's peak memory hardly moves, where
// it grew by gigabytes when gRPC inflated them.
TEST_F(AgentE2eTest, CompressedBombsDoNotInflateTheAgent) {
  Subprocess agent = StartAgent();
  TempDir dir("coral-agent-bomb");
  testkit::WriteGrpcGzipBomb(dir.path() / "bomb", size_t{1} << 30);
  testkit::ResetPeakRss(agent.pid());
  long before = testkit::PeakRssMb(agent.pid());
  std::string api = testkit::PostGrpcFrame(Address(), "/coral.v1.AgentService/GetRuntimeContext",
                                           dir.path() / "bomb");
  std::string otlp = testkit::PostGrpcFrame(
      "127.0.0.1:" + std::to_string(otlp_grpc_port_),
      "/opentelemetry.proto.collector.trace.v1.TraceService/Export", dir.path() / "bomb");
  long grew = testkit::PeakRssMb(agent.pid()) - before;
  EXPECT_TRUE(testkit::RefusedUnread(api)) << api;
  EXPECT_NE(otlp.find("grpc-status: 8"), std::string::npos) << otlp;
  EXPECT_LT(grew, 150) << "MB";
  // Still serving.
  auto client = cli::AgentClient::Open(config::Home(home_), Address());
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE(client->ListServices().ok());
}

// About a thousand silent connections used to take an agent's listeners down
// until restart: accept failed with EMFILE, the HTTP loop retried at once and
// logged each failure, gRPC stopped accepting for good. Under a descriptor
// limit of 256, floods of silent connections: OTLP/HTTP holds at its cap (half
// the descriptors) so the API still answers; the API's own port runs the
// agent out, and its listener comes back once the flood is gone; the log
// stays small throughout.
TEST_F(AgentE2eTest, ConnectionFloodsDoNotTakeTheAgentDown) {
  RaiseDescriptorLimit();  // this process holds both floods
  Subprocess agent = StartAgent({}, {"prlimit", "--nofile=256:256", "--"});
  auto answers = [&] {
    auto client = cli::AgentClient::Open(config::Home(home_), Address());
    return client.ok() && client->ListServices().ok();
  };
  testkit::Sockets flood;
  auto flood_port = [&](int port) {
    for (int i = 0; i < 400; ++i) {
      int fd = testkit::ConnectFrom("127.0.0." + std::to_string(2 + i % 100), port);
      if (fd >= 0) flood.fds.push_back(fd);
    }
  };
  flood_port(otlp_http_port_);
  EXPECT_TRUE(answers());
  flood_port(api_port_);
  std::this_thread::sleep_for(2s);
  flood.CloseAll();
  EXPECT_TRUE(Eventually(answers, 90s, 1s)) << agent.stderr_data();
  auto otlp =
      net::HttpFetch({.method = "POST",
                      .url = "http://127.0.0.1:" + std::to_string(otlp_http_port_) + "/v1/traces",
                      .headers = {{"Content-Type", "application/x-protobuf"}},
                      .timeout = 10s});
  ASSERT_TRUE(otlp.ok()) << otlp.status().ToString();
  EXPECT_EQ(otlp->status, 200) << otlp->body;
  EXPECT_LT(agent.stderr_data().size(), size_t{256} << 10) << agent.stderr_data().substr(0, 4096);
  EXPECT_TRUE(agent.Running());
}

// The agent's store on a small filesystem that fills up (chaos): OTLP is
// answered "unavailable, retry" with the reason while the disk is full, the
// agent keeps running, and once space returns it takes spans again; every
// span it accepted is stored once, also after a kill -9 and restart.
TEST_F(AgentE2eTest, AFullDiskIsRefusedClearlyAndRecovers) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
  ASSERT_EQ(::mount("tmpfs", home_.c_str(), "tmpfs", 0, "size=64m,mode=0700"), 0)
      << std::strerror(errno);
  struct Unmount {
    std::filesystem::path at;
    ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
  } unmount{home_};
  std::optional<Subprocess> agent(StartAgent({{"CORAL_AGENT_OTLP_SAMPLING_KEEP_PERCENT", "100"}}));
  // Leave the store about 8 MB.
  struct statvfs fs {};
  ASSERT_EQ(::statvfs(home_.c_str(), &fs), 0);
  const auto free_bytes = static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize);
  ASSERT_EQ(std::system(("fallocate -l " + std::to_string(free_bytes - (8 << 20)) + " " +
                         (home_ / "filler").string())
                            .c_str()),
            0);
  auto send = [&](int batch) {
    std::string body =
        R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":)"
        R"({"stringValue":"filler"}}]},"scopeSpans":[{"spans":[)";
    for (int i = 0; i < 200; ++i) {
      char trace[40], span[24];
      std::snprintf(trace, sizeof(trace), "%016x%016x", batch + 1, i + 1);
      std::snprintf(span, sizeof(span), "%08x%08x", batch + 1, i + 1);
      body += std::string(i ? "," : "") + R"({"traceId":")" + trace + R"(","spanId":")" + span +
              R"(","name":"GET /","startTimeUnixNano":"1700000000000000000",)" +
              R"("endTimeUnixNano":"1700000000001000000","attributes":[{"key":"pad","value":)" +
              R"({"stringValue":")" + RandomHex(1000) + R"("}}]})";
    }
    body += "]}]}]}";
    return net::HttpFetch(
        {.method = "POST",
         .url = "http://127.0.0.1:" + std::to_string(otlp_http_port_) + "/v1/traces",
         .headers = {{"Content-Type", "application/json"}},
         .body = body,
         .timeout = 30s});
  };
  int64_t accepted = 0;
  std::optional<net::HttpClientResponse> refused;
  for (int batch = 0; batch < 400 && !refused; ++batch) {
    auto r = send(batch);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (r->status == 200) {
      accepted += 200;
    } else {
      refused = *r;
    }
  }
  ASSERT_TRUE(refused) << "the disk never filled";
  EXPECT_EQ(refused->status, 503) << refused->body;
  EXPECT_NE(refused->body.find("No space left on device"), std::string::npos) << refused->body;
  EXPECT_FALSE(refused->header("Retry-After").empty());
  EXPECT_TRUE(agent->Running()) << agent->stderr_data();

  std::filesystem::remove(home_ / "filler");
  EXPECT_TRUE(Eventually(
      [&] {
        auto r = send(1000);
        if (r.ok() && r->status == 200) accepted += 200;
        return r.ok() && r->status == 200;
      },
      30s, 1s));
  EXPECT_EQ(StoredSpans(), accepted);
  agent->Kill(SIGKILL);
  agent.reset();
  agent.emplace(StartAgent({{"CORAL_AGENT_OTLP_SAMPLING_KEEP_PERCENT", "100"}}));
  EXPECT_EQ(StoredSpans(), accepted);
}

TEST_F(AgentE2eTest, RejectsCallsWithoutTheToken) {
  Subprocess agent = StartAgent();
  auto stub = coral::v1::AgentService::NewStub(
      grpc::CreateChannel(Address(), grpc::InsecureChannelCredentials()));
  for (const char* header : {"", "Bearer wrong", "Basic abc"}) {
    grpc::ClientContext ctx;
    if (*header) ctx.AddMetadata("authorization", header);
    coral::v1::ListServicesResponse resp;
    auto s = stub->ListServices(&ctx, {}, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << header;
    EXPECT_EQ(resp.services_size(), 0);
  }
  EXPECT_EQ(*FilePermissions(home_ / "agent" / "api.token"), 0600u);
}

TEST_F(AgentE2eTest, DaemonStartStatusStop) {
  SubprocessOptions o;
  o.env = {{"CORAL_HOME", home_.string()},
           {"CORAL_AGENT_API_GRPC_PORT", std::to_string(api_port_)},
           {"CORAL_AGENT_OTLP_GRPC_PORT", std::to_string(otlp_grpc_port_)},
           {"CORAL_AGENT_OTLP_HTTP_PORT", std::to_string(otlp_http_port_)}};
  auto coral = [&](std::vector<std::string> args) {
    o.argv = {CORAL_BINARY};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    auto p = Subprocess::Start(o);
    EXPECT_TRUE(p.ok());
    auto exit = p->Wait(60s);
    return std::make_tuple(exit.ok() ? exit->exit_code : -1, p->stdout_data(), p->stderr_data());
  };
  auto [code, out, err] = coral({"agent", "start", "-o", "json"});
  ASSERT_EQ(code, 0) << err;
  int pid = Json::parse(out)["pid"];
  auto [code2, out2, err2] = coral({"agent", "start"});
  EXPECT_EQ(code2, 1);
  EXPECT_NE(err2.find("already running"), std::string::npos) << err2;
  auto [code3, out3, err3] = coral({"agent", "status", "-o", "json"});
  ASSERT_EQ(code3, 0) << err3;
  EXPECT_EQ(Json::parse(out3)["running"], true);
  // eBPF when this agent was built with it and the kernel let it load, else
  // sock_diag with the reason; either way the two fields agree.
  Json status = Json::parse(out3);
  if (status["ebpf"] == true) {
    EXPECT_EQ(status["connections"], "ebpf");
    EXPECT_EQ(status["ebpf_programs"], Json::array({"tp_btf/inet_sock_set_state"}));
  } else {
    EXPECT_EQ(status["connections"], "sock_diag");
    EXPECT_NE(status["ebpf_note"], "") << out3;
  }
  Json otlp = Json::parse(out3)["otlp"];
  EXPECT_EQ(otlp["grpc"], "127.0.0.1:" + std::to_string(otlp_grpc_port_));
  EXPECT_EQ(otlp["http"], "http://127.0.0.1:" + std::to_string(otlp_http_port_));
  EXPECT_EQ(otlp["spans_received"], 0);
  auto [code4, out4, err4] = coral({"agent", "stop", "-o", "json"});
  ASSERT_EQ(code4, 0) << err4;
  EXPECT_EQ(Json::parse(out4)["stopped"], true);
  EXPECT_NE(::kill(pid, 0), 0);
  auto [code5, out5, err5] = coral({"services"});
  EXPECT_EQ(code5, 1);
  EXPECT_NE(err5.find("coral agent start"), std::string::npos) << err5;
}

TEST_F(AgentE2eTest, RefusesToStartWhenAnOtlpPortIsTaken) {
  // Something else (another agent, a Collector) already listens on the OTLP/HTTP port.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(otlp_http_port_));
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  SubprocessOptions o;
  o.argv = {CORAL_BINARY, "agent", "start", "--foreground"};
  o.env = {{"CORAL_HOME", home_.string()},
           {"CORAL_AGENT_API_GRPC_PORT", std::to_string(api_port_)},
           {"CORAL_AGENT_OTLP_GRPC_PORT", std::to_string(otlp_grpc_port_)},
           {"CORAL_AGENT_OTLP_HTTP_PORT", std::to_string(otlp_http_port_)}};
  auto p = Subprocess::Start(o);
  ASSERT_TRUE(p.ok());
  auto exit = p->Wait(60s);
  ::close(fd);
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->exit_code, 1);
  EXPECT_NE(p->stderr_data().find("OTLP"), std::string::npos) << p->stderr_data();
  EXPECT_NE(p->stderr_data().find(std::to_string(otlp_http_port_)), std::string::npos)
      << p->stderr_data();
  EXPECT_NE(p->stderr_data().find("CORAL_AGENT_OTLP_HTTP_PORT"), std::string::npos)
      << p->stderr_data();
}

TEST_F(AgentE2eTest, TracesConnectionsWithEbpf) {
  Subprocess agent = StartAgent();
  auto client = cli::AgentClient::Open(config::Home(home_), Address());
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto rc = client->RuntimeContext();
  ASSERT_TRUE(rc.ok()) << rc.status().ToString();
  if (!rc->capabilities().ebpf()) {
    GTEST_SKIP() << "the agent uses " << rc->capabilities().connection_method() << ": "
                 << rc->capabilities().connection_method_reason();
  }
  EXPECT_EQ(rc->capabilities().connection_method(), "ebpf");

  // A connection made while the agent runs, from this process to itself.
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int server_port = ntohs(addr.sin_port);
  int conn = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(conn, 0);
  ASSERT_EQ(::connect(conn, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  sockaddr_in local{};
  len = sizeof(local);
  ASSERT_EQ(::getsockname(conn, reinterpret_cast<sockaddr*>(&local), &len), 0);
  int client_port = ntohs(local.sin_port);
  int accepted = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(accepted, 0);
  constexpr int kBytes = 1234;
  std::string payload(kBytes, 'z');
  ASSERT_EQ(::send(conn, payload.data(), payload.size(), 0), kBytes);
  ASSERT_EQ(::recv(accepted, payload.data(), payload.size(), MSG_WAITALL), kBytes);
  ::close(conn);
  char c;
  ASSERT_EQ(::recv(accepted, &c, 1, 0), 0);
  ::close(accepted);
  ::close(listener);

  bool client_open = false, server_open = false, client_close = false;
  ASSERT_TRUE(Eventually(
      [&] {
        auto page = QueryTable("connections");
        if (!page) return false;
        const coral::v1::QueryTableResponse& r = *page;
        std::map<std::string, int> col;
        for (int i = 0; i < r.columns_size(); ++i) col[r.columns(i)] = i;
        for (const auto& row : r.rows()) {
          auto str = [&](const char* name) { return row.values(col.at(name)).string_value(); };
          auto num = [&](const char* name) { return row.values(col.at(name)).int_value(); };
          if (str("method") != "ebpf") continue;
          bool client_side = num("local_port") == client_port && num("remote_port") == server_port;
          bool server_side = num("local_port") == server_port && num("remote_port") == client_port;
          if (client_side && str("event") == "open") {
            client_open = num("pid") == ::getpid() && str("local_address") == "127.0.0.1";
          }
          if (server_side && str("event") == "open") server_open = true;
          if (client_side && str("event") == "close") {
            // bytes_acked counts the SYN and FIN sequence numbers too.
            client_close = num("bytes_sent") >= kBytes && num("bytes_sent") <= kBytes + 2 &&
                           num("pid") == ::getpid();
          }
        }
        return client_open && server_open && client_close;
      },
      10s))
      << "client open " << client_open << ", server open " << server_open << ", client close "
      << client_close;
}

}  // namespace
}  // namespace coral

#include "agent/observers/procfs.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "agent/observers/service_discovery.h"
#include "base/files.h"
#include "base/ids.h"

namespace coral::agent {
namespace {

// Builds a procfs-shaped folder for tests.
class FakeProc {
 public:
  FakeProc() {
    root_ = std::filesystem::temp_directory_path() / ("coral-proc-" + RandomHex(6));
    Write("stat", "cpu  1 2 3 4\nbtime 1700000000\nprocesses 9\n");
  }
  ~FakeProc() { (void)RemoveAll(root_); }
  const std::filesystem::path& root() const { return root_; }

  void Write(const std::string& rel, const std::string& text) {
    auto path = root_ / rel;
    EXPECT_TRUE(MakeDirs(path.parent_path(), FileMode::kPublic).ok());
    EXPECT_TRUE(WriteFileAtomic(path, text, FileMode::kPublic).ok());
  }
  void Link(const std::string& rel, const std::string& target) {
    auto path = root_ / rel;
    EXPECT_TRUE(MakeDirs(path.parent_path(), FileMode::kPublic).ok());
    std::filesystem::create_symlink(target, path);
  }
  // A process with the given argv; stat has utime 100, stime 50, rss 256 pages.
  void AddProcess(pid_t pid, pid_t ppid, const std::string& exe, std::vector<std::string> argv,
                  std::string env = "", std::string cgroup = "0::/user.slice\n",
                  uint64_t netns = 4026531840) {
    std::string d = std::to_string(pid);
    std::string comm = exe.substr(exe.rfind('/') + 1).substr(0, 15);
    Write(d + "/stat", d + " (" + comm + ") S " + std::to_string(ppid) +
                           " 1 1 0 -1 4194560 100 0 0 0 100 50 0 0 20 0 1 0 5000 1000000 256 "
                           "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n");
    std::string cmd;
    for (const auto& a : argv) cmd += a + std::string(1, '\0');
    Write(d + "/cmdline", cmd);
    Write(d + "/status", "Name:\t" + comm + "\nUmask:\t0022\nState:\tS\nUid:\t1000\t1000\t1000\t1000\n");
    Write(d + "/cgroup", cgroup);
    Write(d + "/environ", env);
    Link(d + "/exe", exe);
    Link(d + "/ns/net", "net:[" + std::to_string(netns) + "]");
    std::filesystem::create_directories(root_ / d / "fd");
  }

 private:
  std::filesystem::path root_;
};

// Header line of /proc/net/tcp.
constexpr char kTcpHeader[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
    "inode\n";

TEST(ProcFsTest, ParsesStatWithAwkwardComm) {
  auto p = ParseStat(
      "42 (my (odd) proc) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 999 100 10 0 0\n");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->pid, 42);
  EXPECT_EQ(p->comm, "my (odd) proc");
  EXPECT_EQ(p->ppid, 1);
  EXPECT_EQ(p->cpu_ticks, 10u);
  EXPECT_EQ(p->start_ticks, 999u);
  EXPECT_EQ(p->rss_bytes, 10u * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)));
  EXPECT_FALSE(ParseStat("garbage").ok());
  EXPECT_FALSE(ParseStat("1 (x) S 1 2").ok());
}

TEST(ProcFsTest, DecodesKernelAddresses) {
  EXPECT_EQ(DecodeProcAddress("0100007F"), "127.0.0.1");
  EXPECT_EQ(DecodeProcAddress("00000000"), "0.0.0.0");
  EXPECT_EQ(DecodeProcAddress("00000000000000000000000001000000"), "::1");
  EXPECT_EQ(DecodeProcAddress("0000000000000000FFFF00000100007F"), "::ffff:127.0.0.1");
  EXPECT_EQ(DecodeProcAddress("xyz"), "");
}

TEST(ProcFsTest, ParsesNetTcpRows) {
  std::string text = std::string(kTcpHeader) +
                     "   0: 00000000:223D 00000000:0000 0A 00000000:00000000 00:00000000 00000000  "
                     "1000        0 5555 1 0000000000000000 100 0 0 10 0\n"
                     "   1: 0100007F:9C40 0100007F:223D 01 00000000:00000000 00:00000000 00000000  "
                     "1000        0 6666 1 0000000000000000 20 4 30 10 -1\n"
                     "   2: broken line\n";
  auto rows = ParseNetFile(text, Transport::kTcp, false);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].local_address, "0.0.0.0");
  EXPECT_EQ(rows[0].local_port, 8765);
  EXPECT_EQ(rows[0].state, kTcpListen);
  EXPECT_EQ(rows[0].inode, 5555u);
  EXPECT_EQ(rows[0].uid, 1000u);
  EXPECT_EQ(rows[1].remote_port, 8765);
  EXPECT_EQ(rows[1].local_port, 40000);
  EXPECT_EQ(rows[1].state, kTcpEstablished);
}

TEST(ProcFsTest, ContainerIdsFromCommonRuntimes) {
  std::string id(64, 'a');
  id[10] = '0';
  EXPECT_EQ(ContainerIdFromCgroup("/system.slice/docker-" + id + ".scope"), id);
  EXPECT_EQ(ContainerIdFromCgroup("/docker/" + id), id);
  EXPECT_EQ(ContainerIdFromCgroup("/kubepods.slice/kubepods-pod1.slice/cri-containerd-" + id +
                                  ".scope"),
            id);
  EXPECT_EQ(ContainerIdFromCgroup("/user.slice/user-1000.slice/session-2.scope"), "");
  EXPECT_EQ(ContainerIdFromCgroup("/x/" + std::string(63, 'b')), "");
}

TEST(ProcFsTest, ReadsAProcessFromAFixtureTree) {
  FakeProc proc;
  std::string cid(64, 'c');
  proc.AddProcess(4321, 1, "/usr/bin/python3.11", {"python3", "-m", "http.server", "8765"},
                  std::string("PATH=/bin\0OTEL_SERVICE_NAME=catalog\0", 35),
                  "0::/system.slice/docker-" + cid + ".scope\n", 4026532000);
  ProcFs fs(proc.root());
  EXPECT_EQ(fs.ListPids(), std::vector<pid_t>{4321});
  auto p = fs.ReadProcess(4321);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->ppid, 1);
  EXPECT_EQ(p->exe, "/usr/bin/python3.11");
  EXPECT_EQ(p->cmdline, (std::vector<std::string>{"python3", "-m", "http.server", "8765"}));
  EXPECT_EQ(p->uid, 1000u);
  EXPECT_EQ(p->cpu_ticks, 150u);
  EXPECT_EQ(p->start_ticks, 5000u);
  EXPECT_EQ(p->container_id, cid);
  EXPECT_EQ(p->netns, 4026532000u);
  EXPECT_EQ(fs.ReadEnv(4321, "OTEL_SERVICE_NAME"), "catalog");
  EXPECT_EQ(fs.ReadEnv(4321, "HOME"), std::nullopt);
  EXPECT_EQ(fs.ReadProcess(999).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*fs.BootTime(), 1700000000);
}

TEST(ProcFsTest, MapsSocketsToOwnersAndNamespaces) {
  FakeProc proc;
  proc.AddProcess(10, 1, "/usr/bin/redis-server", {"redis-server", "*:6379"});
  proc.AddProcess(20, 1, "/usr/bin/node", {"node", "--enable-source-maps", "/srv/api/server.js"});
  proc.Link("10/fd/3", "socket:[7001]");
  proc.Link("20/fd/4", "socket:[7002]");
  proc.Link("20/fd/5", "/dev/null");
  proc.Write("10/net/tcp", std::string(kTcpHeader) +
                               "   0: 00000000:18EB 00000000:0000 0A 00000000:00000000 00:00000000 "
                               "00000000     0        0 7001 1 0 100 0 0 10 0\n");
  proc.Write("10/net/tcp6", std::string(kTcpHeader) +
                                "   0: 00000000000000000000000000000000:0BB8 "
                                "00000000000000000000000000000000:0000 0A 00000000:00000000 "
                                "00:00000000 00000000     0        0 7002 1 0 100 0 0 10 0\n");
  ProcFs fs(proc.root());
  auto owners = fs.SocketOwners();
  EXPECT_EQ(owners.size(), 2u);
  EXPECT_EQ(owners[7001], 10);
  EXPECT_EQ(owners[7002], 20);
  auto sockets = fs.ReadSockets(10);
  ASSERT_EQ(sockets.size(), 2u);

  std::map<pid_t, ProcessInfo> processes = {{10, *fs.ReadProcess(10)}, {20, *fs.ReadProcess(20)}};
  std::vector<Listener> listeners;
  for (const auto& s : sockets) listeners.push_back({s, owners[s.inode]});
  auto services = DeriveServices(processes, listeners, {}, {});
  ASSERT_EQ(services.size(), 2u);
  EXPECT_EQ(services[0].name, "redis-server");
  EXPECT_EQ(services[0].port, 6379);
  EXPECT_EQ(services[0].protocol, "redis");
  EXPECT_EQ(services[0].pid, 10);
  EXPECT_EQ(services[1].name, "server");  // the script, not "node"
  EXPECT_EQ(services[1].port, 3000);
  EXPECT_EQ(services[1].address, "::");
}

TEST(ServiceDiscoveryTest, NamesFromScriptsModulesAndJars) {
  auto name = [](std::string exe, std::vector<std::string> argv) {
    ProcessInfo p;
    p.exe = std::move(exe);
    p.cmdline = std::move(argv);
    return ServiceNameFor(p, std::nullopt);
  };
  EXPECT_EQ(name("/usr/bin/python3.11", {"python3", "-m", "http.server", "8765"}), "http.server");
  EXPECT_EQ(name("/usr/bin/python3.11", {"python3", "-u", "/srv/checkout.py"}), "checkout");
  EXPECT_EQ(name("/usr/bin/python3.11", {"python3", "-c", "print(1)"}), "python3.11");
  EXPECT_EQ(name("/usr/lib/jvm/bin/java", {"java", "-Xmx1g", "-jar", "/opt/orders.jar"}), "orders");
  EXPECT_EQ(name("/usr/lib/jvm/bin/java", {"java", "-cp", "a.jar", "com.shop.Payments"}),
            "Payments");
  EXPECT_EQ(name("/usr/bin/node", {"node", "dist/index.mjs"}), "index");
  EXPECT_EQ(name("/usr/sbin/nginx", {"nginx: master process"}), "nginx");
  EXPECT_EQ(name("/usr/bin/bash", {"bash", "./run-worker.sh"}), "run-worker");
  EXPECT_EQ(name("/opt/app/bin/api (deleted)", {"api"}), "api");
  ProcessInfo p;
  p.exe = "/usr/bin/python3";
  p.cmdline = {"python3", "x.py"};
  EXPECT_EQ(ServiceNameFor(p, std::string("checkout")), "checkout");
}

TEST(ServiceDiscoveryTest, ExplicitServicesWinAndUdpClientsAreIgnored) {
  std::map<pid_t, ProcessInfo> processes;
  processes[5].pid = 5;
  processes[5].exe = "/usr/bin/python3";
  processes[5].cmdline = {"python3", "app.py"};
  auto sock = [](Transport t, uint16_t port, int state) {
    SocketEntry s;
    s.transport = t;
    s.local_port = port;
    s.local_address = "0.0.0.0";
    s.state = state;
    return s;
  };
  std::vector<Listener> listeners = {
      {sock(Transport::kTcp, 8080, kTcpListen), 5},
      {sock(Transport::kTcp, 8080, kTcpListen), 5},  // also on [::]
      {sock(Transport::kTcp, 9999, kTcpListen), 5},
      {sock(Transport::kUdp, 53000, kUdpUnconnected), 5},  // an ephemeral client socket
      {sock(Transport::kUdp, 8125, kUdpUnconnected), 5},
      {sock(Transport::kTcp, 40000, kTcpEstablished), 5},
  };
  auto services =
      DeriveServices(processes, listeners, {}, {{"shop-api", 8080, "/healthz"}, {"ghost", 7777, ""}});
  ASSERT_EQ(services.size(), 4u);
  EXPECT_EQ(services[0].name, "app");
  EXPECT_EQ(services[0].port, 8125);
  EXPECT_EQ(services[0].protocol, "statsd");
  EXPECT_EQ(services[1].name, "app");
  EXPECT_EQ(services[1].port, 9999);
  EXPECT_EQ(services[2].name, "ghost");
  EXPECT_EQ(services[2].pid, 0);
  EXPECT_EQ(services[3].name, "shop-api");
  EXPECT_EQ(services[3].source, ServiceSource::kExplicit);
  EXPECT_EQ(services[3].pid, 5);
  EXPECT_EQ(services[3].health_path, "/healthz");
}

TEST(ProcFsTest, ReadsTheLiveProcfs) {
  ProcFs fs;
  auto self = fs.ReadProcess(::getpid());
  ASSERT_TRUE(self.ok()) << self.status().ToString();
  EXPECT_EQ(self->pid, ::getpid());
  EXPECT_GT(self->rss_bytes, 0u);
  EXPECT_FALSE(self->cmdline.empty());
  EXPECT_NE(self->netns, 0u);
  EXPECT_TRUE(fs.BootTime().ok());
}

}  // namespace
}  // namespace coral::agent

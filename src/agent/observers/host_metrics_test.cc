#include "agent/observers/host_metrics.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/observers/sock_diag.h"
#include "base/files.h"
#include "base/ids.h"

namespace coral::agent {
namespace {

class HostMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() / ("coral-host-" + RandomHex(6));
    Write("proc/loadavg", "0.50 0.40 0.30 1/200 999\n");
    Write("proc/meminfo", "MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    400 kB\n");
    Write("proc/self/cgroup", "0::/system.slice/coral.service\n");
    Write("proc/self/mounts", "");
    Write("sys/fs/cgroup/system.slice/coral.service/memory.max", "max\n");
    Write("sys/fs/cgroup/system.slice/memory.max", "536870912\n");
    std::filesystem::create_directories(root_ / "sys/block/sda");
  }
  void TearDown() override { (void)RemoveAll(root_); }
  void Write(const std::string& rel, const std::string& text) {
    ASSERT_TRUE(MakeDirs((root_ / rel).parent_path(), FileMode::kPublic).ok());
    ASSERT_TRUE(WriteFileAtomic(root_ / rel, text, FileMode::kPublic).ok());
  }
  void Counters(uint64_t cpu_busy, uint64_t cpu_idle, uint64_t rx, uint64_t sectors) {
    Write("proc/stat", "cpu  " + std::to_string(cpu_busy) + " 0 0 " + std::to_string(cpu_idle) +
                           " 0 0 0 0 0 0\ncpu0 " + std::to_string(cpu_busy) + " 0 0 " +
                           std::to_string(cpu_idle) + " 0 0 0 0 0 0\nbtime 1700000000\n");
    Write("proc/net/dev",
          "Inter-|   Receive                                                |  Transmit\n"
          " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
          "drop fifo colls carrier compressed\n"
          "  eth0: " + std::to_string(rx) + " 10 0 0 0 0 0 0 500 5 1 0 0 0 0 0\n");
    Write("proc/diskstats", "   8       0 sda 100 0 " + std::to_string(sectors) +
                                " 0 50 0 1000 0 0 0 0\n   7       0 loop0 1 0 8 0 0 0 0 0 0 0 0\n");
  }
  static double Find(const std::vector<MetricSample>& s, const std::string& name,
                     const std::string& resource) {
    for (const auto& m : s) {
      if (m.name == name && m.resource == resource) return m.value;
    }
    return -1;
  }
  std::filesystem::path root_;
};

TEST_F(HostMetricsTest, GaugesFirstThenRates) {
  HostMetrics metrics(root_ / "proc", root_ / "sys");
  MonoTime t0{std::chrono::seconds(100)};
  Counters(100, 900, 1000, 2048);
  auto first = metrics.Sample(t0);
  EXPECT_EQ(Find(first, "mem.used_bytes", "total"), 600.0 * 1024);
  EXPECT_EQ(Find(first, "mem.available_bytes", "total"), 400.0 * 1024);
  EXPECT_EQ(Find(first, "mem.cgroup_limit_bytes", "/system.slice"), 536870912.0);
  EXPECT_EQ(Find(first, "load.1m", "total"), 0.5);
  EXPECT_EQ(Find(first, "cpu.percent", "total"), -1);  // needs two samples

  Counters(400, 1600, 11000, 4096);  // +300 busy, +700 idle; +10000 rx bytes; +2048 sectors
  auto second = metrics.Sample(t0 + std::chrono::seconds(10));
  EXPECT_DOUBLE_EQ(Find(second, "cpu.percent", "total"), 30.0);
  EXPECT_DOUBLE_EQ(Find(second, "cpu.percent", "cpu0"), 30.0);
  EXPECT_DOUBLE_EQ(Find(second, "net.rx_bytes_per_s", "eth0"), 1000.0);
  EXPECT_DOUBLE_EQ(Find(second, "disk.read_bytes_per_s", "sda"), 2048.0 * 512 / 10);
  EXPECT_EQ(Find(second, "disk.read_bytes_per_s", "loop0"), -1);
}

TEST_F(HostMetricsTest, LiveHostHasCpuMemoryAndADisk) {
  HostMetrics metrics;
  metrics.Sample(SystemClock::Get().Monotonic());
  usleep(100'000);
  auto s = metrics.Sample(SystemClock::Get().Monotonic());
  EXPECT_GE(Find(s, "cpu.percent", "total"), 0);
  EXPECT_GT(Find(s, "mem.total_bytes", "total"), 0);
  bool has_disk = false;
  for (const auto& m : s) has_disk |= m.name == "disk.total_bytes";
  EXPECT_TRUE(has_disk);
}

TEST(SockDiagTest, SeesALoopbackConnectionWithByteCounts) {
  int server = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(server, 1), 0);
  socklen_t len = sizeof(addr);
  ::getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len);
  int client = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  int accepted = ::accept(server, nullptr, nullptr);
  std::string payload(5000, 'x');
  ASSERT_EQ(::write(client, payload.data(), payload.size()), 5000);
  char buf[8192];
  size_t got = 0;
  while (got < payload.size()) {
    ssize_t n = ::read(accepted, buf, sizeof(buf));
    ASSERT_GT(n, 0);
    got += static_cast<size_t>(n);
  }
  usleep(50'000);  // let the ACKs land so bytes_acked counts them

  auto sockets = DumpTcpSockets(1u << kTcpEstablished);
  ASSERT_TRUE(sockets.ok()) << sockets.status().ToString();
  uint16_t port = ntohs(addr.sin_port);
  bool found_client = false, found_server = false;
  for (const auto& s : *sockets) {
    if (s.entry.remote_port == port && s.entry.local_address == "127.0.0.1") {
      found_client = true;
      EXPECT_EQ(s.entry.state, kTcpEstablished);
      EXPECT_EQ(s.bytes_sent, 5000u);
      EXPECT_NE(s.entry.inode, 0u);
    }
    if (s.entry.local_port == port) {
      found_server = true;
      EXPECT_EQ(s.bytes_received, 5000u);
      EXPECT_EQ(s.bytes_sent, 0u);
    }
  }
  EXPECT_TRUE(found_client);
  EXPECT_TRUE(found_server);
  ::close(client);
  ::close(accepted);
  ::close(server);
}

}  // namespace
}  // namespace coral::agent

// Host metrics from procfs and sysfs: CPU (total and per core), memory (used,
// available, cgroup limit), load, disk usage per mount and I/O per device,
// network bytes / packets / errors per interface. Counters become per-second
// rates between two samples, so the first sample carries only gauges.
//
// Thread-safety: one HostMetrics is used by one thread (it keeps the last
// sample to compute rates).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/clock.h"

namespace coral::agent {

struct MetricSample {
  std::string name;      // "cpu.percent", "mem.used_bytes", "net.rx_bytes_per_s", ...
  std::string resource;  // "total", "cpu0", "eth0", "/", "sda", or a service name
  double value = 0;
};

class HostMetrics {
 public:
  HostMetrics(std::filesystem::path proc_root = "/proc", std::filesystem::path sys_root = "/sys")
      : proc_(std::move(proc_root)), sys_(std::move(sys_root)) {}

  // One sample; `now` is the monotonic time of the reading.
  std::vector<MetricSample> Sample(MonoTime now);

 private:
  struct Counters {
    std::map<std::string, std::vector<uint64_t>> cpu;  // cpuN -> jiffies per state
    std::map<std::string, std::vector<uint64_t>> net;  // iface -> rx/tx bytes, packets, errors
    std::map<std::string, std::vector<uint64_t>> disk; // device -> sectors read, written
    MonoTime at{};
  };
  void SampleCpu(Counters& now, std::vector<MetricSample>& out);
  void SampleMemory(std::vector<MetricSample>& out);
  void SampleLoad(std::vector<MetricSample>& out);
  void SampleDisks(Counters& now, std::vector<MetricSample>& out);
  void SampleNetwork(Counters& now, std::vector<MetricSample>& out);

  std::filesystem::path proc_;
  std::filesystem::path sys_;
  Counters last_;
  bool have_last_ = false;
};

}  // namespace coral::agent

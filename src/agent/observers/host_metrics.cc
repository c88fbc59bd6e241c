#include "agent/observers/host_metrics.h"

#include <sys/statvfs.h>

#include <set>
#include <sstream>

#include "base/files.h"

namespace coral::agent {

namespace {

std::string ReadOr(const std::filesystem::path& p) {
  auto text = ReadFile(p);
  return text.ok() ? *text : "";
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

double Seconds(MonoTime a, MonoTime b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

std::vector<MetricSample> HostMetrics::Sample(MonoTime now) {
  std::vector<MetricSample> out;
  Counters current;
  current.at = now;
  SampleCpu(current, out);
  SampleMemory(out);
  SampleLoad(out);
  SampleDisks(current, out);
  SampleNetwork(current, out);
  last_ = std::move(current);
  have_last_ = true;
  return out;
}

void HostMetrics::SampleCpu(Counters& now, std::vector<MetricSample>& out) {
  for (const auto& line : Lines(ReadOr(proc_ / "stat"))) {
    if (line.rfind("cpu", 0) != 0) continue;
    std::istringstream in(line);
    std::string name;
    in >> name;
    std::vector<uint64_t> v;
    for (uint64_t x; in >> x;) v.push_back(x);
    if (v.size() < 4) continue;
    if (name == "cpu") name = "total";
    now.cpu[name] = v;
    if (!have_last_) continue;
    auto prev = last_.cpu.find(name);
    if (prev == last_.cpu.end() || prev->second.size() != v.size()) continue;
    uint64_t total = 0, idle = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      if (i == 8 || i == 9) continue;  // guest time is already in user time
      uint64_t d = v[i] - prev->second[i];
      total += d;
      if (i == 3 || i == 4) idle += d;  // idle + iowait
    }
    if (total > 0) {
      out.push_back({"cpu.percent", name, 100.0 * static_cast<double>(total - idle) /
                                              static_cast<double>(total)});
    }
  }
}

void HostMetrics::SampleMemory(std::vector<MetricSample>& out) {
  uint64_t total_kb = 0, available_kb = 0;
  for (const auto& line : Lines(ReadOr(proc_ / "meminfo"))) {
    std::istringstream in(line);
    std::string key;
    uint64_t kb = 0;
    in >> key >> kb;
    if (key == "MemTotal:") total_kb = kb;
    if (key == "MemAvailable:") available_kb = kb;
  }
  if (total_kb > 0) {
    out.push_back({"mem.total_bytes", "total", static_cast<double>(total_kb) * 1024});
    out.push_back({"mem.available_bytes", "total", static_cast<double>(available_kb) * 1024});
    out.push_back({"mem.used_bytes", "total",
                   static_cast<double>(total_kb - available_kb) * 1024});
  }
  // The memory limit of the cgroup this process runs in (v2), the nearest
  // ancestor that sets one. "max" means no limit.
  std::string cgroup = ReadOr(proc_ / "self" / "cgroup");
  size_t at = cgroup.find("0::");
  if (at == std::string::npos) return;
  std::filesystem::path rel = cgroup.substr(at + 3, cgroup.find('\n', at) - at - 3);
  for (std::filesystem::path p = rel; !p.empty(); p = p.parent_path()) {
    std::string limit = ReadOr(sys_ / "fs" / "cgroup" / p.relative_path() / "memory.max");
    if (!limit.empty() && limit.rfind("max", 0) != 0) {
      out.push_back({"mem.cgroup_limit_bytes", p.string(), std::stod(limit)});
      break;
    }
    if (p == p.root_path()) break;
  }
}

void HostMetrics::SampleLoad(std::vector<MetricSample>& out) {
  std::istringstream in(ReadOr(proc_ / "loadavg"));
  double l1, l5, l15;
  if (in >> l1 >> l5 >> l15) {
    out.push_back({"load.1m", "total", l1});
    out.push_back({"load.5m", "total", l5});
    out.push_back({"load.15m", "total", l15});
  }
}

void HostMetrics::SampleDisks(Counters& now, std::vector<MetricSample>& out) {
  static const std::set<std::string> kRealFs = {"ext2", "ext3", "ext4", "xfs", "btrfs", "zfs",
                                                "f2fs", "vfat", "ntfs", "overlay"};
  std::set<std::string> seen_devices;
  for (const auto& line : Lines(ReadOr(proc_ / "self" / "mounts"))) {
    std::istringstream in(line);
    std::string dev, mount, fs;
    in >> dev >> mount >> fs;
    if (!kRealFs.contains(fs) || !seen_devices.insert(dev).second) continue;
    struct statvfs st {};
    if (::statvfs(mount.c_str(), &st) != 0) continue;
    double total = static_cast<double>(st.f_blocks) * static_cast<double>(st.f_frsize);
    double avail = static_cast<double>(st.f_bavail) * static_cast<double>(st.f_frsize);
    double used = total - static_cast<double>(st.f_bfree) * static_cast<double>(st.f_frsize);
    out.push_back({"disk.total_bytes", mount, total});
    out.push_back({"disk.used_bytes", mount, used});
    out.push_back({"disk.available_bytes", mount, avail});
  }
  for (const auto& line : Lines(ReadOr(proc_ / "diskstats"))) {
    std::istringstream in(line);
    unsigned major, minor;
    std::string name;
    uint64_t reads, rmerged, rsectors, rms, writes, wmerged, wsectors;
    if (!(in >> major >> minor >> name >> reads >> rmerged >> rsectors >> rms >> writes >>
          wmerged >> wsectors)) {
      continue;
    }
    // Whole devices only (they have a /sys/block entry), no loop or ram disks.
    if (name.rfind("loop", 0) == 0 || name.rfind("ram", 0) == 0) continue;
    std::error_code ec;
    if (!std::filesystem::exists(sys_ / "block" / name, ec)) continue;
    now.disk[name] = {rsectors, wsectors};
    if (!have_last_) continue;
    auto prev = last_.disk.find(name);
    double dt = Seconds(last_.at, now.at);
    if (prev == last_.disk.end() || dt <= 0) continue;
    out.push_back({"disk.read_bytes_per_s", name,
                   static_cast<double>(rsectors - prev->second[0]) * 512 / dt});
    out.push_back({"disk.write_bytes_per_s", name,
                   static_cast<double>(wsectors - prev->second[1]) * 512 / dt});
  }
}

void HostMetrics::SampleNetwork(Counters& now, std::vector<MetricSample>& out) {
  auto lines = Lines(ReadOr(proc_ / "net" / "dev"));
  for (size_t i = 2; i < lines.size(); ++i) {  // two header lines
    size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    std::string iface = lines[i].substr(0, colon);
    iface.erase(0, iface.find_first_not_of(' '));
    std::istringstream in(lines[i].substr(colon + 1));
    std::vector<uint64_t> f;
    for (uint64_t x; in >> x;) f.push_back(x);
    if (f.size() < 16) continue;
    // rx: bytes packets errs ... (8 fields), tx: bytes packets errs ...
    std::vector<uint64_t> v = {f[0], f[1], f[2], f[8], f[9], f[10]};
    now.net[iface] = v;
    if (!have_last_) continue;
    auto prev = last_.net.find(iface);
    double dt = Seconds(last_.at, now.at);
    if (prev == last_.net.end() || dt <= 0) continue;
    static const char* kNames[] = {"net.rx_bytes_per_s",   "net.rx_packets_per_s",
                                   "net.rx_errors",        "net.tx_bytes_per_s",
                                   "net.tx_packets_per_s", "net.tx_errors"};
    for (size_t k = 0; k < v.size(); ++k) {
      double delta = static_cast<double>(v[k] - prev->second[k]);
      bool is_count = k == 2 || k == 5;  // errors: count in the interval
      out.push_back({kNames[k], iface, is_count ? delta : delta / dt});
    }
  }
}

}  // namespace coral::agent

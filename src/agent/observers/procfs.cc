#include "agent/observers/procfs.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

#include "base/files.h"

namespace coral::agent {

namespace {

std::optional<std::string> ReadSmall(const std::filesystem::path& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return std::nullopt;
  return std::move(*text);
}

template <typename T>
bool ParseNumber(std::string_view text, T& out, int base = 10) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::vector<std::string_view> SplitSpaces(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

uint64_t InodeFromLink(const std::string& target, std::string_view prefix) {
  // "socket:[12345]" or "net:[4026531840]"
  if (target.size() < prefix.size() + 3 || target.compare(0, prefix.size(), prefix) != 0) return 0;
  std::string_view rest(target);
  rest.remove_prefix(prefix.size());
  if (rest.front() != '[' || rest.back() != ']') return 0;
  uint64_t inode = 0;
  return ParseNumber(rest.substr(1, rest.size() - 2), inode) ? inode : 0;
}

std::string ReadLink(const std::filesystem::path& path) {
  char buf[512];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

std::string_view TransportName(Transport t) { return t == Transport::kTcp ? "tcp" : "udp"; }

Result<ProcessInfo> ParseStat(std::string_view text) {
  // "PID (COMM) S PPID ..." where COMM may contain spaces and parentheses.
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return Corruption("stat: no (comm) field");
  }
  ProcessInfo p;
  if (!ParseNumber(text.substr(0, open > 0 ? open - 1 : 0), p.pid)) {
    return Corruption("stat: bad pid");
  }
  p.comm = std::string(text.substr(open + 1, close - open - 1));
  auto fields = SplitSpaces(text.substr(close + 1));
  // fields[0] is state (field 3); field N is fields[N - 3].
  if (fields.size() < 22) return Corruption("stat: too few fields");
  uint64_t utime = 0, stime = 0, rss_pages = 0;
  int64_t ppid = 0;
  if (!ParseNumber(fields[1], ppid) || !ParseNumber(fields[11], utime) ||
      !ParseNumber(fields[12], stime) || !ParseNumber(fields[19], p.start_ticks)) {
    return Corruption("stat: bad numeric field");
  }
  int64_t rss = 0;
  if (!ParseNumber(fields[21], rss)) return Corruption("stat: bad rss");
  rss_pages = rss > 0 ? static_cast<uint64_t>(rss) : 0;
  p.ppid = static_cast<pid_t>(ppid);
  p.cpu_ticks = utime + stime;
  p.rss_bytes = rss_pages * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  return p;
}

std::string ContainerIdFromCgroup(std::string_view path) {
  // Runtimes name the leaf after the container: .../docker-<64hex>.scope,
  // /docker/<64hex>, .../cri-containerd-<64hex>.scope, /kubepods/.../<64hex>.
  // Take the last run of exactly 64 hex characters.
  std::string found;
  size_t i = 0;
  while (i < path.size()) {
    size_t start = i;
    while (i < path.size() && std::isxdigit(static_cast<unsigned char>(path[i])) &&
           !std::isupper(static_cast<unsigned char>(path[i]))) {
      ++i;
    }
    if (i - start == 64) found = std::string(path.substr(start, 64));
    if (i == start) ++i;
  }
  return found;
}

std::string DecodeProcAddress(std::string_view hex) {
  // The kernel prints the address as 32-bit words in host byte order.
  if (hex.size() == 8) {
    uint32_t word = 0;
    if (!ParseNumber(hex, word, 16)) return "";
    in_addr a{};
    std::memcpy(&a, &word, 4);
    char buf[INET_ADDRSTRLEN];
    return inet_ntop(AF_INET, &a, buf, sizeof(buf)) ? buf : "";
  }
  if (hex.size() == 32) {
    in6_addr a{};
    for (int w = 0; w < 4; ++w) {
      uint32_t word = 0;
      if (!ParseNumber(hex.substr(w * 8, 8), word, 16)) return "";
      std::memcpy(reinterpret_cast<char*>(&a) + w * 4, &word, 4);
    }
    char buf[INET6_ADDRSTRLEN];
    return inet_ntop(AF_INET6, &a, buf, sizeof(buf)) ? buf : "";
  }
  return "";
}

std::vector<SocketEntry> ParseNetFile(std::string_view text, Transport transport, bool v6) {
  std::vector<SocketEntry> out;
  size_t pos = text.find('\n');  // skip the header line
  while (pos != std::string_view::npos && pos + 1 < text.size()) {
    size_t end = text.find('\n', pos + 1);
    std::string_view line = text.substr(pos + 1, end == std::string_view::npos ? end : end - pos - 1);
    pos = end;
    auto f = SplitSpaces(line);
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    if (f.size() < 10) continue;
    auto split_addr = [&](std::string_view a, std::string& addr, uint16_t& port) {
      size_t colon = a.find(':');
      if (colon == std::string_view::npos) return false;
      addr = DecodeProcAddress(a.substr(0, colon));
      unsigned p = 0;
      if (!ParseNumber(a.substr(colon + 1), p, 16) || addr.empty()) return false;
      port = static_cast<uint16_t>(p);
      return true;
    };
    SocketEntry e;
    e.transport = transport;
    unsigned state = 0;
    if (!split_addr(f[1], e.local_address, e.local_port) ||
        !split_addr(f[2], e.remote_address, e.remote_port) || !ParseNumber(f[3], state, 16) ||
        !ParseNumber(f[7], e.uid) || !ParseNumber(f[9], e.inode)) {
      continue;
    }
    (void)v6;
    e.state = static_cast<int>(state);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<pid_t> ProcFs::ListPids() const {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root_, ec)) {
    pid_t pid = 0;
    std::string name = entry.path().filename().string();
    if (ParseNumber(std::string_view(name), pid) && pid > 0) pids.push_back(pid);
  }
  std::sort(pids.begin(), pids.end());
  return pids;
}

Result<ProcessInfo> ProcFs::ReadProcess(pid_t pid) const {
  std::filesystem::path dir = root_ / std::to_string(pid);
  auto stat = ReadSmall(dir / "stat");
  if (!stat) return NotFound("process " + std::to_string(pid) + " is gone");
  ProcessInfo p = CORAL_TRY(ParseStat(*stat));
  p.exe = ReadLink(dir / "exe");
  if (auto cmd = ReadSmall(dir / "cmdline")) {
    size_t start = 0;
    while (start < cmd->size()) {
      size_t nul = cmd->find('\0', start);
      if (nul == std::string::npos) nul = cmd->size();
      p.cmdline.push_back(cmd->substr(start, nul - start));
      start = nul + 1;
    }
  }
  if (auto status = ReadSmall(dir / "status")) {
    size_t at = status->find("\nUid:");
    if (at != std::string::npos) {
      auto f = SplitSpaces(std::string_view(*status).substr(at + 5, 40));
      if (!f.empty()) ParseNumber(f[0], p.uid);
    }
  }
  if (auto cgroup = ReadSmall(dir / "cgroup")) {
    // Prefer the unified (v2) line "0::/path"; else the first line.
    std::string_view text = *cgroup;
    size_t at = text.find("0::");
    std::string_view line;
    if (at == 0 || (at != std::string_view::npos && text[at - 1] == '\n')) {
      line = text.substr(at + 3);
    } else {
      size_t c = text.find(":");
      c = c == std::string_view::npos ? c : text.find(':', c + 1);
      line = c == std::string_view::npos ? "" : text.substr(c + 1);
    }
    line = line.substr(0, line.find('\n'));
    p.cgroup = std::string(line);
    p.container_id = ContainerIdFromCgroup(line);
  }
  p.netns = InodeFromLink(ReadLink(dir / "ns" / "net"), "net:");
  return p;
}

std::optional<std::string> ProcFs::ReadEnv(pid_t pid, std::string_view name) const {
  auto env = ReadSmall(root_ / std::to_string(pid) / "environ");
  if (!env) return std::nullopt;
  std::string prefix = std::string(name) + "=";
  size_t start = 0;
  while (start < env->size()) {
    size_t nul = env->find('\0', start);
    if (nul == std::string::npos) nul = env->size();
    if (env->compare(start, prefix.size(), prefix) == 0) {
      return env->substr(start + prefix.size(), nul - start - prefix.size());
    }
    start = nul + 1;
  }
  return std::nullopt;
}

std::map<uint64_t, pid_t> ProcFs::SocketOwners() const {
  std::map<uint64_t, pid_t> owners;
  for (pid_t pid : ListPids()) {
    std::error_code ec;
    for (const auto& fd : std::filesystem::directory_iterator(root_ / std::to_string(pid) / "fd", ec)) {
      uint64_t inode = InodeFromLink(ReadLink(fd.path()), "socket:");
      if (inode != 0) owners.emplace(inode, pid);  // the first (lowest) pid holding it
    }
  }
  return owners;
}

std::vector<SocketEntry> ProcFs::ReadSockets(pid_t pid) const {
  std::filesystem::path net = pid == 0 ? root_ / "net" : root_ / std::to_string(pid) / "net";
  std::vector<SocketEntry> out;
  struct File {
    const char* name;
    Transport transport;
    bool v6;
  };
  for (const File& f : {File{"tcp", Transport::kTcp, false}, File{"tcp6", Transport::kTcp, true},
                        File{"udp", Transport::kUdp, false}, File{"udp6", Transport::kUdp, true}}) {
    if (auto text = ReadSmall(net / f.name)) {
      auto entries = ParseNetFile(*text, f.transport, f.v6);
      out.insert(out.end(), entries.begin(), entries.end());
    }
  }
  return out;
}

Result<int64_t> ProcFs::BootTime() const {
  auto stat = ReadSmall(root_ / "stat");
  if (!stat) return NotFound(root_.string() + "/stat is not readable");
  size_t at = stat->find("\nbtime ");
  if (at == std::string::npos) return Corruption(root_.string() + "/stat has no btime");
  int64_t btime = 0;
  std::string_view rest = std::string_view(*stat).substr(at + 7);
  rest = rest.substr(0, rest.find('\n'));
  if (!ParseNumber(rest, btime)) return Corruption(root_.string() + "/stat has a bad btime");
  return btime;
}

}  // namespace coral::agent

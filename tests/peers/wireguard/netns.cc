#include "netns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <future>
#include <thread>

#include "base/files.h"
#include "base/ids.h"
#include "crypto/keys.h"

namespace coral::wireguard::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Result<std::string> Cmd(const std::vector<std::string>& argv, seconds timeout = seconds(30)) {
  auto r = RunCommand(argv, timeout);
  if (!r.ok()) return r.status();
  if (!r->exit.ok()) {
    std::string line;
    for (const auto& a : argv) line += a + " ";
    return Internal(line + "failed (" + r->exit.ToString() + "): " + r->err);
  }
  return r->out;
}

Status WaitForFile(const std::string& path, seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::filesystem::exists(path)) return Status::Ok();
    std::this_thread::sleep_for(milliseconds(50));
  }
  return DeadlineExceeded(path + " did not appear within " + std::to_string(timeout.count()) +
                          " s");
}

Status EnterNetns(const std::string& name) {
  int fd = open(("/var/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open netns " + name, errno);
  int rc = setns(fd, CLONE_NEWNET);
  int err = errno;
  close(fd);
  if (rc < 0) return ErrnoError("setns " + name, err);
  return Status::Ok();
}

// A deterministic byte stream (xorshift64*), so both ends could regenerate it.
struct Stream {
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  void Fill(uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; i += 8) {
      state ^= state >> 12;
      state ^= state << 25;
      state ^= state >> 27;
      uint64_t v = state * 0x2545f4914f6cdd1dULL;
      std::memcpy(p + i, &v, std::min<size_t>(8, n - i));
    }
  }
};

}  // namespace

Result<std::unique_ptr<Topology>> Topology::Create(const TopologyOptions& options) {
  auto t = std::unique_ptr<Topology>(new Topology());
  std::string id = std::to_string(getpid() % 100000) + RandomHex(1);
  t->tmp_dir_ = (std::filesystem::temp_directory_path() / ("coral-wgpeer-" + id)).string();
  CORAL_TRY(MakeDirs(t->tmp_dir_, FileMode::kPrivate));
  auto init = [&](Side& s, const char* tag, Impl impl, const char* underlay, const char* tunnel,
                  const char* underlay6, const char* tunnel6) {
    s.underlay6 = underlay6;
    s.tunnel_ip6 = tunnel6;
    s.netns = std::string("cwg") + tag + id;
    s.veth = std::string("cv") + tag + id;
    s.iface = std::string("cw") + tag + id;
    s.underlay = underlay;
    s.tunnel_ip = tunnel;
    s.impl = impl;
    crypto::PrivateKey k = crypto::PrivateKey::Generate();
    s.private_key = crypto::KeyToBase64(k.bytes());
    s.public_key = crypto::KeyToBase64(crypto::DerivePublicKey(k).bytes);
  };
  init(t->a_, "a", options.a, "10.231.0.1", "10.232.0.1", "fd00:231::1", "fd00:232::1");
  init(t->b_, "b", options.b, "10.231.0.2", "10.232.0.2", "fd00:231::2", "fd00:232::2");
  CORAL_TRY(Cmd({"ip", "netns", "add", t->a_.netns}));
  t->a_created_ = true;
  CORAL_TRY(Cmd({"ip", "netns", "add", t->b_.netns}));
  t->b_created_ = true;
  CORAL_TRY(Cmd({"ip", "link", "add", t->a_.veth, "netns", t->a_.netns, "type", "veth", "peer",
                 "name", t->b_.veth, "netns", t->b_.netns}));
  for (Side* s : {&t->a_, &t->b_}) {
    CORAL_TRY(t->Exec(*s, {"ip", "addr", "add", s->underlay + "/24", "dev", s->veth}));
    CORAL_TRY(t->Exec(*s, {"ip", "addr", "add", s->underlay6 + "/64", "dev", s->veth, "nodad"}));
    CORAL_TRY(t->Exec(*s, {"ip", "link", "set", s->veth, "up"}));
    CORAL_TRY(t->Exec(*s, {"ip", "link", "set", "lo", "up"}));
    CORAL_TRY(t->StartDevice(*s, options));
  }
  CORAL_TRY(t->Configure(t->a_, t->b_, options.listen_port));
  CORAL_TRY(t->Configure(t->b_, t->a_, options.listen_port));
  return t;
}

Status Topology::StartDevice(Side& side, const TopologyOptions& options) {
  SubprocessOptions so;
  if (side.impl == Impl::kCoral) {
    so.argv = {"ip",           "netns",       "exec", side.netns, options.coral_binary,
               "wireguard",    "--foreground", "--log-level", "warn", side.iface};
    if (!options.coral_timer_scale.empty()) {
      so.env["CORAL_WG_TEST_TIMER_SCALE"] = options.coral_timer_scale;
    }
  } else {
    so.argv = {"ip", "netns", "exec", side.netns, "wireguard-go", "-f", side.iface};
    so.env["LOG_LEVEL"] = "error";
  }
  so.stdout_mode = Capture::kDiscard;
  // wireguard-go prints a banner about kernel support; Coral's warnings are useful.
  so.stderr_mode = side.impl == Impl::kCoral ? Capture::kInherit : Capture::kDiscard;
  side.process = CORAL_TRY(Subprocess::Start(so));
  return WaitForFile("/var/run/wireguard/" + side.iface + ".sock", seconds(10));
}

Status Topology::Configure(Side& self, const Side& other, int port) {
  std::string key_file = tmp_dir_ + "/" + self.iface + ".key";
  CORAL_TRY(WriteFileAtomic(key_file, self.private_key + "\n", FileMode::kPrivate));
  CORAL_TRY(Exec(
      self, {"wg", "set", self.iface, "private-key", key_file, "listen-port", std::to_string(port),
             "peer", other.public_key, "endpoint", other.underlay + ":" + std::to_string(port),
             "allowed-ips", other.tunnel_ip + "/32," + other.tunnel_ip6 + "/128"}));
  CORAL_TRY(Exec(self, {"ip", "addr", "add", self.tunnel_ip + "/24", "dev", self.iface}));
  CORAL_TRY(Exec(self, {"ip", "addr", "add", self.tunnel_ip6 + "/64", "dev", self.iface, "nodad"}));
  CORAL_TRY(Exec(self, {"ip", "link", "set", self.iface, "up"}));
  return Status::Ok();
}

Topology::~Topology() {
  for (Side* s : {&a_, &b_}) {
    if (s->process && s->process->Running()) {
      s->process->Kill(SIGTERM);
      (void)s->process->Wait(std::chrono::seconds(5));
    }
    s->process.reset();
    std::error_code ec;
    std::filesystem::remove("/var/run/wireguard/" + s->iface + ".sock", ec);
  }
  if (a_created_) (void)Cmd({"ip", "netns", "del", a_.netns});
  if (b_created_) (void)Cmd({"ip", "netns", "del", b_.netns});
  if (!tmp_dir_.empty()) (void)RemoveAll(tmp_dir_);
}

Result<std::string> Topology::Exec(const Side& side, const std::vector<std::string>& argv,
                                   std::chrono::seconds timeout) {
  std::vector<std::string> full = {"ip", "netns", "exec", side.netns};
  full.insert(full.end(), argv.begin(), argv.end());
  return Cmd(full, timeout);
}

Status Topology::ChangeUnderlay(Side& side, const std::string& new_address) {
  CORAL_TRY(Exec(side, {"ip", "addr", "del", side.underlay + "/24", "dev", side.veth}));
  CORAL_TRY(Exec(side, {"ip", "addr", "add", new_address + "/24", "dev", side.veth}));
  side.underlay = new_address;
  return Status::Ok();
}

Result<int64_t> Topology::LatestHandshake(Side& side) {
  std::string out = CORAL_TRY(Exec(side, {"wg", "show", side.iface, "latest-handshakes"}));
  size_t tab = out.find('\t');
  if (tab == std::string::npos) return NotFound("no peer in wg show " + side.iface + ": " + out);
  return std::stoll(out.substr(tab + 1));
}

Result<std::string> Topology::PeerEndpoint(Side& side) {
  std::string out = CORAL_TRY(Exec(side, {"wg", "show", side.iface, "endpoints"}));
  size_t tab = out.find('\t');
  if (tab == std::string::npos) return NotFound("no peer in wg show " + side.iface);
  std::string ep = out.substr(tab + 1);
  while (!ep.empty() && (ep.back() == '\n' || ep.back() == ' ')) ep.pop_back();
  return ep;
}

TransferResult TcpTransfer(const std::string& sender_netns, const std::string& receiver_netns,
                           const std::string& receiver_ip, uint16_t port, uint64_t bytes,
                           std::chrono::milliseconds min_duration) {
  TransferResult result;
  std::promise<Status> listening;
  auto listening_f = listening.get_future();
  std::string recv_error, send_error;

  std::thread receiver([&] {
    Status s = EnterNetns(receiver_netns);
    int lfd = s.ok() ? socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0) : -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, receiver_ip.c_str(), &addr.sin_addr);
    int one = 1;
    if (s.ok()) {
      setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0 || listen(lfd, 1) < 0) {
        s = ErrnoError("receiver bind/listen", errno);
      }
    }
    listening.set_value(s);
    if (!s.ok()) {
      if (lfd >= 0) close(lfd);
      return;
    }
    pollfd p{lfd, POLLIN, 0};
    if (poll(&p, 1, 30'000) <= 0) {
      recv_error = "no connection within 30 s";
      close(lfd);
      return;
    }
    int fd = accept(lfd, nullptr, nullptr);
    close(lfd);
    timeval tv{60, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
    std::vector<uint8_t> buf(1 << 16);
    for (;;) {
      ssize_t n = recv(fd, buf.data(), buf.size(), 0);
      if (n == 0) break;
      if (n < 0) {
        recv_error = std::string("receive: ") + strerror(errno);
        break;
      }
      EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(n));
      result.received += static_cast<uint64_t>(n);
    }
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx, result.received_digest.data(), &len);
    EVP_MD_CTX_free(ctx);
    close(fd);
  });

  Status ready = listening_f.get();
  if (!ready.ok()) {
    receiver.join();
    result.error = ready.ToString();
    return result;
  }
  std::thread sender([&] {
    Status s = EnterNetns(sender_netns);
    if (!s.ok()) {
      send_error = s.ToString();
      return;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    inet_pton(AF_INET, receiver_ip.c_str(), &addr.sin_addr);
    timeval tv{60, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    bool connected = false;
    for (int attempt = 0; attempt < 20 && !connected; ++attempt) {
      connected = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
      if (!connected) std::this_thread::sleep_for(milliseconds(500));
    }
    if (!connected) {
      send_error = std::string("connect: ") + strerror(errno);
      close(fd);
      return;
    }
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
    Stream stream;
    std::vector<uint8_t> buf(1 << 16);
    auto start = std::chrono::steady_clock::now();
    while (result.sent < bytes) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), bytes - result.sent));
      stream.Fill(buf.data(), n);
      EVP_DigestUpdate(ctx, buf.data(), n);
      size_t off = 0;
      while (off < n) {
        ssize_t w = send(fd, buf.data() + off, n - off, MSG_NOSIGNAL);
        if (w <= 0) {
          send_error = std::string("send: ") + strerror(errno);
          break;
        }
        off += static_cast<size_t>(w);
      }
      if (!send_error.empty()) break;
      result.sent += n;
      // Pace to spread the transfer over min_duration.
      auto due =
          start + min_duration * static_cast<double>(result.sent) / static_cast<double>(bytes);
      std::this_thread::sleep_until(due);
    }
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx, result.sent_digest.data(), &len);
    EVP_MD_CTX_free(ctx);
    close(fd);
  });
  sender.join();
  receiver.join();
  result.error = send_error + (send_error.empty() || recv_error.empty() ? "" : "; ") + recv_error;
  return result;
}

}  // namespace coral::wireguard::testing

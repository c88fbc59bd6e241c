#include "agent/observers/ebpf_connections.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "base/log.h"

#ifdef CORAL_HAVE_EBPF
#include <bpf/libbpf.h>

#include "conn_tracker.skel.h"
#endif

namespace coral::agent {

namespace {

std::string FormatAddress(int family, const uint8_t* bytes) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (inet_ntop(family, bytes, buf, sizeof(buf)) == nullptr) return "";
  return buf;
}

}  // namespace

std::string_view ConnEventKindName(ConnEventKind kind) {
  return kind == ConnEventKind::kOpen ? "open" : "close";
}

ConnEvent DecodeConnEvent(const coral_conn_event& raw) {
  ConnEvent e;
  e.kind = raw.kind == CORAL_CONN_CLOSE ? ConnEventKind::kClose : ConnEventKind::kOpen;
  switch (raw.origin) {
    case CORAL_CONN_ORIGIN_ACTIVE:
      e.origin = ConnOrigin::kActive;
      break;
    case CORAL_CONN_ORIGIN_PASSIVE:
      e.origin = ConnOrigin::kPassive;
      break;
    default:
      e.origin = ConnOrigin::kUnknown;
      break;
  }
  e.family = raw.family;
  e.local_address = FormatAddress(raw.family, raw.local_addr);
  e.remote_address = FormatAddress(raw.family, raw.remote_addr);
  e.local_port = raw.local_port;
  e.remote_port = raw.remote_port;
  e.netns = raw.netns;
  e.pid = static_cast<pid_t>(raw.pid);
  e.comm.assign(raw.comm, strnlen(raw.comm, sizeof(raw.comm)));
  e.bytes_sent = raw.bytes_sent;
  e.bytes_received = raw.bytes_received;
  return e;
}

#ifdef CORAL_HAVE_EBPF

namespace {

// libbpf reports why a load failed (verifier log, missing BTF) through its
// print callback, a process-wide setting; Open() collects the warnings.
std::mutex libbpf_log_mutex;  // guards libbpf_log
std::string libbpf_log;

int CollectLibbpfLog(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[512];
  int n = vsnprintf(line, sizeof(line), format, args);
  std::lock_guard lock(libbpf_log_mutex);
  if (libbpf_log.size() < 4096) libbpf_log += line;
  return n;
}

// The last non-empty line libbpf printed: usually the most specific cause.
std::string LastLibbpfLine() {
  std::lock_guard lock(libbpf_log_mutex);
  std::string_view log = libbpf_log;
  while (!log.empty() && (log.back() == '\n' || log.back() == ' ')) log.remove_suffix(1);
  size_t nl = log.rfind('\n');
  return std::string(nl == std::string_view::npos ? log : log.substr(nl + 1));
}

std::string Hint(int err) {
  switch (err) {
    case EPERM:
    case EACCES:
      return "not permitted: needs root (CAP_BPF and CAP_PERFMON) and no kernel lockdown, or the "
             "verifier rejected the program";
    case ENOENT:
    case ESRCH:
      return "the kernel lacks BTF or the inet_sock_set_state tracepoint";
    case EINVAL:
      return "the kernel rejected the program (verifier or missing BPF features)";
    default:
      return std::strerror(err);
  }
}

}  // namespace

struct EbpfConnections::Handles {
  conn_tracker* skel = nullptr;
  ring_buffer* ring = nullptr;
  ~Handles() {
    // The ring buffer reads a map of the skeleton: free it first.
    if (ring) ring_buffer__free(ring);
    if (skel) conn_tracker__destroy(skel);
  }
};

bool EbpfConnections::Built() { return true; }
std::string_view EbpfConnections::NotBuiltReason() { return ""; }

Result<std::unique_ptr<EbpfConnections>> EbpfConnections::Open() {
  {
    std::lock_guard lock(libbpf_log_mutex);
    libbpf_log.clear();
  }
  libbpf_print_fn_t previous = libbpf_set_print(CollectLibbpfLog);
  auto fail = [&](std::string_view step, int err) -> Status {
    libbpf_set_print(previous);
    std::string detail = LastLibbpfLine();
    return Unavailable(fmt::format("eBPF {} of {} failed: {}{}{}", step, kConnTrackerProgram,
                                   Hint(err), detail.empty() ? "" : "; libbpf: ", detail));
  };
  auto handles = std::make_unique<Handles>();
  handles->skel = conn_tracker__open();
  if (!handles->skel) return fail("open", errno);
  if (int err = conn_tracker__load(handles->skel); err != 0) return fail("load", -err);
  if (int err = conn_tracker__attach(handles->skel); err != 0) return fail("attach", -err);
  std::unique_ptr<EbpfConnections> self(new EbpfConnections(std::move(handles)));
  self->handles_->ring = ring_buffer__new(
      bpf_map__fd(self->handles_->skel->maps.events),
      [](void* ctx, void* data, size_t size) -> int {
        if (size < sizeof(coral_conn_event)) return 0;  // not ours: skip, keep reading
        coral_conn_event raw;
        std::memcpy(&raw, data, sizeof(raw));
        static_cast<EbpfConnections*>(ctx)->pending_.push_back(DecodeConnEvent(raw));
        return 0;
      },
      self.get(), nullptr);
  if (!self->handles_->ring) return fail("ring buffer setup", errno);
  libbpf_set_print(previous);
  return self;
}

Result<std::vector<ConnEvent>> EbpfConnections::Poll(std::chrono::milliseconds timeout) {
  pending_.clear();
  // ring_buffer__poll consumes everything available after waiting, so one
  // call drains what the (bounded) ring buffer holds.
  int n = timeout.count() > 0 ? ring_buffer__poll(handles_->ring, static_cast<int>(timeout.count()))
                              : ring_buffer__consume(handles_->ring);
  if (n < 0 && n != -EINTR) return ErrnoError("eBPF ring buffer poll", -n);
  return std::move(pending_);
}

uint64_t EbpfConnections::dropped() const {
  return __atomic_load_n(&handles_->skel->bss->dropped, __ATOMIC_RELAXED);
}

#else  // !CORAL_HAVE_EBPF

struct EbpfConnections::Handles {};

bool EbpfConnections::Built() { return false; }
std::string_view EbpfConnections::NotBuiltReason() { return CORAL_EBPF_MISSING; }

Result<std::unique_ptr<EbpfConnections>> EbpfConnections::Open() {
  return Unimplemented(
      fmt::format("eBPF support was not built into this agent ({})", NotBuiltReason()));
}

Result<std::vector<ConnEvent>> EbpfConnections::Poll(std::chrono::milliseconds) {
  return Unimplemented("eBPF support was not built into this agent");
}

uint64_t EbpfConnections::dropped() const { return 0; }

#endif  // CORAL_HAVE_EBPF

EbpfConnections::EbpfConnections(std::unique_ptr<Handles> handles) : handles_(std::move(handles)) {}

EbpfConnections::~EbpfConnections() = default;

}  // namespace coral::agent

#include "agent/observers/service_discovery.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace coral::agent {

namespace {

std::string Basename(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string StripExtension(std::string name) {
  for (const char* ext : {".py", ".js", ".mjs", ".cjs", ".ts", ".rb", ".pl", ".php", ".sh", ".jar"}) {
    std::string_view e(ext);
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) {
      return name.substr(0, name.size() - e.size());
    }
  }
  return name;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

enum class Interpreter { kNone, kPython, kJava, kOther };

Interpreter InterpreterOf(const std::string& base) {
  if (StartsWith(base, "python")) return Interpreter::kPython;
  if (base == "java") return Interpreter::kJava;
  for (const char* i : {"node", "nodejs", "ruby", "perl", "php", "bash", "sh", "dash", "deno",
                        "bun", "dotnet", "tsx", "ts-node"}) {
    if (base == i || (StartsWith(base, i) && base.size() > std::string_view(i).size() &&
                      (std::isdigit(static_cast<unsigned char>(base[std::string_view(i).size()])) ||
                       base[std::string_view(i).size()] == '.'))) {
      return Interpreter::kOther;
    }
  }
  return Interpreter::kNone;
}

}  // namespace

std::string_view ServiceSourceName(ServiceSource s) {
  return s == ServiceSource::kExplicit ? "explicit" : "discovered";
}

std::string ServiceNameFor(const ProcessInfo& p, const std::optional<std::string>& otel_name) {
  if (otel_name && !otel_name->empty()) return *otel_name;
  std::string base = Basename(!p.exe.empty()                ? p.exe
                              : !p.cmdline.empty() && !p.cmdline[0].empty() ? p.cmdline[0]
                                                                            : p.comm);
  // A deleted executable reads "name (deleted)".
  if (size_t sp = base.find(" (deleted)"); sp != std::string::npos) base.resize(sp);
  Interpreter kind = InterpreterOf(base);
  if (kind == Interpreter::kNone || p.cmdline.size() < 2) return base;
  const auto& args = p.cmdline;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (kind == Interpreter::kPython && a == "-m" && i + 1 < args.size()) return args[i + 1];
    if (kind == Interpreter::kJava && a == "-jar" && i + 1 < args.size()) {
      return StripExtension(Basename(args[i + 1]));
    }
    if (kind == Interpreter::kJava && (a == "-cp" || a == "-classpath" || a == "--class-path")) {
      ++i;
      continue;
    }
    if (kind == Interpreter::kPython && (a == "-c" || a == "-W" || a == "-X")) {
      if (a == "-c") return base;  // inline code: nothing better to go on
      ++i;
      continue;
    }
    if (a.empty() || a[0] == '-') continue;
    if (kind == Interpreter::kJava) {  // a main class: com.shop.Checkout -> Checkout
      size_t dot = a.rfind('.');
      return dot == std::string::npos ? a : a.substr(dot + 1);
    }
    return StripExtension(Basename(a));
  }
  return base;
}

std::string GuessProtocol(Transport transport, uint16_t port) {
  static const std::map<uint16_t, const char*> kTcp = {
      {22, "ssh"},        {25, "smtp"},         {53, "dns"},        {80, "http"},
      {443, "https"},     {1433, "mssql"},      {2379, "etcd"},     {3000, "http"},
      {3306, "mysql"},    {4317, "otlp-grpc"},  {4318, "otlp-http"}, {5000, "http"},
      {5432, "postgres"}, {5672, "amqp"},       {6379, "redis"},    {8000, "http"},
      {8080, "http"},     {8081, "http"},       {8443, "https"},    {8888, "http"},
      {9000, "grpc"},     {9001, "grpc"},       {9090, "http"},     {9092, "kafka"},
      {9200, "http"},     {11211, "memcached"}, {27017, "mongodb"}};
  static const std::map<uint16_t, const char*> kUdp = {
      {53, "dns"}, {123, "ntp"}, {514, "syslog"}, {4789, "vxlan"}, {51820, "wireguard"},
      {41580, "wireguard"}, {8125, "statsd"}};
  const auto& table = transport == Transport::kTcp ? kTcp : kUdp;
  auto it = table.find(port);
  if (it != table.end()) return it->second;
  return std::string(TransportName(transport));
}

bool IsListening(const SocketEntry& s) {
  if (s.transport == Transport::kTcp) return s.state == kTcpListen;
  // Clients' UDP sockets sit in the ephemeral range (32768 and up by default).
  return s.state == kUdpUnconnected && s.remote_port == 0 && s.local_port != 0 &&
         s.local_port < 32768;
}

std::vector<Service> DeriveServices(const std::map<pid_t, ProcessInfo>& processes,
                                    const std::vector<Listener>& listeners,
                                    const std::map<pid_t, std::string>& otel_names,
                                    const std::vector<ExplicitService>& explicit_services) {
  std::vector<Service> out;
  std::set<std::tuple<uint16_t, int, pid_t>> seen;
  std::set<uint16_t> explicit_ports;
  for (const auto& e : explicit_services) explicit_ports.insert(e.port);

  auto fill_from_process = [&](Service& s, pid_t pid) {
    auto it = processes.find(pid);
    if (it == processes.end()) return;
    s.netns = it->second.netns;
    s.container_id = it->second.container_id;
  };

  for (const auto& e : explicit_services) {
    Service s;
    s.name = e.name;
    s.port = e.port;
    s.transport = Transport::kTcp;
    s.protocol = e.health_path.empty() ? GuessProtocol(Transport::kTcp, e.port) : "http";
    s.source = ServiceSource::kExplicit;
    s.health_path = e.health_path;
    for (const auto& l : listeners) {
      if (l.socket.transport == Transport::kTcp && l.socket.local_port == e.port && l.pid != 0) {
        s.pid = l.pid;
        s.address = l.socket.local_address;
        fill_from_process(s, l.pid);
        break;
      }
    }
    out.push_back(std::move(s));
  }

  for (const auto& l : listeners) {
    if (l.pid == 0 || !IsListening(l.socket)) continue;
    if (l.socket.transport == Transport::kTcp && explicit_ports.contains(l.socket.local_port)) {
      continue;
    }
    auto key = std::make_tuple(l.socket.local_port, static_cast<int>(l.socket.transport), l.pid);
    if (!seen.insert(key).second) continue;  // same port on 0.0.0.0 and [::]
    auto proc = processes.find(l.pid);
    if (proc == processes.end()) continue;
    auto otel = otel_names.find(l.pid);
    Service s;
    s.name = ServiceNameFor(proc->second, otel == otel_names.end()
                                              ? std::nullopt
                                              : std::optional<std::string>(otel->second));
    s.pid = l.pid;
    s.port = l.socket.local_port;
    s.transport = l.socket.transport;
    s.protocol = GuessProtocol(l.socket.transport, l.socket.local_port);
    s.address = l.socket.local_address;
    fill_from_process(s, l.pid);
    out.push_back(std::move(s));
  }
  std::stable_sort(out.begin(), out.end(), [](const Service& a, const Service& b) {
    return std::tie(a.name, a.port) < std::tie(b.name, b.port);
  });
  return out;
}

}  // namespace coral::agent

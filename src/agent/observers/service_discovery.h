// Services from what processes listen on. A listening TCP socket (or a bound
// UDP socket on a non-ephemeral port) owned by a process is a service, named
// by OTEL_SERVICE_NAME in its environment, else by what it runs: the script
// or module, not the interpreter ("http.server" for `python3 -m http.server`).
// Services the user connected explicitly take precedence over discovered ones.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/observers/procfs.h"

namespace coral::agent {

struct ExplicitService {
  std::string name;
  uint16_t port = 0;
  std::string health_path;  // "" means a TCP connect check
};

enum class ServiceSource { kDiscovered, kExplicit };
std::string_view ServiceSourceName(ServiceSource s);

struct Service {
  std::string name;
  pid_t pid = 0;  // 0 when an explicit service has no listener right now
  uint16_t port = 0;
  Transport transport = Transport::kTcp;
  std::string protocol;  // guess from the port: http, postgres, redis, ...
  std::string address;   // the bound address
  ServiceSource source = ServiceSource::kDiscovered;
  std::string health_path;
  uint64_t netns = 0;
  std::string container_id;
};

// A listening socket with the process that owns it.
struct Listener {
  SocketEntry socket;
  pid_t pid = 0;
};

std::string ServiceNameFor(const ProcessInfo& process, const std::optional<std::string>& otel_name);
std::string GuessProtocol(Transport transport, uint16_t port);
// Listening sockets among `sockets` (TCP LISTEN, UDP unconnected below the
// ephemeral range).
bool IsListening(const SocketEntry& s);

// One service per (port, transport, pid); explicit services first.
// `otel_names` maps pid -> OTEL_SERVICE_NAME where set.
std::vector<Service> DeriveServices(const std::map<pid_t, ProcessInfo>& processes,
                                    const std::vector<Listener>& listeners,
                                    const std::map<pid_t, std::string>& otel_names,
                                    const std::vector<ExplicitService>& explicit_services);

}  // namespace coral::agent

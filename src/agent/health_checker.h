// Health checks for explicitly connected services: HTTP GET of the health
// path (2xx and 3xx are healthy) or, without a path, a TCP connect. The
// reason says what happened: "HTTP 503", "timeout after 2s", "connection
// refused".
//
// Thread-safety: stateless; calls may run on any thread.
#pragma once

#include <chrono>
#include <string>

namespace coral::agent {

struct HealthResult {
  bool healthy = false;
  std::string reason;
  int status_code = 0;  // HTTP checks only
  double latency_ms = 0;
};

HealthResult CheckHealth(const std::string& host, uint16_t port, const std::string& http_path,
                         std::chrono::milliseconds timeout);

}  // namespace coral::agent

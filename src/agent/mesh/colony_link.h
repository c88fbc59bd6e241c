// The agent's side of the colony registry: Register over the mesh (gRPC with
// mTLS, the agent's enrollment certificate), then Heartbeat every interval the
// colony asks for. Failures are retried; the log says when the state changes
// (registered, unreachable, refused), not at every attempt. A refusal (say,
// the colony revoked this agent) is reported with the colony's message.
//
// Thread-safety: Start/Stop from the owner; state() from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "coral/v1/colony.grpc.pb.h"

namespace coral::agent {

struct ColonyLinkOptions {
  std::string colony_address;  // colony mesh ip:port
  // The colony's HTTPS endpoints: asked who we are when the mesh is silent,
  // so a revoked agent learns it was revoked (its WireGuard peer is gone).
  std::vector<std::string> public_endpoints;
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
  std::string hostname;
  std::string version;
  int api_port = 0;
  std::chrono::milliseconds retry{3'000};
};

struct ColonyLinkState {
  std::string state = "connecting";  // connecting | registered | unreachable | refused
  std::string last_error;
  WallTime last_heartbeat{};
};

class ColonyLink {
 public:
  explicit ColonyLink(ColonyLinkOptions options);
  ~ColonyLink();
  ColonyLink(const ColonyLink&) = delete;
  ColonyLink& operator=(const ColonyLink&) = delete;
  void Start();
  void Stop();
  ColonyLinkState state() const;

 private:
  void Main();
  // Runs one call; returns the wait before the next.
  std::chrono::milliseconds Step();
  void SetState(const std::string& state, const std::string& error);
  // After the mesh failed: what the public endpoint says about us. Returns
  // the state ("refused" or "unreachable") and the message to keep.
  std::pair<std::string, std::string> AskPublicEndpoint(const std::string& mesh_error);

  ColonyLinkOptions options_;
  std::unique_ptr<coral::v1::ColonyService::Stub> stub_;
  bool registered_ = false;  // loop thread only
  std::chrono::milliseconds interval_{10'000};  // loop thread only

  mutable std::mutex mu_;  // guards state_, stopping_
  std::condition_variable cv_;
  ColonyLinkState state_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace coral::agent

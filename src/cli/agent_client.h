// The CLI's connection to a local agent's API: address from --agent or the
// agent config, bearer token from <home>/agent/api.token.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "config/home.h"
#include "coral/v1/agent.grpc.pb.h"

namespace coral::cli {

class AgentClient {
 public:
  // address: "host:port", or "" for 127.0.0.1:<api.grpc_port from agent.yaml>.
  static Result<AgentClient> Open(const config::Home& home, const std::string& address);

  const std::string& address() const { return address_; }
  Result<coral::v1::RuntimeContext> RuntimeContext();
  Result<coral::v1::ListServicesResponse> ListServices();
  Result<coral::v1::ServiceInfo> Connect(const std::string& name, int port,
                                         const std::string& health_path);
  Status Disconnect(const std::string& name);

 private:
  template <typename Call>
  Status Invoke(std::string_view what, Call&& call);

  std::string address_;
  std::string token_;
  std::shared_ptr<coral::v1::AgentService::Stub> stub_;
};

}  // namespace coral::cli

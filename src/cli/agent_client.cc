#include "cli/agent_client.h"

#include <grpcpp/grpcpp.h>

#include "base/files.h"
#include "config/agent_config.h"
#include "net/grpc_server.h"

namespace coral::cli {

namespace {

// The bearer token belongs to this host's agent: it is only ever sent to a
// loopback address. Remote agents are reached over the mesh with mTLS.
Status CheckLocal(const std::string& address) {
  std::string host = address.substr(0, address.rfind(':'));
  bool local = host == "localhost" || host == "[::1]" || host.rfind("127.", 0) == 0;
  if (!local || address.rfind(':') == std::string::npos) {
    return InvalidArgument("--agent '" + address +
                           "': only this host's agent is reachable for now (127.0.0.1:PORT, "
                           "[::1]:PORT or localhost:PORT); its token is never sent elsewhere");
  }
  return Status::Ok();
}

}  // namespace

Result<AgentClient> AgentClient::Open(const config::Home& home, const std::string& address) {
  AgentClient c;
  if (!address.empty()) CORAL_TRY(CheckLocal(address));
  c.address_ = address;
  if (c.address_.empty()) {
    auto cfg = CORAL_TRY(config::LoadConfig<config::AgentConfig>(home.agent_dir() / "agent.yaml",
                                                                 config::kAgentEnvPrefix, false));
    c.address_ = "127.0.0.1:" + std::to_string(cfg.grpc_port);
  }
  auto token = ReadFile(home.agent_dir() / "api.token");
  if (!token.ok()) {
    return FailedPrecondition("no agent API token at " + (home.agent_dir() / "api.token").string() +
                              "; start the agent on this host first with 'coral agent start'");
  }
  c.token_ = *token;
  while (!c.token_.empty() && c.token_.back() == '\n') c.token_.pop_back();
  c.stub_ = coral::v1::AgentService::NewStub(
      grpc::CreateChannel(c.address_, net::ChannelCredentials("")));
  return c;
}

template <typename Call>
Status AgentClient::Invoke(std::string_view what, Call&& call) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  ctx.AddMetadata("authorization", "Bearer " + token_);
  grpc::Status s = call(ctx);
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return Unavailable("no agent answering at " + address_ +
                       "; is it running? ('coral agent status', 'coral agent start')");
  }
  return net::FromGrpc(s, std::string(what) + " at " + address_);
}

Result<coral::v1::RuntimeContext> AgentClient::RuntimeContext() {
  coral::v1::RuntimeContext out;
  CORAL_TRY(Invoke("GetRuntimeContext", [&](grpc::ClientContext& ctx) {
    return stub_->GetRuntimeContext(&ctx, {}, &out);
  }));
  return out;
}

Result<coral::v1::ListServicesResponse> AgentClient::ListServices() {
  coral::v1::ListServicesResponse out;
  CORAL_TRY(Invoke("ListServices",
                   [&](grpc::ClientContext& ctx) { return stub_->ListServices(&ctx, {}, &out); }));
  return out;
}

Result<coral::v1::ServiceInfo> AgentClient::Connect(const std::string& name, int port,
                                                    const std::string& health_path) {
  coral::v1::ConnectServiceRequest req;
  req.set_name(name);
  req.set_port(port);
  req.set_health_path(health_path);
  coral::v1::ConnectServiceResponse out;
  CORAL_TRY(Invoke("ConnectService", [&](grpc::ClientContext& ctx) {
    return stub_->ConnectService(&ctx, req, &out);
  }));
  return out.service();
}

Status AgentClient::Disconnect(const std::string& name) {
  coral::v1::DisconnectServiceRequest req;
  req.set_name(name);
  coral::v1::DisconnectServiceResponse out;
  return Invoke("DisconnectService", [&](grpc::ClientContext& ctx) {
    return stub_->DisconnectService(&ctx, req, &out);
  });
}

}  // namespace coral::cli

// AgentService over gRPC (proto/coral/v1/agent.proto), served twice, each
// through a front door of its own (auth/front_door.h): on 127.0.0.1 every
// call must carry `authorization: Bearer <token>` with the agent's API token
// (kLocal, the operator on this host); on the mesh address the caller must
// present its colony's certificate over mTLS (kMesh). Anything else is
// refused before any work is done.
//
// Thread-safety: gRPC calls these from its threads; Agent is thread-safe.
#pragma once

#include <memory>

#include "auth/front_door.h"
#include "auth/policy.h"
#include "coral/v1/agent.grpc.pb.h"

namespace coral::agent {

class Agent;

class AgentApi final : public coral::v1::AgentService::Service {
 public:
  enum class Access { kLocal, kMesh };
  AgentApi(Agent& agent, Access access);

  grpc::Status GetRuntimeContext(grpc::ServerContext* ctx,
                                 const coral::v1::GetRuntimeContextRequest* req,
                                 coral::v1::RuntimeContext* out) override;
  grpc::Status ListServices(grpc::ServerContext* ctx, const coral::v1::ListServicesRequest* req,
                            coral::v1::ListServicesResponse* out) override;
  grpc::Status ConnectService(grpc::ServerContext* ctx, const coral::v1::ConnectServiceRequest* req,
                              coral::v1::ConnectServiceResponse* out) override;
  grpc::Status DisconnectService(grpc::ServerContext* ctx,
                                 const coral::v1::DisconnectServiceRequest* req,
                                 coral::v1::DisconnectServiceResponse* out) override;
  grpc::Status QueryTable(grpc::ServerContext* ctx, const coral::v1::QueryTableRequest* req,
                          coral::v1::QueryTableResponse* out) override;

 private:
  grpc::Status Authorize(grpc::ServerContext* ctx, std::string_view method);
  Agent& agent_;
  auth::Policy policy_;
  std::unique_ptr<auth::FrontDoor> door_;
};

}  // namespace coral::agent

// AgentService over gRPC (proto/coral/v1/agent.proto). Every call must carry
// `authorization: Bearer <token>` with the agent's API token; anything else is
// UNAUTHENTICATED before any work is done.
//
// Thread-safety: gRPC calls these from its threads; Agent is thread-safe.
#pragma once

#include "coral/v1/agent.grpc.pb.h"

namespace coral::agent {

class Agent;

class AgentApi final : public coral::v1::AgentService::Service {
 public:
  explicit AgentApi(Agent& agent) : agent_(agent) {}

  grpc::Status GetRuntimeContext(grpc::ServerContext* ctx,
                                 const coral::v1::GetRuntimeContextRequest* req,
                                 coral::v1::RuntimeContext* out) override;
  grpc::Status ListServices(grpc::ServerContext* ctx, const coral::v1::ListServicesRequest* req,
                            coral::v1::ListServicesResponse* out) override;
  grpc::Status ConnectService(grpc::ServerContext* ctx,
                              const coral::v1::ConnectServiceRequest* req,
                              coral::v1::ConnectServiceResponse* out) override;
  grpc::Status DisconnectService(grpc::ServerContext* ctx,
                                 const coral::v1::DisconnectServiceRequest* req,
                                 coral::v1::DisconnectServiceResponse* out) override;
  grpc::Status QueryTable(grpc::ServerContext* ctx, const coral::v1::QueryTableRequest* req,
                          coral::v1::QueryTableResponse* out) override;

 private:
  grpc::Status Authorize(grpc::ServerContext* ctx) const;
  Agent& agent_;
};

}  // namespace coral::agent

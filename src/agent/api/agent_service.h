// AgentService over gRPC (proto/coral/v1/agent.proto), served twice: on
// 127.0.0.1 every call must carry `authorization: Bearer <token>` with the
// agent's API token (kLocal); on the mesh address the caller must present the
// colony's certificate over mTLS (kMesh). Anything else is refused before any
// work is done.
//
// Thread-safety: gRPC calls these from its threads; Agent is thread-safe.
#pragma once

#include "coral/v1/agent.grpc.pb.h"

namespace coral::agent {

class Agent;

class AgentApi final : public coral::v1::AgentService::Service {
 public:
  enum class Access { kLocal, kMesh };
  AgentApi(Agent& agent, Access access) : agent_(agent), access_(access) {}

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
  const Access access_;
};

}  // namespace coral::agent

#include "agent/mesh/colony_link.h"

#include <grpcpp/grpcpp.h>

#include <nlohmann/json.hpp>

#include "base/log.h"
#include "net/http_client.h"
#include "net/grpc_server.h"

namespace coral::agent {

ColonyLink::ColonyLink(ColonyLinkOptions options) : options_(std::move(options)) {
  auto channel = grpc::CreateChannel(
      options_.colony_address,
      net::ChannelCredentials(options_.ca_pem, options_.cert_pem, options_.key_pem));
  stub_ = coral::v1::ColonyService::NewStub(channel);
}

ColonyLink::~ColonyLink() { Stop(); }

void ColonyLink::Start() { thread_ = std::thread([this] { Main(); }); }

void ColonyLink::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

ColonyLinkState ColonyLink::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

void ColonyLink::SetState(const std::string& state, const std::string& error) {
  std::lock_guard lock(mu_);
  if (state != state_.state) {
    if (state == "registered") {
      CORAL_LOG_INFO("agent: registered with the colony at {} over the mesh",
                     options_.colony_address);
    } else if (state == "refused") {
      CORAL_LOG_ERROR("agent: the colony refused this agent: {}", error);
    } else {
      CORAL_LOG_WARN("agent: colony at {} unreachable over the mesh: {}",
                     options_.colony_address, error);
    }
  }
  state_.state = state;
  state_.last_error = error;
  if (state == "registered") state_.last_heartbeat = SystemClock::Get().Now();
}

std::chrono::milliseconds ColonyLink::Step() {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Status s;
  if (!registered_) {
    coral::v1::RegisterRequest req;
    req.set_hostname(options_.hostname);
    req.set_version(options_.version);
    req.set_api_port(options_.api_port);
    coral::v1::RegisterResponse resp;
    s = stub_->Register(&ctx, req, &resp);
    if (s.ok() && resp.heartbeat_interval_ms() > 0) {
      interval_ = std::chrono::milliseconds(resp.heartbeat_interval_ms());
    }
  } else {
    coral::v1::HeartbeatRequest req;
    coral::v1::HeartbeatResponse resp;
    s = stub_->Heartbeat(&ctx, req, &resp);
  }
  if (s.ok()) {
    registered_ = true;
    SetState("registered", "");
    return interval_;
  }
  registered_ = false;
  bool refused = s.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
                 s.error_code() == grpc::StatusCode::UNAUTHENTICATED;
  if (refused) {
    SetState("refused", s.error_message());
  } else {
    auto [state, message] = AskPublicEndpoint(s.error_message());
    refused = state == "refused";
    SetState(state, message);
  }
  // A refusal will not change soon; keep asking, slowly.
  return refused ? std::max(interval_, std::chrono::milliseconds(30'000)) : options_.retry;
}

std::pair<std::string, std::string> ColonyLink::AskPublicEndpoint(const std::string& mesh_error) {
  std::string mesh = "the colony's API at " + options_.colony_address +
                     " does not answer over the mesh (" + mesh_error + ")";
  for (const auto& ep : options_.public_endpoints) {
    auto r = net::HttpFetch({.url = "https://" + ep + "/v1/agent/self",
                             .timeout = std::chrono::seconds(5),
                             .connect_timeout = std::chrono::seconds(5),
                             .ca_pem = options_.ca_pem,
                             .client_cert_pem = options_.cert_pem,
                             .client_key_pem = options_.key_pem});
    if (!r.ok()) continue;
    std::string said;
    try {
      auto j = nlohmann::json::parse(r->body);
      said = j.value("error", j.value("state", std::string()));
    } catch (const nlohmann::json::exception&) {
      said = r->body.substr(0, 200);
    }
    if (r->status == 403) return {"refused", said};
    return {"unreachable", mesh + "; its public endpoint " + ep +
                               " answers (this agent: " + said +
                               "), so check that WireGuard UDP reaches the colony"};
  }
  return {"unreachable", mesh};
}

void ColonyLink::Main() {
  while (true) {
    auto wait = Step();
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, wait, [this] { return stopping_; })) return;
  }
}

}  // namespace coral::agent

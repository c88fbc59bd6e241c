// What the colony's API handlers (colony_api.h) need of the colony process:
// the read side's view of it (analysis/colony_view.h), its front door and
// tokens (auth/), and what only the process can do: note an agent's calls,
// revoke an agent (its mesh peer goes too), wrap a join token for agents.
// colony.h implements it; tests of the handlers use a fake.
//
// Thread-safety: implementations must be safe to call from many threads.
#pragma once

#include <string>

#include "analysis/colony_view.h"
#include "auth/front_door.h"
#include "auth/tokens.h"
#include "config/colony_config.h"

namespace coral::colony {

class ColonyControl : public analysis::ColonyView {
 public:
  virtual const config::ColonyConfig& config() const = 0;
  virtual auth::FrontDoor& door() = 0;
  virtual auth::TokenStore& tokens() = 0;

  // An agent registered (at start) or sent a heartbeat; Register tells what
  // it runs and where its API listens.
  virtual coral::Status AgentRegistered(const std::string& agent_id, const std::string& hostname,
                                        const std::string& version, int64_t api_port) = 0;
  virtual coral::Status AgentHeartbeat(const std::string& agent_id) = 0;
  virtual Result<coral::v1::AgentInfo> RevokeAgent(const std::string& agent_id) = 0;
  // The join token agents use (colony id, endpoints, CA fingerprint) around
  // a new token's secret.
  virtual Result<std::string> JoinTokenText(const auth::TokenStore::NewToken& token) = 0;
};

}  // namespace coral::colony

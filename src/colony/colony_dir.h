// Creating a colony: colonies/<id>/ under CORAL_HOME (config/colonies.h reads
// them). Creating one makes its identity (WireGuard key pair, CA, colony secret, mesh range) in a
// temp folder and renames it into place, so a crash never leaves half a
// colony. Files:
//   colony.yaml     config (public)           wireguard.key  private key (0600)
//   ca.crt          CA certificate (public)   ca.key         CA key (0600)
//   colony.secret   shared secret (0600), used by same-host agents and tokens
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "config/colony_config.h"
#include "config/home.h"

namespace coral::colony {

enum class Replace { kNo, kYes };

struct CreateColonyOptions {
  std::string app;
  std::string env = "dev";
  Replace replace = Replace::kNo;  // --force: replace a colony of the same app and env
};

// Creates a colony; it becomes the default when there was none (or when it
// replaces the default).
Result<config::ColonyConfig> CreateColony(const config::Home& home,
                                          const CreateColonyOptions& options,
                                          const Clock& clock = SystemClock::Get());

}  // namespace coral::colony

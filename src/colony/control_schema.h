// The colony's control store (control.duckdb beside colony.yaml): the agent
// registry, and auth/'s tokens (join and API) and audit log. It stays DuckDB whatever backend holds
// telemetry, because enrollment needs real transactions (a token's use and the agent's record land
// together).
#pragma once

#include <span>

#include "storage/store.h"

namespace coral::colony {

std::span<const storage::Migration> ControlMigrations();

}  // namespace coral::colony

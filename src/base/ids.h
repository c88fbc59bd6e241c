// Identifiers and randomness. Colony ids read "<app>-<env>-<6 hex>" (e.g.
// "shop-prod-3fa2c1"): the app and env a person chose, plus a random suffix so
// two colonies of the same app never collide across machines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace coral {

// Cryptographically secure random bytes from the kernel (getrandom).
std::vector<uint8_t> RandomBytes(size_t n);
void FillRandom(uint8_t* out, size_t n);
// n random bytes as 2n lowercase hex characters.
std::string RandomHex(size_t n_bytes);
std::string HexEncode(const uint8_t* data, size_t n);
std::string HexEncode(std::string_view bytes);

// App and env names: 1 to 24 characters of [a-z0-9-], starting with a letter,
// not ending with '-'. `what` names the value in the error ("app", "--env").
Status ValidateName(std::string_view what, std::string_view name);

struct ColonyId {
  std::string app;
  std::string env;
  std::string suffix;  // 6 lowercase hex
  std::string str() const { return app + "-" + env + "-" + suffix; }
};

// A new id with a random suffix. Validates app and env.
Result<ColonyId> NewColonyId(std::string_view app, std::string_view env);
// Parses "<app>-<env>-<6 hex>". Apps may contain '-', envs may not.
Result<ColonyId> ParseColonyId(std::string_view id);

}  // namespace coral

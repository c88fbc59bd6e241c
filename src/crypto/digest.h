// SHA-256 and HMAC-SHA-256 for secrets at rest and derived secrets: the colony
// keeps only hashes of join tokens and API tokens, and derives each purpose's
// secret from the colony secret so one leaked value opens only one door.
//
// Thread-safety: stateless functions.
#pragma once

#include <string>
#include <string_view>

namespace coral::crypto {

// Lowercase hex of SHA-256(data).
std::string Sha256Hex(std::string_view data);
// Lowercase hex of HMAC-SHA-256(key, message).
std::string HmacSha256Hex(std::string_view key, std::string_view message);
// Equality that takes the same time wherever the inputs differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace coral::crypto

// X25519 keys as WireGuard uses them: 32 bytes, base64 in config files and on
// the wire to wg(8) (44 characters), hex in the UAPI protocol. Private keys are
// clamped per RFC 7748 and wiped from memory when their holder goes away.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace coral::crypto {

inline constexpr size_t kKeySize = 32;
using KeyBytes = std::array<uint8_t, kKeySize>;

// Wipes memory so the compiler cannot drop the stores (sodium_memzero).
void Wipe(void* data, size_t n);
void Wipe(std::string& s);

// A private key that wipes itself. Move-only.
class PrivateKey {
 public:
  PrivateKey() { bytes_.fill(0); }
  explicit PrivateKey(const KeyBytes& bytes);
  ~PrivateKey() { Wipe(bytes_.data(), bytes_.size()); }
  PrivateKey(PrivateKey&& other) noexcept;
  PrivateKey& operator=(PrivateKey&& other) noexcept;
  PrivateKey(const PrivateKey&) = delete;
  PrivateKey& operator=(const PrivateKey&) = delete;

  static PrivateKey Generate();  // random, clamped
  const KeyBytes& bytes() const { return bytes_; }
  bool is_zero() const;

 private:
  KeyBytes bytes_;
};

struct PublicKey {
  KeyBytes bytes{};
  bool operator==(const PublicKey&) const = default;
  bool operator<(const PublicKey& o) const { return bytes < o.bytes; }
};

PublicKey DerivePublicKey(const PrivateKey& key);

std::string Base64Encode(std::string_view bytes);
Result<std::string> Base64Decode(std::string_view text);

// 44-character base64, as `wg genkey` / `wg pubkey` print.
std::string KeyToBase64(const KeyBytes& key);
Result<KeyBytes> KeyFromBase64(std::string_view text);
// 64 lowercase hex characters, as the UAPI protocol uses.
std::string KeyToHex(const KeyBytes& key);
Result<KeyBytes> KeyFromHex(std::string_view text);

}  // namespace coral::crypto

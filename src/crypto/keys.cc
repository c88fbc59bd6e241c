#include "crypto/keys.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstring>

#include "base/ids.h"

namespace coral::crypto {

namespace {
void EnsureSodium() {
  static const bool ready = sodium_init() >= 0;
  CORAL_CHECK(ready, "libsodium failed to initialize");
}
}  // namespace

void Wipe(void* data, size_t n) { sodium_memzero(data, n); }

void Wipe(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

PrivateKey::PrivateKey(const KeyBytes& bytes) : bytes_(bytes) {}

PrivateKey::PrivateKey(PrivateKey&& other) noexcept : bytes_(other.bytes_) {
  Wipe(other.bytes_.data(), other.bytes_.size());
}

PrivateKey& PrivateKey::operator=(PrivateKey&& other) noexcept {
  if (this != &other) {
    bytes_ = other.bytes_;
    Wipe(other.bytes_.data(), other.bytes_.size());
  }
  return *this;
}

PrivateKey PrivateKey::Generate() {
  KeyBytes b;
  FillRandom(b.data(), b.size());
  // Clamp per RFC 7748, as `wg genkey` does.
  b[0] &= 248;
  b[31] &= 127;
  b[31] |= 64;
  PrivateKey key(b);
  Wipe(b.data(), b.size());
  return key;
}

bool PrivateKey::is_zero() const { return sodium_is_zero(bytes_.data(), bytes_.size()) == 1; }

PublicKey DerivePublicKey(const PrivateKey& key) {
  EnsureSodium();
  PublicKey pub;
  CORAL_CHECK(crypto_scalarmult_curve25519_base(pub.bytes.data(), key.bytes().data()) == 0,
              "X25519 base-point multiplication failed");
  return pub;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return InvalidArgument("base64 text has length " + std::to_string(text.size()) +
                           ", not a multiple of 4");
  }
  std::string out(3 * text.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return InvalidArgument("text is not valid base64");
  // EVP_DecodeBlock counts padding as zero bytes.
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::string KeyToBase64(const KeyBytes& key) {
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

Result<KeyBytes> KeyFromBase64(std::string_view text) {
  if (text.size() != 44 || text[43] != '=') {
    return InvalidArgument("key is not 44 characters of base64 (as `wg genkey` prints)");
  }
  std::string raw = CORAL_TRY(Base64Decode(text));
  if (raw.size() != kKeySize) return InvalidArgument("key does not decode to 32 bytes");
  KeyBytes key;
  std::memcpy(key.data(), raw.data(), kKeySize);
  Wipe(raw);
  return key;
}

std::string KeyToHex(const KeyBytes& key) { return HexEncode(key.data(), key.size()); }

Result<KeyBytes> KeyFromHex(std::string_view text) {
  if (text.size() != 2 * kKeySize) return InvalidArgument("key is not 64 hex characters");
  KeyBytes key;
  for (size_t i = 0; i < kKeySize; ++i) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = nibble(text[2 * i]);
    int lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgument("key has a character that is not hex");
    key[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return key;
}

}  // namespace coral::crypto

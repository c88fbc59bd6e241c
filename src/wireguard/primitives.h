// The cryptographic primitives of WireGuard's Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s
// construction: BLAKE2s hash, keyed BLAKE2s MAC, HMAC-BLAKE2s and the HKDF built
// on it, X25519, ChaCha20-Poly1305 (transport and handshake), XChaCha20-Poly1305
// (cookie replies) and TAI64N timestamps. BLAKE2s comes from OpenSSL 3 (libsodium
// has none); X25519 and both AEADs from libsodium.
//
// Thread-safety: every function is stateless and safe to call from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/clock.h"

namespace coral::wireguard {

inline constexpr size_t kHashLen = 32;
inline constexpr size_t kKeyLen = 32;
inline constexpr size_t kMacLen = 16;
inline constexpr size_t kTagLen = 16;
inline constexpr size_t kXNonceLen = 24;
inline constexpr size_t kTimestampLen = 12;

using Key = std::array<uint8_t, kKeyLen>;
using Hash = std::array<uint8_t, kHashLen>;
using Mac = std::array<uint8_t, kMacLen>;
using Timestamp = std::array<uint8_t, kTimestampLen>;
using Bytes = std::span<const uint8_t>;

// Wipes secrets so the compiler cannot drop the stores.
void SecureWipe(void* data, size_t n);
template <typename T, size_t N>
void SecureWipe(std::array<T, N>& a) {
  SecureWipe(a.data(), sizeof(T) * N);
}

// BLAKE2s-256 over the concatenation of the parts.
Hash Blake2s(Bytes a, Bytes b = {});
// Keyed BLAKE2s (the MAC of the WireGuard paper), out.size() bytes (1..32).
void Blake2sMac(Bytes key, Bytes data, std::span<uint8_t> out);
Mac Mac16(Bytes key, Bytes data);
// HMAC (RFC 2104) with BLAKE2s-256.
Hash HmacBlake2s(Bytes key, Bytes data);
// KDF_n of the paper: HKDF with HMAC-BLAKE2s, writing 1 to 3 outputs (null to skip).
void Kdf(const Key& chaining_key, Bytes input, Key* out1, Key* out2, Key* out3);

// X25519. Returns false when the shared secret is all zeros (a low-order point),
// which WireGuard treats as a failed handshake.
[[nodiscard]] bool X25519(Key& out, const Key& private_key, const Key& public_key);
void X25519Base(Key& public_key, const Key& private_key);
void GeneratePrivateKey(Key& private_key);  // random and clamped

// ChaCha20-Poly1305 (RFC 8439) with WireGuard's nonce: 32 zero bits and a
// little-endian 64-bit counter. `out` holds plain.size() + 16 bytes; it may alias plain.
void AeadEncrypt(uint8_t* out, Bytes plain, uint64_t counter, const Key& key, Bytes ad);
[[nodiscard]] bool AeadDecrypt(uint8_t* out, Bytes sealed, uint64_t counter, const Key& key,
                               Bytes ad);
// The same AEAD with a raw 96-bit nonce (for known-answer tests).
void AeadEncryptNonce(uint8_t* out, Bytes plain, const uint8_t nonce[12], const Key& key, Bytes ad);
// XChaCha20-Poly1305 with a 192-bit nonce (cookie replies).
void XAeadEncrypt(uint8_t* out, Bytes plain, const uint8_t nonce[kXNonceLen], const Key& key,
                  Bytes ad);
[[nodiscard]] bool XAeadDecrypt(uint8_t* out, Bytes sealed, const uint8_t nonce[kXNonceLen],
                                const Key& key, Bytes ad);

// TAI64N label for a wall time: 8 bytes big-endian seconds + 2^62 + 10 (TAI
// offset), then 4 bytes big-endian nanoseconds. Nanoseconds are rounded down to a
// multiple of 2^24 so that a timestamp does not leak a precise clock.
Timestamp Tai64n(WallTime t);

// Constant-time comparison.
bool EqualConstantTime(const uint8_t* a, const uint8_t* b, size_t n);

template <size_t N>
Bytes AsBytes(const std::array<uint8_t, N>& a) {
  return Bytes(a.data(), N);
}

}  // namespace coral::wireguard

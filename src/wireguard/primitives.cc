#include "wireguard/primitives.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <cstring>

#include "base/check.h"
#include "base/ids.h"

namespace coral::wireguard {
namespace {

constexpr size_t kBlockLen = 64;  // BLAKE2s block size, the HMAC block size

// Fetched once: EVP_MD_fetch is far too slow for per-message use.
const EVP_MD* Blake2sMd() {
  static const EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "BLAKE2S-256", nullptr);
    CORAL_CHECK(m != nullptr, "OpenSSL has no BLAKE2S-256");
    return m;
  }();
  return md;
}

EVP_MAC* Blake2sMacAlgo() {
  static EVP_MAC* mac = [] {
    EVP_MAC* m = EVP_MAC_fetch(nullptr, "BLAKE2SMAC", nullptr);
    CORAL_CHECK(m != nullptr, "OpenSSL has no BLAKE2SMAC");
    return m;
  }();
  return mac;
}

struct SodiumInit {
  SodiumInit() { CORAL_CHECK(sodium_init() >= 0, "sodium_init failed"); }
};
const SodiumInit kSodiumInit;

void MakeNonce(uint8_t nonce[12], uint64_t counter) {
  std::memset(nonce, 0, 4);
  for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<uint8_t>(counter >> (8 * i));
}

}  // namespace

void SecureWipe(void* data, size_t n) { sodium_memzero(data, n); }

Hash Blake2s(Bytes a, Bytes b) {
  Hash out;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  CORAL_CHECK(ctx != nullptr, "EVP_MD_CTX_new");
  unsigned len = 0;
  bool ok = EVP_DigestInit_ex2(ctx, Blake2sMd(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 &&
            EVP_DigestUpdate(ctx, b.data(), b.size()) == 1 &&
            EVP_DigestFinal_ex(ctx, out.data(), &len) == 1;
  EVP_MD_CTX_free(ctx);
  CORAL_CHECK(ok && len == kHashLen, "BLAKE2s digest failed");
  return out;
}

void Blake2sMac(Bytes key, Bytes data, std::span<uint8_t> out) {
  CORAL_CHECK(!key.empty() && key.size() <= 32 && !out.empty() && out.size() <= 32,
              "BLAKE2s MAC key and output are 1..32 bytes");
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(Blake2sMacAlgo());
  CORAL_CHECK(ctx != nullptr, "EVP_MAC_CTX_new");
  size_t size = out.size();
  OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
                         OSSL_PARAM_construct_end()};
  size_t written = 0;
  bool ok = EVP_MAC_init(ctx, key.data(), key.size(), params) == 1 &&
            EVP_MAC_update(ctx, data.data(), data.size()) == 1 &&
            EVP_MAC_final(ctx, out.data(), &written, out.size()) == 1;
  EVP_MAC_CTX_free(ctx);
  CORAL_CHECK(ok && written == out.size(), "BLAKE2s MAC failed");
}

Mac Mac16(Bytes key, Bytes data) {
  Mac out;
  Blake2sMac(key, data, out);
  return out;
}

Hash HmacBlake2s(Bytes key, Bytes data) {
  CORAL_CHECK(key.size() <= kBlockLen, "HMAC-BLAKE2s keys here are at most one block");
  std::array<uint8_t, kBlockLen> pad{};
  std::memcpy(pad.data(), key.data(), key.size());
  for (auto& b : pad) b ^= 0x36;
  Hash inner = Blake2s(AsBytes(pad), data);
  for (auto& b : pad) b ^= 0x36 ^ 0x5c;
  Hash out = Blake2s(AsBytes(pad), AsBytes(inner));
  SecureWipe(pad);
  SecureWipe(inner);
  return out;
}

void Kdf(const Key& chaining_key, Bytes input, Key* out1, Key* out2, Key* out3) {
  Hash prk = HmacBlake2s(AsBytes(chaining_key), input);
  std::array<uint8_t, kHashLen + 1> buf{};
  buf[0] = 1;
  Hash t = HmacBlake2s(AsBytes(prk), Bytes(buf.data(), 1));
  if (out1) *out1 = t;
  if (out2 || out3) {
    std::memcpy(buf.data(), t.data(), kHashLen);
    buf[kHashLen] = 2;
    t = HmacBlake2s(AsBytes(prk), AsBytes(buf));
    if (out2) *out2 = t;
  }
  if (out3) {
    std::memcpy(buf.data(), t.data(), kHashLen);
    buf[kHashLen] = 3;
    t = HmacBlake2s(AsBytes(prk), AsBytes(buf));
    *out3 = t;
  }
  SecureWipe(prk);
  SecureWipe(t);
  SecureWipe(buf);
}

bool X25519(Key& out, const Key& private_key, const Key& public_key) {
  return crypto_scalarmult(out.data(), private_key.data(), public_key.data()) == 0;
}

void X25519Base(Key& public_key, const Key& private_key) {
  CORAL_CHECK(crypto_scalarmult_base(public_key.data(), private_key.data()) == 0,
              "X25519 base multiplication failed");
}

void GeneratePrivateKey(Key& private_key) {
  FillRandom(private_key.data(), private_key.size());
  private_key[0] &= 248;
  private_key[31] = (private_key[31] & 127) | 64;
}

void AeadEncryptNonce(uint8_t* out, Bytes plain, const uint8_t nonce[12], const Key& key,
                      Bytes ad) {
  crypto_aead_chacha20poly1305_ietf_encrypt_detached(out, out + plain.size(), nullptr, plain.data(),
                                                     plain.size(), ad.data(), ad.size(), nullptr,
                                                     nonce, key.data());
}

void AeadEncrypt(uint8_t* out, Bytes plain, uint64_t counter, const Key& key, Bytes ad) {
  uint8_t nonce[12];
  MakeNonce(nonce, counter);
  AeadEncryptNonce(out, plain, nonce, key, ad);
}

bool AeadDecrypt(uint8_t* out, Bytes sealed, uint64_t counter, const Key& key, Bytes ad) {
  if (sealed.size() < kTagLen) return false;
  uint8_t nonce[12];
  MakeNonce(nonce, counter);
  size_t n = sealed.size() - kTagLen;
  return crypto_aead_chacha20poly1305_ietf_decrypt_detached(out, nullptr, sealed.data(), n,
                                                            sealed.data() + n, ad.data(), ad.size(),
                                                            nonce, key.data()) == 0;
}

void XAeadEncrypt(uint8_t* out, Bytes plain, const uint8_t nonce[kXNonceLen], const Key& key,
                  Bytes ad) {
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached(out, out + plain.size(), nullptr,
                                                      plain.data(), plain.size(), ad.data(),
                                                      ad.size(), nullptr, nonce, key.data());
}

bool XAeadDecrypt(uint8_t* out, Bytes sealed, const uint8_t nonce[kXNonceLen], const Key& key,
                  Bytes ad) {
  if (sealed.size() < kTagLen) return false;
  size_t n = sealed.size() - kTagLen;
  return crypto_aead_xchacha20poly1305_ietf_decrypt_detached(out, nullptr, sealed.data(), n,
                                                             sealed.data() + n, ad.data(),
                                                             ad.size(), nonce, key.data()) == 0;
}

Timestamp Tai64n(WallTime t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  uint64_t secs = static_cast<uint64_t>(ns / 1'000'000'000) + 0x400000000000000aULL;
  uint32_t nanos = static_cast<uint32_t>(ns % 1'000'000'000) & ~((1u << 24) - 1);
  Timestamp out;
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(secs >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i) out[8 + i] = static_cast<uint8_t>(nanos >> (24 - 8 * i));
  return out;
}

bool EqualConstantTime(const uint8_t* a, const uint8_t* b, size_t n) {
  return CRYPTO_memcmp(a, b, n) == 0;
}

}  // namespace coral::wireguard

#include "wireguard/noise.h"

#include <cstring>

namespace coral::wireguard {
namespace {

Bytes Str(const char* s) { return Bytes(reinterpret_cast<const uint8_t*>(s), std::strlen(s)); }

// HASH(CONSTRUCTION) and HASH(HASH(CONSTRUCTION) || IDENTIFIER): the same for
// every handshake, so computed once.
const Key& InitialChainingKey() {
  static const Key ck = Blake2s(Str(kConstruction));
  return ck;
}
const Hash& InitialHash() {
  static const Hash h = Blake2s(AsBytes(InitialChainingKey()), Str(kIdentifier));
  return h;
}

void MixHash(Hash& h, Bytes data) { h = Blake2s(AsBytes(h), data); }
template <size_t N>
void MixHash(Hash& h, const uint8_t (&data)[N]) {
  MixHash(h, Bytes(data, N));
}
void MixKey(Key& ck, Bytes input) { Kdf(ck, input, &ck, nullptr, nullptr); }

// (ck, k) = KDF2(ck, DH(priv, pub)); false on an all-zero shared secret.
bool MixDh(Key& ck, Key& k, const Key& priv, const Key& pub) {
  Key shared;
  bool ok = X25519(shared, priv, pub);
  if (ok) Kdf(ck, AsBytes(shared), &ck, &k, nullptr);
  SecureWipe(shared);
  return ok;
}
bool MixDhNoKey(Key& ck, const Key& priv, const Key& pub) {
  Key shared;
  bool ok = X25519(shared, priv, pub);
  if (ok) MixKey(ck, AsBytes(shared));
  SecureWipe(shared);
  return ok;
}

// Ties the chaining state to a secure wipe on every exit path.
struct Scratch {
  Key ck{};
  Key k{};
  Hash h{};
  ~Scratch() {
    SecureWipe(ck);
    SecureWipe(k);
    SecureWipe(h);
  }
};

}  // namespace

std::optional<ConsumedInitiation> DecryptInitiation(const InitiationMessage& msg,
                                                    const StaticIdentity& identity) {
  if (!identity.has_key) return std::nullopt;
  Scratch s;
  s.ck = InitialChainingKey();
  s.h = InitialHash();
  MixHash(s.h, AsBytes(identity.public_key));
  ConsumedInitiation out;
  std::memcpy(out.remote_ephemeral.data(), msg.ephemeral, 32);
  MixKey(s.ck, AsBytes(out.remote_ephemeral));
  MixHash(s.h, msg.ephemeral);
  if (!MixDh(s.ck, s.k, identity.private_key, out.remote_ephemeral)) return std::nullopt;
  if (!AeadDecrypt(out.remote_static.data(),
                   Bytes(msg.encrypted_static, sizeof(msg.encrypted_static)), 0, s.k,
                   AsBytes(s.h))) {
    return std::nullopt;
  }
  MixHash(s.h, msg.encrypted_static);
  if (!MixDh(s.ck, s.k, identity.private_key, out.remote_static)) return std::nullopt;
  if (!AeadDecrypt(out.timestamp.data(),
                   Bytes(msg.encrypted_timestamp, sizeof(msg.encrypted_timestamp)), 0, s.k,
                   AsBytes(s.h))) {
    return std::nullopt;
  }
  MixHash(s.h, msg.encrypted_timestamp);
  out.hash = s.h;
  out.chaining_key = s.ck;
  out.sender = msg.sender;
  return out;
}

void Handshake::SetRemote(const Key& remote_static, const Key& preshared_key) {
  remote_static_ = remote_static;
  psk_ = preshared_key;
}

bool Handshake::CreateInitiation(const StaticIdentity& identity, WallTime now, uint32_t local_index,
                                 InitiationMessage& out) {
  if (!identity.has_key) return false;
  Scratch s;
  Key ephemeral_private;
  Key ephemeral_public;
  GeneratePrivateKey(ephemeral_private);
  X25519Base(ephemeral_public, ephemeral_private);

  std::memset(&out, 0, sizeof(out));
  out.type = static_cast<uint32_t>(MessageType::kInitiation);
  out.sender = local_index;
  s.ck = InitialChainingKey();
  s.h = InitialHash();
  MixHash(s.h, AsBytes(remote_static_));
  std::memcpy(out.ephemeral, ephemeral_public.data(), 32);
  MixKey(s.ck, AsBytes(ephemeral_public));
  MixHash(s.h, out.ephemeral);
  bool ok = MixDh(s.ck, s.k, ephemeral_private, remote_static_);
  if (ok) {
    AeadEncrypt(out.encrypted_static, AsBytes(identity.public_key), 0, s.k, AsBytes(s.h));
    MixHash(s.h, out.encrypted_static);
    ok = MixDh(s.ck, s.k, identity.private_key, remote_static_);
  }
  if (ok) {
    Timestamp ts = Tai64n(now);
    AeadEncrypt(out.encrypted_timestamp, AsBytes(ts), 0, s.k, AsBytes(s.h));
    MixHash(s.h, out.encrypted_timestamp);
    Clear();
    hash_ = s.h;
    chaining_key_ = s.ck;
    ephemeral_private_ = ephemeral_private;
    local_index_ = local_index;
    state_ = State::kCreatedInitiation;
  }
  SecureWipe(ephemeral_private);
  return ok;
}

bool Handshake::AcceptInitiation(const ConsumedInitiation& init, MonoTime now) {
  if (init.remote_static != remote_static_) return false;
  // Timestamps are big-endian, so byte order is time order.
  if (std::memcmp(init.timestamp.data(), latest_timestamp_.data(), kTimestampLen) <= 0) {
    return false;
  }
  if (last_initiation_consumed_ &&
      now - *last_initiation_consumed_ < std::chrono::milliseconds(1000) / kInitiationsPerSecond) {
    return false;
  }
  Clear();
  latest_timestamp_ = init.timestamp;
  last_initiation_consumed_ = now;
  hash_ = init.hash;
  chaining_key_ = init.chaining_key;
  remote_ephemeral_ = init.remote_ephemeral;
  remote_index_ = init.sender;
  state_ = State::kConsumedInitiation;
  return true;
}

bool Handshake::CreateResponse(uint32_t local_index, ResponseMessage& out) {
  if (state_ != State::kConsumedInitiation) return false;
  Scratch s;
  s.ck = chaining_key_;
  s.h = hash_;
  Key ephemeral_private;
  Key ephemeral_public;
  GeneratePrivateKey(ephemeral_private);
  X25519Base(ephemeral_public, ephemeral_private);

  std::memset(&out, 0, sizeof(out));
  out.type = static_cast<uint32_t>(MessageType::kResponse);
  out.sender = local_index;
  out.receiver = remote_index_;
  std::memcpy(out.ephemeral, ephemeral_public.data(), 32);
  MixKey(s.ck, AsBytes(ephemeral_public));
  MixHash(s.h, out.ephemeral);
  bool ok = MixDhNoKey(s.ck, ephemeral_private, remote_ephemeral_) &&
            MixDhNoKey(s.ck, ephemeral_private, remote_static_);
  SecureWipe(ephemeral_private);
  if (!ok) return false;
  Key tau;
  Kdf(s.ck, AsBytes(psk_), &s.ck, &tau, &s.k);
  MixHash(s.h, AsBytes(tau));
  SecureWipe(tau);
  AeadEncrypt(out.encrypted_nothing, Bytes(), 0, s.k, AsBytes(s.h));
  MixHash(s.h, out.encrypted_nothing);
  hash_ = s.h;
  chaining_key_ = s.ck;
  local_index_ = local_index;
  state_ = State::kCreatedResponse;
  return true;
}

bool Handshake::ConsumeResponse(const ResponseMessage& msg, const StaticIdentity& identity) {
  if (state_ != State::kCreatedInitiation || msg.receiver != local_index_ || !identity.has_key) {
    return false;
  }
  Scratch s;
  s.ck = chaining_key_;
  s.h = hash_;
  Key remote_ephemeral;
  std::memcpy(remote_ephemeral.data(), msg.ephemeral, 32);
  MixKey(s.ck, AsBytes(remote_ephemeral));
  MixHash(s.h, msg.ephemeral);
  if (!MixDhNoKey(s.ck, ephemeral_private_, remote_ephemeral) ||
      !MixDhNoKey(s.ck, identity.private_key, remote_ephemeral)) {
    return false;
  }
  Key tau;
  Kdf(s.ck, AsBytes(psk_), &s.ck, &tau, &s.k);
  MixHash(s.h, AsBytes(tau));
  SecureWipe(tau);
  uint8_t nothing[1];
  if (!AeadDecrypt(nothing, Bytes(msg.encrypted_nothing, kTagLen), 0, s.k, AsBytes(s.h))) {
    return false;
  }
  MixHash(s.h, msg.encrypted_nothing);
  hash_ = s.h;
  chaining_key_ = s.ck;
  remote_ephemeral_ = remote_ephemeral;
  remote_index_ = msg.sender;
  state_ = State::kConsumedResponse;
  return true;
}

std::optional<SessionKeys> Handshake::BeginSession() {
  if (state_ != State::kCreatedResponse && state_ != State::kConsumedResponse) return std::nullopt;
  SessionKeys keys;
  keys.initiator = state_ == State::kConsumedResponse;
  if (keys.initiator) {
    Kdf(chaining_key_, Bytes(), &keys.send, &keys.receive, nullptr);
  } else {
    Kdf(chaining_key_, Bytes(), &keys.receive, &keys.send, nullptr);
  }
  keys.local_index = local_index_;
  keys.remote_index = remote_index_;
  Clear();
  return keys;
}

void Handshake::Clear() {
  SecureWipe(hash_);
  SecureWipe(chaining_key_);
  SecureWipe(ephemeral_private_);
  SecureWipe(remote_ephemeral_);
  local_index_ = 0;
  remote_index_ = 0;
  state_ = State::kEmpty;
}

}  // namespace coral::wireguard

// The handshake of WireGuard: Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s with the
// WireGuard prologue ("WireGuard v1 zx2c4 Jason@zx2c4.com"), an optional
// pre-shared key mixed in at psk2, and TAI64N timestamps in the initiation
// against replay. Produces the transport keys of one session.
//
// Thread-safety: a Handshake belongs to one peer and is guarded by that peer's
// lock. DecryptInitiation is stateless.
#pragma once

#include <optional>

#include "base/clock.h"
#include "wireguard/messages.h"
#include "wireguard/primitives.h"

namespace coral::wireguard {

// This device's static key pair.
struct StaticIdentity {
  Key private_key{};
  Key public_key{};
  bool has_key = false;
  ~StaticIdentity() { SecureWipe(private_key); }
};

// What an initiation carried, once decrypted with our static key; not yet
// checked against the peer's replay and flood state.
struct ConsumedInitiation {
  Key remote_static{};
  Key remote_ephemeral{};
  Timestamp timestamp{};
  Hash hash{};
  Key chaining_key{};
  uint32_t sender = 0;
  ~ConsumedInitiation() { SecureWipe(chaining_key); }
};

// Transport keys of one session, from BeginSession.
struct SessionKeys {
  Key send{};
  Key receive{};
  uint32_t local_index = 0;
  uint32_t remote_index = 0;
  bool initiator = false;
  ~SessionKeys() {
    SecureWipe(send);
    SecureWipe(receive);
  }
};

// Decrypts an initiation's static key and timestamp with our identity; nullopt
// when it was not for us or is malformed. MAC1 must have been checked before.
std::optional<ConsumedInitiation> DecryptInitiation(const InitiationMessage& msg,
                                                    const StaticIdentity& identity);

class Handshake {
 public:
  enum class State {
    kEmpty,
    kCreatedInitiation,
    kConsumedInitiation,
    kCreatedResponse,
    kConsumedResponse
  };

  Handshake() = default;
  ~Handshake() {
    Clear();
    SecureWipe(psk_);
  }
  Handshake(const Handshake&) = delete;
  Handshake& operator=(const Handshake&) = delete;

  // The peer's static key and pre-shared key (all zeros: none).
  void SetRemote(const Key& remote_static, const Key& preshared_key);
  void SetPresharedKey(const Key& preshared_key) { psk_ = preshared_key; }
  const Key& remote_static() const { return remote_static_; }
  const Key& preshared_key() const { return psk_; }

  // Starts a handshake as initiator. False when DH fails (bad remote key).
  [[nodiscard]] bool CreateInitiation(const StaticIdentity& identity, WallTime now,
                                      uint32_t local_index, InitiationMessage& out);
  // Takes a decrypted initiation from this peer when its timestamp is newer
  // than any before and initiations are not flooding in. False: no state change.
  [[nodiscard]] bool AcceptInitiation(const ConsumedInitiation& init, MonoTime now);
  // Answers an accepted initiation.
  [[nodiscard]] bool CreateResponse(uint32_t local_index, ResponseMessage& out);
  // Completes our initiation with the peer's response. False: no state change.
  [[nodiscard]] bool ConsumeResponse(const ResponseMessage& msg, const StaticIdentity& identity);
  // Derives the session after kCreatedResponse or kConsumedResponse and clears
  // the handshake state.
  std::optional<SessionKeys> BeginSession();
  void Clear();

  State state() const { return state_; }
  uint32_t local_index() const { return local_index_; }

 private:
  State state_ = State::kEmpty;
  Key remote_static_{};
  Key psk_{};
  Hash hash_{};
  Key chaining_key_{};
  Key ephemeral_private_{};
  Key remote_ephemeral_{};
  uint32_t local_index_ = 0;
  uint32_t remote_index_ = 0;
  Timestamp latest_timestamp_{};
  std::optional<MonoTime> last_initiation_consumed_;
};

}  // namespace coral::wireguard

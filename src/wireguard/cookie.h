// WireGuard's DoS defence (paper section 5.3). Every handshake message carries
// MAC1, keyed by the receiver's public key, so a receiver rejects messages from
// anyone who does not know it. Under load a receiver also demands MAC2, keyed by
// a cookie bound to the sender's address; it hands that cookie out in a cookie
// reply, encrypted with XChaCha20-Poly1305 and tied to the MAC1 it answers.
//
// CookieChecker is the receiving side (one per device); CookieGenerator the
// sending side (one per peer).
//
// Thread-safety: CookieChecker is safe from any thread (its secret has a lock);
// a CookieGenerator is guarded by its peer's lock.
#pragma once

#include <mutex>
#include <optional>

#include "base/clock.h"
#include "wireguard/ip_prefix.h"
#include "wireguard/messages.h"

namespace coral::wireguard {

enum class MacCheck { kValid, kInvalidMac1, kInvalidMac2 };

class CookieChecker {
 public:
  explicit CookieChecker(const Clock& clock) : clock_(clock) {}
  ~CookieChecker() { SecureWipe(secret_); }
  CookieChecker(const CookieChecker&) = delete;
  CookieChecker& operator=(const CookieChecker&) = delete;
  // Keys MAC1 and the cookie encryption with our public key.
  void SetPublicKey(const Key& public_key);
  // Checks MAC1 of a handshake message (`msg` is the whole message), and MAC2
  // when `check_mac2` (the device is under load) for a sender at `from`.
  MacCheck Check(const uint8_t* msg, size_t len, const Endpoint& from, bool check_mac2);
  // A cookie reply for the handshake message `msg` from `from`.
  void CreateReply(const uint8_t* msg, size_t len, uint32_t receiver_index, const Endpoint& from,
                   CookieReplyMessage& out);

 private:
  Mac CookieFor(const Endpoint& from);

  const Clock& clock_;
  Key mac1_key_{};
  Key cookie_key_{};
  std::mutex mu_;  // guards secret_ and secret_birth_
  Key secret_{};
  std::optional<MonoTime> secret_birth_;
};

class CookieGenerator {
 public:
  // Keys for sending to the peer whose public key is `peer_public_key`.
  void SetPeerKey(const Key& peer_public_key);
  // Fills MAC1, and MAC2 when we hold a fresh cookie, of a handshake message.
  void AddMacs(uint8_t* msg, size_t len, MonoTime now);
  // Takes the cookie from a reply to the last message we MACed; false when it
  // does not decrypt (not for us, or not an answer to our last message).
  [[nodiscard]] bool ConsumeReply(const CookieReplyMessage& reply, MonoTime now);
  bool has_fresh_cookie(MonoTime now) const;

 private:
  Key mac1_key_{};
  Key cookie_key_{};
  Mac last_mac1_{};
  bool have_sent_mac1_ = false;
  Mac cookie_{};
  std::optional<MonoTime> cookie_birth_;
};

}  // namespace coral::wireguard

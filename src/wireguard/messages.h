// WireGuard wire formats and protocol constants, as the WireGuard paper fixes
// them (section 5.4 and 6). All integers on the wire are little-endian.
//
// Thread-safety: plain data.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstring>

#include "wireguard/primitives.h"

namespace coral::wireguard {

enum class MessageType : uint8_t {
  kInitiation = 1,
  kResponse = 2,
  kCookieReply = 3,
  kTransport = 4,
};

inline constexpr size_t kInitiationSize = 148;
inline constexpr size_t kResponseSize = 92;
inline constexpr size_t kCookieReplySize = 64;
inline constexpr size_t kTransportHeaderSize = 16;
inline constexpr size_t kTransportMinSize = kTransportHeaderSize + kTagLen;  // a keepalive
// Offsets of the MACs at the end of both handshake messages.
inline constexpr size_t kInitiationMac1Offset = 116;
inline constexpr size_t kResponseMac1Offset = 60;

// Protocol timing and limits (paper section 6.1).
using Duration = std::chrono::nanoseconds;
inline constexpr uint64_t kRekeyAfterMessages = 1ULL << 60;
inline constexpr uint64_t kRejectAfterMessages = UINT64_MAX - (1ULL << 13);
inline constexpr Duration kRekeyAfterTime = std::chrono::seconds(120);
inline constexpr Duration kRejectAfterTime = std::chrono::seconds(180);
inline constexpr Duration kRekeyAttemptTime = std::chrono::seconds(90);
inline constexpr Duration kRekeyTimeout = std::chrono::seconds(5);
inline constexpr Duration kKeepaliveTimeout = std::chrono::seconds(10);
inline constexpr Duration kCookieSecretMaxAge = std::chrono::seconds(120);
inline constexpr Duration kCookieSecretLatency = std::chrono::seconds(5);
// At most this many initiations per second are accepted from one peer.
inline constexpr int kInitiationsPerSecond = 50;
// Handshake retries before giving up: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT.
inline constexpr int kMaxHandshakeAttempts = 18;

inline constexpr char kConstruction[] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
inline constexpr char kIdentifier[] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
inline constexpr char kLabelMac1[] = "mac1----";
inline constexpr char kLabelCookie[] = "cookie--";

#pragma pack(push, 1)
struct InitiationMessage {
  uint32_t type;  // MessageType::kInitiation, then three zero bytes
  uint32_t sender;
  uint8_t ephemeral[32];
  uint8_t encrypted_static[32 + kTagLen];
  uint8_t encrypted_timestamp[kTimestampLen + kTagLen];
  uint8_t mac1[kMacLen];
  uint8_t mac2[kMacLen];
};
struct ResponseMessage {
  uint32_t type;
  uint32_t sender;
  uint32_t receiver;
  uint8_t ephemeral[32];
  uint8_t encrypted_nothing[kTagLen];
  uint8_t mac1[kMacLen];
  uint8_t mac2[kMacLen];
};
struct CookieReplyMessage {
  uint32_t type;
  uint32_t receiver;
  uint8_t nonce[kXNonceLen];
  uint8_t encrypted_cookie[kMacLen + kTagLen];
};
struct TransportHeader {
  uint32_t type;
  uint32_t receiver;
  uint64_t counter;
};
#pragma pack(pop)

static_assert(sizeof(InitiationMessage) == kInitiationSize);
static_assert(sizeof(ResponseMessage) == kResponseSize);
static_assert(sizeof(CookieReplyMessage) == kCookieReplySize);
static_assert(sizeof(TransportHeader) == kTransportHeaderSize);
static_assert(offsetof(InitiationMessage, mac1) == kInitiationMac1Offset);
static_assert(offsetof(ResponseMessage, mac1) == kResponseMac1Offset);
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "wire structs assume little-endian");

inline uint32_t LoadLe32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// The message type of a datagram, checking the three reserved bytes are zero
// and the length fits the type; 0 when the datagram is not a WireGuard message.
inline uint8_t ClassifyMessage(const uint8_t* data, size_t len) {
  if (len < 4) return 0;
  uint32_t head = LoadLe32(data);
  switch (head) {
    case static_cast<uint32_t>(MessageType::kInitiation):
      return len == kInitiationSize ? 1 : 0;
    case static_cast<uint32_t>(MessageType::kResponse):
      return len == kResponseSize ? 2 : 0;
    case static_cast<uint32_t>(MessageType::kCookieReply):
      return len == kCookieReplySize ? 3 : 0;
    case static_cast<uint32_t>(MessageType::kTransport):
      return len >= kTransportMinSize ? 4 : 0;
    default:
      return 0;
  }
}

}  // namespace coral::wireguard

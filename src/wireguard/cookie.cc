#include "wireguard/cookie.h"

#include <cstring>

#include "base/ids.h"

namespace coral::wireguard {
namespace {

Bytes Label(const char* s) { return Bytes(reinterpret_cast<const uint8_t*>(s), 8); }

// The MACs sit at the end of both handshake messages: mac1, then mac2.
size_t Mac1Offset(size_t len) { return len - 2 * kMacLen; }
size_t Mac2Offset(size_t len) { return len - kMacLen; }

}  // namespace

void CookieChecker::SetPublicKey(const Key& public_key) {
  mac1_key_ = Blake2s(Label(kLabelMac1), AsBytes(public_key));
  cookie_key_ = Blake2s(Label(kLabelCookie), AsBytes(public_key));
}

Mac CookieChecker::CookieFor(const Endpoint& from) {
  std::lock_guard lock(mu_);
  MonoTime now = clock_.Monotonic();
  if (!secret_birth_ || now - *secret_birth_ > kCookieSecretMaxAge) {
    FillRandom(secret_.data(), secret_.size());
    secret_birth_ = now;
  }
  uint8_t addr[18];
  size_t n = from.AddressBytes(addr);
  return Mac16(AsBytes(secret_), Bytes(addr, n));
}

MacCheck CookieChecker::Check(const uint8_t* msg, size_t len, const Endpoint& from,
                              bool check_mac2) {
  Mac mac1 = Mac16(AsBytes(mac1_key_), Bytes(msg, Mac1Offset(len)));
  if (!EqualConstantTime(mac1.data(), msg + Mac1Offset(len), kMacLen))
    return MacCheck::kInvalidMac1;
  if (!check_mac2) return MacCheck::kValid;
  Mac cookie = CookieFor(from);
  Mac mac2 = Mac16(AsBytes(cookie), Bytes(msg, Mac2Offset(len)));
  if (!EqualConstantTime(mac2.data(), msg + Mac2Offset(len), kMacLen))
    return MacCheck::kInvalidMac2;
  return MacCheck::kValid;
}

void CookieChecker::CreateReply(const uint8_t* msg, size_t len, uint32_t receiver_index,
                                const Endpoint& from, CookieReplyMessage& out) {
  std::memset(&out, 0, sizeof(out));
  out.type = static_cast<uint32_t>(MessageType::kCookieReply);
  out.receiver = receiver_index;
  FillRandom(out.nonce, sizeof(out.nonce));
  Mac cookie = CookieFor(from);
  XAeadEncrypt(out.encrypted_cookie, AsBytes(cookie), out.nonce, cookie_key_,
               Bytes(msg + Mac1Offset(len), kMacLen));
}

void CookieGenerator::SetPeerKey(const Key& peer_public_key) {
  mac1_key_ = Blake2s(Label(kLabelMac1), AsBytes(peer_public_key));
  cookie_key_ = Blake2s(Label(kLabelCookie), AsBytes(peer_public_key));
  have_sent_mac1_ = false;
  cookie_birth_.reset();
}

bool CookieGenerator::has_fresh_cookie(MonoTime now) const {
  return cookie_birth_ && now - *cookie_birth_ < kCookieSecretMaxAge - kCookieSecretLatency;
}

void CookieGenerator::AddMacs(uint8_t* msg, size_t len, MonoTime now) {
  last_mac1_ = Mac16(AsBytes(mac1_key_), Bytes(msg, Mac1Offset(len)));
  std::memcpy(msg + Mac1Offset(len), last_mac1_.data(), kMacLen);
  have_sent_mac1_ = true;
  if (has_fresh_cookie(now)) {
    Mac mac2 = Mac16(AsBytes(cookie_), Bytes(msg, Mac2Offset(len)));
    std::memcpy(msg + Mac2Offset(len), mac2.data(), kMacLen);
  } else {
    std::memset(msg + Mac2Offset(len), 0, kMacLen);
  }
}

bool CookieGenerator::ConsumeReply(const CookieReplyMessage& reply, MonoTime now) {
  if (!have_sent_mac1_) return false;
  Mac cookie;
  if (!XAeadDecrypt(cookie.data(), Bytes(reply.encrypted_cookie, sizeof(reply.encrypted_cookie)),
                    reply.nonce, cookie_key_, AsBytes(last_mac1_))) {
    return false;
  }
  cookie_ = cookie;
  cookie_birth_ = now;
  have_sent_mac1_ = false;
  return true;
}

}  // namespace coral::wireguard

#include "wireguard/cookie.h"

#include <gtest/gtest.h>

#include <cstring>

namespace coral::wireguard {
namespace {

TEST(CookieTest, Mac1BindsTheReceiverKey) {
  FakeClock clock;
  Key pub;
  pub.fill(3);
  CookieChecker checker(clock);
  checker.SetPublicKey(pub);
  CookieGenerator gen;
  gen.SetPeerKey(pub);
  InitiationMessage msg{};
  msg.type = 1;
  gen.AddMacs(reinterpret_cast<uint8_t*>(&msg), sizeof(msg), clock.Monotonic());
  auto from = *Endpoint::Parse("192.0.2.7:1000");
  EXPECT_EQ(checker.Check(reinterpret_cast<uint8_t*>(&msg), sizeof(msg), from, false),
            MacCheck::kValid);
  Key other;
  other.fill(4);
  CookieGenerator wrong;
  wrong.SetPeerKey(other);
  wrong.AddMacs(reinterpret_cast<uint8_t*>(&msg), sizeof(msg), clock.Monotonic());
  EXPECT_EQ(checker.Check(reinterpret_cast<uint8_t*>(&msg), sizeof(msg), from, false),
            MacCheck::kInvalidMac1);
}

TEST(CookieTest, UnderLoadCookieRoundTripMakesMac2Valid) {
  FakeClock clock;
  Key pub;
  pub.fill(9);
  CookieChecker checker(clock);
  checker.SetPublicKey(pub);
  CookieGenerator gen;
  gen.SetPeerKey(pub);
  auto from = *Endpoint::Parse("[fd00::2]:51820");
  ResponseMessage msg{};
  msg.type = 2;
  msg.sender = 77;
  auto* raw = reinterpret_cast<uint8_t*>(&msg);
  gen.AddMacs(raw, sizeof(msg), clock.Monotonic());
  ASSERT_EQ(checker.Check(raw, sizeof(msg), from, true), MacCheck::kInvalidMac2);

  CookieReplyMessage reply;
  checker.CreateReply(raw, sizeof(msg), msg.sender, from, reply);
  EXPECT_EQ(reply.receiver, 77u);
  // A tampered reply is refused and leaves no cookie behind.
  CookieReplyMessage bad = reply;
  bad.encrypted_cookie[0] ^= 1;
  EXPECT_FALSE(gen.ConsumeReply(bad, clock.Monotonic()));
  EXPECT_FALSE(gen.has_fresh_cookie(clock.Monotonic()));
  ASSERT_TRUE(gen.ConsumeReply(reply, clock.Monotonic()));

  gen.AddMacs(raw, sizeof(msg), clock.Monotonic());
  EXPECT_EQ(checker.Check(raw, sizeof(msg), from, true), MacCheck::kValid);
  // The cookie is bound to the source address.
  auto elsewhere = *Endpoint::Parse("[fd00::3]:51820");
  EXPECT_EQ(checker.Check(raw, sizeof(msg), elsewhere, true), MacCheck::kInvalidMac2);
  // A reply answers one particular MAC1: not that of a different message.
  msg.sender = 78;
  gen.AddMacs(raw, sizeof(msg), clock.Monotonic());
  EXPECT_FALSE(gen.ConsumeReply(reply, clock.Monotonic()));
  // Cookies expire; then MAC2 is zero again and invalid under load.
  clock.Advance(kCookieSecretMaxAge);
  EXPECT_FALSE(gen.has_fresh_cookie(clock.Monotonic()));
  gen.AddMacs(raw, sizeof(msg), clock.Monotonic());
  uint8_t zero[kMacLen] = {};
  EXPECT_EQ(std::memcmp(msg.mac2, zero, kMacLen), 0);
}

}  // namespace
}  // namespace coral::wireguard

#include "wireguard/noise.h"

#include <gtest/gtest.h>

namespace coral::wireguard {
namespace {

StaticIdentity NewIdentity() {
  StaticIdentity id;
  GeneratePrivateKey(id.private_key);
  X25519Base(id.public_key, id.private_key);
  id.has_key = true;
  return id;
}

struct Pair {
  StaticIdentity alice = NewIdentity();
  StaticIdentity bob = NewIdentity();
  Handshake alice_hs;  // alice's state for peer bob
  Handshake bob_hs;    // bob's state for peer alice
  WallTime wall{std::chrono::seconds(1'700'000'000)};
  MonoTime mono{std::chrono::seconds(100)};
  Pair(const Key& psk_a = Key{}, const Key& psk_b = Key{}) {
    alice_hs.SetRemote(bob.public_key, psk_a);
    bob_hs.SetRemote(alice.public_key, psk_b);
  }
};

TEST(NoiseTest, FullHandshakeDerivesMatchingKeys) {
  Pair p;
  InitiationMessage init;
  ASSERT_TRUE(p.alice_hs.CreateInitiation(p.alice, p.wall, 11, init));
  EXPECT_EQ(init.type, 1u);
  EXPECT_EQ(init.sender, 11u);
  auto consumed = DecryptInitiation(init, p.bob);
  ASSERT_TRUE(consumed.has_value());
  EXPECT_EQ(consumed->remote_static, p.alice.public_key);
  ASSERT_TRUE(p.bob_hs.AcceptInitiation(*consumed, p.mono));
  ResponseMessage resp;
  ASSERT_TRUE(p.bob_hs.CreateResponse(22, resp));
  EXPECT_EQ(resp.receiver, 11u);
  ASSERT_TRUE(p.alice_hs.ConsumeResponse(resp, p.alice));
  auto a = p.alice_hs.BeginSession();
  auto b = p.bob_hs.BeginSession();
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->initiator);
  EXPECT_FALSE(b->initiator);
  EXPECT_EQ(a->send, b->receive);
  EXPECT_EQ(a->receive, b->send);
  EXPECT_NE(a->send, a->receive);
  EXPECT_EQ(a->remote_index, 22u);
  EXPECT_EQ(b->remote_index, 11u);
  EXPECT_EQ(p.alice_hs.state(), Handshake::State::kEmpty);
}

TEST(NoiseTest, PresharedKeyMustMatch) {
  Key psk;
  psk.fill(7);
  Pair good(psk, psk);
  InitiationMessage init;
  ASSERT_TRUE(good.alice_hs.CreateInitiation(good.alice, good.wall, 1, init));
  ASSERT_TRUE(good.bob_hs.AcceptInitiation(*DecryptInitiation(init, good.bob), good.mono));
  ResponseMessage resp;
  ASSERT_TRUE(good.bob_hs.CreateResponse(2, resp));
  EXPECT_TRUE(good.alice_hs.ConsumeResponse(resp, good.alice));

  Pair bad(psk, Key{});
  ASSERT_TRUE(bad.alice_hs.CreateInitiation(bad.alice, bad.wall, 1, init));
  ASSERT_TRUE(bad.bob_hs.AcceptInitiation(*DecryptInitiation(init, bad.bob), bad.mono));
  ASSERT_TRUE(bad.bob_hs.CreateResponse(2, resp));
  EXPECT_FALSE(bad.alice_hs.ConsumeResponse(resp, bad.alice));
  EXPECT_EQ(bad.alice_hs.state(), Handshake::State::kCreatedInitiation);  // unchanged
}

TEST(NoiseTest, InitiationForSomeoneElseDoesNotDecrypt) {
  Pair p;
  StaticIdentity eve = NewIdentity();
  InitiationMessage init;
  ASSERT_TRUE(p.alice_hs.CreateInitiation(p.alice, p.wall, 1, init));
  EXPECT_FALSE(DecryptInitiation(init, eve).has_value());
  init.encrypted_timestamp[0] ^= 1;
  EXPECT_FALSE(DecryptInitiation(init, p.bob).has_value());
}

TEST(NoiseTest, StaleAndFloodingInitiationsAreRejected) {
  Pair p;
  InitiationMessage first, second;
  ASSERT_TRUE(p.alice_hs.CreateInitiation(p.alice, p.wall, 1, first));
  ASSERT_TRUE(p.bob_hs.AcceptInitiation(*DecryptInitiation(first, p.bob), p.mono));
  // A replay of the same initiation.
  EXPECT_FALSE(p.bob_hs.AcceptInitiation(*DecryptInitiation(first, p.bob),
                                         p.mono + std::chrono::seconds(1)));
  // A newer one arriving too soon after the last (flood).
  ASSERT_TRUE(p.alice_hs.CreateInitiation(p.alice, p.wall + std::chrono::seconds(1), 2, second));
  EXPECT_FALSE(p.bob_hs.AcceptInitiation(*DecryptInitiation(second, p.bob),
                                         p.mono + std::chrono::milliseconds(5)));
  EXPECT_TRUE(p.bob_hs.AcceptInitiation(*DecryptInitiation(second, p.bob),
                                        p.mono + std::chrono::milliseconds(30)));
  // An older timestamp after a newer one.
  EXPECT_FALSE(p.bob_hs.AcceptInitiation(*DecryptInitiation(first, p.bob),
                                         p.mono + std::chrono::seconds(5)));
}

TEST(NoiseTest, ResponseToOtherIndexOrTamperedIsRejected) {
  Pair p;
  InitiationMessage init;
  ASSERT_TRUE(p.alice_hs.CreateInitiation(p.alice, p.wall, 5, init));
  ASSERT_TRUE(p.bob_hs.AcceptInitiation(*DecryptInitiation(init, p.bob), p.mono));
  ResponseMessage resp;
  ASSERT_TRUE(p.bob_hs.CreateResponse(6, resp));
  ResponseMessage wrong = resp;
  wrong.receiver = 99;
  EXPECT_FALSE(p.alice_hs.ConsumeResponse(wrong, p.alice));
  ResponseMessage tampered = resp;
  tampered.ephemeral[0] ^= 1;
  EXPECT_FALSE(p.alice_hs.ConsumeResponse(tampered, p.alice));
  EXPECT_TRUE(p.alice_hs.ConsumeResponse(resp, p.alice));
}

}  // namespace
}  // namespace coral::wireguard

#include "crypto/keys.h"

#include <gtest/gtest.h>

namespace coral::crypto {
namespace {

// RFC 7748 section 6.1: Alice's private and public key.
constexpr char kAlicePrivHex[] = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr char kAlicePubHex[] = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";

TEST(KeysTest, DerivesRfc7748PublicKey) {
  PrivateKey priv(*KeyFromHex(kAlicePrivHex));
  EXPECT_EQ(KeyToHex(DerivePublicKey(priv).bytes), kAlicePubHex);
}

TEST(KeysTest, GeneratedKeysAreClampedAndDistinct) {
  PrivateKey a = PrivateKey::Generate();
  PrivateKey b = PrivateKey::Generate();
  EXPECT_NE(a.bytes(), b.bytes());
  EXPECT_EQ(a.bytes()[0] & 7, 0);
  EXPECT_EQ(a.bytes()[31] & 128, 0);
  EXPECT_EQ(a.bytes()[31] & 64, 64);
}

TEST(KeysTest, Base64RoundTripMatchesWgFormat) {
  KeyBytes key = *KeyFromHex(kAlicePubHex);
  std::string b64 = KeyToBase64(key);
  EXPECT_EQ(b64, "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
  EXPECT_EQ(*KeyFromBase64(b64), key);
}

TEST(KeysTest, RejectsMalformedKeys) {
  EXPECT_FALSE(KeyFromBase64("short=").ok());
  EXPECT_FALSE(KeyFromBase64("hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTm!=").ok());
  EXPECT_FALSE(KeyFromHex("zz").ok());
  EXPECT_FALSE(KeyFromHex(std::string(64, 'g')).ok());
}

TEST(KeysTest, MovedFromPrivateKeyIsWiped) {
  PrivateKey a = PrivateKey::Generate();
  PrivateKey b = std::move(a);
  EXPECT_TRUE(a.is_zero());  // NOLINT: checking the moved-from state on purpose
  EXPECT_FALSE(b.is_zero());
}

TEST(KeysTest, Base64DecodeHandlesPadding) {
  EXPECT_EQ(*Base64Decode("YQ=="), "a");
  EXPECT_EQ(*Base64Decode("YWI="), "ab");
  EXPECT_EQ(*Base64Decode("YWJj"), "abc");
  EXPECT_FALSE(Base64Decode("YWJ").ok());
}

}  // namespace
}  // namespace coral::crypto

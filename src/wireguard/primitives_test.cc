#include "wireguard/primitives.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "base/ids.h"

namespace coral::wireguard {
namespace {

std::vector<uint8_t> FromHex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}
std::string Hex(Bytes b) { return HexEncode(b.data(), b.size()); }
Bytes Str(std::string_view s) {
  return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
Key Seq(uint8_t start) {
  Key k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(start + i);
  return k;
}

constexpr std::string_view kSunscreen =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
    "sunscreen would be it.";

TEST(Blake2sTest, KnownAnswers) {
  // RFC 7693 appendix B and the BLAKE2 reference test vectors.
  EXPECT_EQ(Hex(AsBytes(Blake2s(Str("abc")))),
            "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
  EXPECT_EQ(Hex(AsBytes(Blake2s(Bytes()))),
            "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9");
  // Hashing a concatenation in two parts is hashing it whole.
  EXPECT_EQ(Blake2s(Str("ab"), Str("c")), Blake2s(Str("abc")));
}

TEST(Blake2sTest, KeyedKnownAnswers) {
  // blake2s-kat.txt: key 00..1f, inputs "" and 00.
  Key key = Seq(0);
  std::array<uint8_t, 32> out;
  Blake2sMac(AsBytes(key), Bytes(), out);
  EXPECT_EQ(Hex(AsBytes(out)), "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49");
  uint8_t zero = 0;
  Blake2sMac(AsBytes(key), Bytes(&zero, 1), out);
  EXPECT_EQ(Hex(AsBytes(out)), "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1");
  // A 16-byte MAC is its own function (the length is in the parameter block),
  // not a truncation.
  Mac m = Mac16(AsBytes(key), Bytes());
  EXPECT_NE(Hex(AsBytes(m)), Hex(AsBytes(out)).substr(0, 32));
}

TEST(HmacTest, MatchesRfc2104Definition) {
  // HMAC over BLAKE2s with a 64-byte block, checked against the definition
  // computed with the plain hash.
  Key key = Seq(1);
  Hash got = HmacBlake2s(AsBytes(key), Str("message"));
  std::array<uint8_t, 64> ipad{}, opad{};
  for (size_t i = 0; i < 64; ++i) {
    uint8_t k = i < 32 ? key[i] : 0;
    ipad[i] = k ^ 0x36;
    opad[i] = k ^ 0x5c;
  }
  Hash inner = Blake2s(AsBytes(ipad), Str("message"));
  EXPECT_EQ(got, Blake2s(AsBytes(opad), AsBytes(inner)));
}

TEST(KdfTest, OutputsChainAsHkdf) {
  Key ck = Seq(7);
  Key a, b, c;
  Kdf(ck, Str("input"), &a, &b, &c);
  Hash prk = HmacBlake2s(AsBytes(ck), Str("input"));
  uint8_t one = 1;
  EXPECT_EQ(a, HmacBlake2s(AsBytes(prk), Bytes(&one, 1)));
  std::vector<uint8_t> t2(a.begin(), a.end());
  t2.push_back(2);
  EXPECT_EQ(b, HmacBlake2s(AsBytes(prk), t2));
  std::vector<uint8_t> t3(b.begin(), b.end());
  t3.push_back(3);
  EXPECT_EQ(c, HmacBlake2s(AsBytes(prk), t3));
  Key only1;
  Kdf(ck, Str("input"), &only1, nullptr, nullptr);
  EXPECT_EQ(only1, a);
}

TEST(AeadTest, Rfc8439KnownAnswer) {
  // RFC 8439 section 2.8.2.
  Key key = Seq(0x80);
  auto nonce = FromHex("070000004041424344454647");
  auto ad = FromHex("50515253c0c1c2c3c4c5c6c7");
  std::vector<uint8_t> out(kSunscreen.size() + kTagLen);
  AeadEncryptNonce(out.data(), Str(kSunscreen), nonce.data(), key, ad);
  EXPECT_EQ(Hex(Bytes(out.data(), kSunscreen.size())),
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb"
            "69da92728b"
            "1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad67594558580"
            "8b4831d7bc"
            "3ff4def08e4b7a9de576d26586cec64b6116");
  EXPECT_EQ(Hex(Bytes(out.data() + kSunscreen.size(), kTagLen)),
            "1ae10b594f09e26a7e902ecbd0600691");
}

TEST(AeadTest, CounterNonceRoundTripAndTamper) {
  Key key = Seq(3);
  std::vector<uint8_t> buf(5 + kTagLen);
  AeadEncrypt(buf.data(), Str("hello"), 42, key, Str("ad"));
  std::vector<uint8_t> plain(5);
  EXPECT_TRUE(AeadDecrypt(plain.data(), buf, 42, key, Str("ad")));
  EXPECT_EQ(std::string(plain.begin(), plain.end()), "hello");
  EXPECT_FALSE(AeadDecrypt(plain.data(), buf, 43, key, Str("ad")));
  EXPECT_FALSE(AeadDecrypt(plain.data(), buf, 42, key, Str("da")));
  buf[0] ^= 1;
  EXPECT_FALSE(AeadDecrypt(plain.data(), buf, 42, key, Str("ad")));
  EXPECT_FALSE(AeadDecrypt(plain.data(), Bytes(buf.data(), 3), 42, key, Str("ad")));
  // The counter nonce is 4 zero bytes then the little-endian counter.
  auto nonce = FromHex("000000002a00000000000000");
  std::vector<uint8_t> raw(5 + kTagLen);
  buf[0] ^= 1;
  AeadEncryptNonce(raw.data(), Str("hello"), nonce.data(), key, Str("ad"));
  EXPECT_EQ(raw, buf);
}

TEST(XAeadTest, DraftXChaChaKnownAnswer) {
  // draft-irtf-cfrg-xchacha-03 appendix A.3.1.
  Key key = Seq(0x80);
  auto nonce = FromHex("404142434445464748494a4b4c4d4e4f5051525354555657");
  auto ad = FromHex("50515253c0c1c2c3c4c5c6c7");
  std::vector<uint8_t> out(kSunscreen.size() + kTagLen);
  XAeadEncrypt(out.data(), Str(kSunscreen), nonce.data(), key, ad);
  EXPECT_EQ(Hex(Bytes(out.data(), kSunscreen.size())),
            "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a8"
            "2f4eda7e39"
            "ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b238"
            "3565d3fff9"
            "21f9664c97637da9768812f615c68b13b52e");
  EXPECT_EQ(Hex(Bytes(out.data() + kSunscreen.size(), kTagLen)),
            "c0875924c1c7987947deafd8780acf49");
  std::vector<uint8_t> plain(kSunscreen.size());
  EXPECT_TRUE(XAeadDecrypt(plain.data(), out, nonce.data(), key, ad));
  out[3] ^= 0x40;
  EXPECT_FALSE(XAeadDecrypt(plain.data(), out, nonce.data(), key, ad));
}

TEST(X25519Test, Rfc7748KnownAnswerAndAgreement) {
  // RFC 7748 section 6.1.
  auto a_priv = FromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
  auto b_pub = FromHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  Key priv, pub, shared, a_pub;
  std::copy(a_priv.begin(), a_priv.end(), priv.begin());
  std::copy(b_pub.begin(), b_pub.end(), pub.begin());
  X25519Base(a_pub, priv);
  EXPECT_EQ(Hex(AsBytes(a_pub)),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  ASSERT_TRUE(X25519(shared, priv, pub));
  EXPECT_EQ(Hex(AsBytes(shared)),
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  // The all-zero point gives an all-zero secret, which must be refused.
  EXPECT_FALSE(X25519(shared, priv, Key{}));
}

TEST(Tai64nTest, EncodesSecondsAndRoundsNanos) {
  WallTime t{std::chrono::seconds(1'700'000'000) + std::chrono::nanoseconds(123'456'789)};
  Timestamp ts = Tai64n(t);
  EXPECT_EQ(Hex(AsBytes(ts)).substr(0, 16), "400000006553f10a");  // 2^62 + 10 + 1700000000
  uint32_t nanos = uint32_t(ts[8]) << 24 | uint32_t(ts[9]) << 16 | uint32_t(ts[10]) << 8 | ts[11];
  EXPECT_EQ(nanos, 123'456'789u & ~((1u << 24) - 1));
  // Later times compare greater byte-wise, which is how replays are refused.
  Timestamp later = Tai64n(t + std::chrono::milliseconds(50));
  EXPECT_GT(std::memcmp(later.data(), ts.data(), ts.size()), 0);
}

}  // namespace
}  // namespace coral::wireguard

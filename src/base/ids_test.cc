#include "base/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace coral {
namespace {

TEST(IdsTest, NewColonyIdHasAppEnvAndSixHex) {
  auto id = NewColonyId("shop", "prod");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->app, "shop");
  EXPECT_EQ(id->env, "prod");
  ASSERT_EQ(id->suffix.size(), 6u);
  EXPECT_EQ(id->suffix.find_first_not_of("0123456789abcdef"), std::string::npos);
  auto parsed = ParseColonyId(id->str());
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->str(), id->str());
}

TEST(IdsTest, AppsMayHaveDashesEnvsMayNot) {
  auto parsed = ParseColonyId("my-shop-staging-00ff10");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->app, "my-shop");
  EXPECT_EQ(parsed->env, "staging");
  EXPECT_FALSE(NewColonyId("shop", "pre-prod").ok());
}

TEST(IdsTest, RejectsBadNamesWithAReason) {
  for (const char* bad :
       {"", "Shop", "9shop", "shop_", "shop-", "shöp", "abcdefghijklmnopqrstuvwxyz"}) {
    Status s = ValidateName("app", bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("a-z, 0-9"), std::string::npos) << s.message();
  }
  EXPECT_TRUE(ValidateName("app", "shop2-api").ok());
}

TEST(IdsTest, ParseRejectsMalformedIds) {
  for (const char* bad : {"shop", "shop-prod", "shop-prod-12345", "shop-prod-12345g",
                          "-prod-123456", "shop-prod-ABCDEF"}) {
    EXPECT_FALSE(ParseColonyId(bad).ok()) << bad;
  }
}

TEST(IdsTest, RandomHexIsRandomAndHex) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(RandomHex(16));
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(HexEncode(std::string_view("\x00\xff\x10", 3)), "00ff10");
}

}  // namespace
}  // namespace coral

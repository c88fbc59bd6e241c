#include "auth/scope.h"

#include <gtest/gtest.h>

namespace coral::auth {
namespace {

TEST(ScopeTest, ParsesWhatItPrintsAndCoversMatchingColonies) {
  auto s = ParseScope("app=shop,env=staging");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->ToString(), "app=shop,env=staging");
  EXPECT_EQ(*ParseScope(s->ToString()), *s);
  Scope staging{.colony = "shop-staging-1a2b3c", .app = "shop", .env = "staging"};
  Scope prod{.colony = "shop-prod-4d5e6f", .app = "shop", .env = "prod"};
  EXPECT_TRUE(s->Covers(staging));
  EXPECT_FALSE(s->Covers(prod));
  EXPECT_TRUE(ParseScope("")->Covers(prod));
  EXPECT_TRUE(ParseScope("*")->everything());
  EXPECT_TRUE(ParseScope("colony=shop-prod-4d5e6f")->Covers(prod));
  EXPECT_FALSE(ParseScope("colony=shop-prod-4d5e6f")->Covers(staging));
}

TEST(ScopeTest, RefusesWhatIsNotAScope) {
  for (const char* bad : {"env", "env=", "region=eu", "env=prod,env=dev", "env=Prod!",
                          "colony=../x", "app=shop,,env=dev"}) {
    auto s = ParseScope(bad);
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(ParseScope(std::string(300, 'a')).ok());
}

}  // namespace
}  // namespace coral::auth

#include "config/home.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace coral::config {
namespace {

TEST(HomeTest, FlagBeatsEnvironmentBeatsDefault) {
  ::setenv("CORAL_HOME", "/tmp/from-env", 1);
  EXPECT_EQ(Home::Resolve("/tmp/from-flag")->root(), "/tmp/from-flag");
  EXPECT_EQ(Home::Resolve("")->root(), "/tmp/from-env");
  ::unsetenv("CORAL_HOME");
  ::setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(Home::Resolve("")->root(), "/home/someone/.coral");
}

TEST(HomeTest, LayoutPaths) {
  Home home("/h");
  EXPECT_EQ(home.global_config(), "/h/config.yaml");
  EXPECT_EQ(home.colony_dir("shop-dev-abc123"), "/h/colonies/shop-dev-abc123");
  EXPECT_EQ(home.agent_dir(), "/h/agent");
  EXPECT_EQ(home.conversations_dir(), "/h/conversations");
}

TEST(HomeTest, RelativeFlagBecomesAbsolute) {
  auto home = Home::Resolve("rel/home");
  ASSERT_TRUE(home.ok());
  EXPECT_TRUE(home->root().is_absolute());
}

}  // namespace
}  // namespace coral::config

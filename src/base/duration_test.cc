#include "base/duration.h"

#include <gtest/gtest.h>

namespace coral {
namespace {

TEST(DurationTest, ParsesUnitsAndCombinations) {
  EXPECT_EQ(*ParseDuration("250ms"), Duration(250));
  EXPECT_EQ(*ParseDuration("90s"), std::chrono::seconds(90));
  EXPECT_EQ(*ParseDuration("15m"), std::chrono::minutes(15));
  EXPECT_EQ(*ParseDuration("1h30m"), std::chrono::minutes(90));
  EXPECT_EQ(*ParseDuration("30d"), std::chrono::hours(720));
  EXPECT_EQ(*ParseDuration("0s"), Duration(0));
}

TEST(DurationTest, RejectsMalformedInputWithAHint) {
  for (const char* bad : {"", "15", "m", "1x", "1h-5m", "1.5h", "99999999999999999999d"}) {
    auto r = ParseDuration(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("e.g. 90s"), std::string::npos) << r.status().message();
  }
}

TEST(DurationTest, FormatReadsBack) {
  for (const char* text : {"0s", "250ms", "90s", "1h30m", "30d", "1d2h3m4s5ms"}) {
    Duration d = *ParseDuration(text);
    EXPECT_EQ(*ParseDuration(FormatDuration(d)), d) << text;
  }
  EXPECT_EQ(FormatDuration(std::chrono::seconds(90)), "1m30s");
}

}  // namespace
}  // namespace coral

#include "telemetry/json_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace coral::telemetry {
namespace {

TEST(JsonTextTest, StringsEscapeWhatJsonRequires) {
  std::string out;
  AppendJsonString(out, std::string("a\"b\\c\nd\te\x01\x1f", 11) + "é");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\te\\u0001\\u001fé\"");
}

TEST(JsonTextTest, DoublesAreShortestAndNonFiniteAreStrings) {
  std::string out;
  AppendJsonDouble(out, 0.1);
  out += ',';
  AppendJsonDouble(out, 1e21);
  out += ',';
  AppendJsonDouble(out, std::numeric_limits<double>::quiet_NaN());
  out += ',';
  AppendJsonDouble(out, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(out, "0.1,1e+21,\"NaN\",\"-Infinity\"");
}

TEST(JsonTextTest, IntegersAtTheLimits) {
  std::string out;
  AppendJsonInt(out, std::numeric_limits<int64_t>::min());
  out += ',';
  AppendJsonUint(out, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(out, "-9223372036854775808,18446744073709551615");
}

TEST(JsonTextTest, Base64RoundTrips) {
  for (std::string input : {std::string(""), std::string("f"), std::string("fo"),
                            std::string("foo"), std::string("\x00\x01\xfe\xff", 4)}) {
    std::string quoted;
    AppendBase64(quoted, input);
    std::string decoded;
    ASSERT_TRUE(DecodeBase64(quoted.substr(1, quoted.size() - 2), decoded)) << quoted;
    EXPECT_EQ(decoded, input);
  }
  std::string out;
  AppendBase64(out, "foob");
  EXPECT_EQ(out, "\"Zm9vYg==\"");
  std::string bad;
  EXPECT_FALSE(DecodeBase64("Zm9v*", bad));
}

}  // namespace
}  // namespace coral::telemetry

#include "telemetry/gzip.h"

#include <gtest/gtest.h>

namespace coral::telemetry {
namespace {

TEST(GzipTest, RoundTrip) {
  std::string data(100000, 'x');
  for (size_t i = 0; i < data.size(); i += 7) data[i] = static_cast<char>('a' + i % 26);
  auto packed = Gzip(data);
  ASSERT_TRUE(packed.ok());
  EXPECT_LT(packed->size(), data.size());
  std::string out;
  ASSERT_TRUE(Gunzip(*packed, data.size(), &out).ok());
  EXPECT_EQ(out, data);
}

TEST(GzipTest, ConcatenatedMembersAreOneStream) {
  std::string both = *Gzip("hello ") + *Gzip("world");
  std::string out;
  ASSERT_TRUE(Gunzip(both, 100, &out).ok());
  EXPECT_EQ(out, "hello world");
}

TEST(GzipTest, BombStopsAtTheLimit) {
  // 64 MiB of zeros compresses to ~64 KiB; the limit is 1 MiB.
  std::string zeros(64 << 20, '\0');
  std::string bomb = *Gzip(zeros);
  std::string out;
  Status s = Gunzip(bomb, 1 << 20, &out);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find("1048576"), std::string::npos) << s.message();
  EXPECT_TRUE(out.empty());
}

TEST(GzipTest, ExactlyTheLimitFits) {
  std::string data(4096, 'y');
  std::string out;
  EXPECT_TRUE(Gunzip(*Gzip(data), 4096, &out).ok());
  EXPECT_EQ(Gunzip(*Gzip(data), 4095, &out).code(), StatusCode::kResourceExhausted);
}

TEST(GzipTest, TruncatedAndGarbageAreInvalid) {
  std::string packed = *Gzip(std::string(10000, 'z') + "tail");
  std::string out;
  Status truncated = Gunzip(packed.substr(0, packed.size() / 2), 1 << 20, &out);
  EXPECT_EQ(truncated.code(), StatusCode::kInvalidArgument) << truncated.ToString();
  Status garbage = Gunzip("definitely not gzip", 1 << 20, &out);
  EXPECT_EQ(garbage.code(), StatusCode::kInvalidArgument) << garbage.ToString();
}

}  // namespace
}  // namespace coral::telemetry

#include "base/status.h"

#include <gtest/gtest.h>

namespace coral {
namespace {

Result<int> Half(int n) {
  if (n % 2 != 0) return InvalidArgument(std::to_string(n) + " is odd");
  return n / 2;
}

Result<int> Quarter(int n) {
  int half = CORAL_TRY(Half(n));
  return CORAL_TRY(Half(half));
}

Status CheckEven(int n) {
  CORAL_TRY(Half(n));
  return Status::Ok();
}

TEST(StatusTest, OkAndErrorCarryCodeAndMessage) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = NotFound("colony shop-dev-000000");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "not_found: colony shop-dev-000000");
  EXPECT_EQ(s.WithContext("colony use").message(), "colony use: colony shop-dev-000000");
  EXPECT_EQ(s.WithContext("x").code(), StatusCode::kNotFound);
}

TEST(StatusTest, TryPropagatesFailuresAndUnwrapsValues) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);  // 6 / 2 = 3 is odd
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "3 is odd");
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(5).code(), StatusCode::kInvalidArgument);
}

TEST(StatusTest, ValueOnFailedResultDies) {
  Result<int> r = Internal("boom");
  EXPECT_DEATH((void)r.value(), "value\\(\\) on a failed Result: internal: boom");
}

TEST(StatusTest, ErrnoErrorMapsCommonErrors) {
  EXPECT_EQ(ErrnoError("open x", ENOENT).code(), StatusCode::kNotFound);
  EXPECT_EQ(ErrnoError("open x", EACCES).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoError("open x", EIO).code(), StatusCode::kIoError);
  EXPECT_NE(ErrnoError("open x", ENOENT).message().find("open x: "), std::string::npos);
}

}  // namespace
}  // namespace coral

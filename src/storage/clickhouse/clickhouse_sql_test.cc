#include "storage/clickhouse/clickhouse_sql.h"

#include <gtest/gtest.h>

#include <limits>

namespace coral::storage::clickhouse {
namespace {

std::vector<std::string> Bound(std::string_view sql, const Params& params = {}) {
  auto statements = SplitSql(sql);
  EXPECT_TRUE(statements.ok()) << statements.status().ToString();
  if (!statements.ok()) return {};
  auto bound = BindParams(*statements, params);
  EXPECT_TRUE(bound.ok()) << bound.status().ToString();
  return bound.ok() ? *bound : std::vector<std::string>{};
}

TEST(ClickHouseSqlTest, SplitsOnSemicolonsOutsideQuotesAndComments) {
  auto parts = Bound(
      "CREATE TABLE a (s String DEFAULT ';');\n"
      "-- a comment; with a semicolon and a ?\n"
      "/* block; ? */ INSERT INTO a VALUES ('it''s; \\'?');"
      "SELECT `we;ird` FROM \"x;y\";  ;\n -- only a comment\n");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], "CREATE TABLE a (s String DEFAULT ';')");
  EXPECT_NE(parts[1].find("INSERT INTO a VALUES ('it''s; \\'?')"), std::string::npos);
  EXPECT_EQ(parts[2], "SELECT `we;ird` FROM \"x;y\"");
}

TEST(ClickHouseSqlTest, UnterminatedQuotesAndCommentsAreErrors) {
  EXPECT_EQ(SplitSql("SELECT 'abc").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SplitSql("SELECT 'abc\\'").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SplitSql("SELECT /* x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SplitSql("SELECT `x").status().code(), StatusCode::kInvalidArgument);
}

TEST(ClickHouseSqlTest, BindsParamsAcrossStatementsInOrder) {
  auto parts = Bound("INSERT INTO a VALUES (?, ?); INSERT INTO b VALUES (?)",
                     {int64_t{1}, std::string("x"), std::monostate{}});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], "INSERT INTO a VALUES (1, 'x')");
  EXPECT_EQ(parts[1], " INSERT INTO b VALUES (NULL)");
  auto statements = SplitSql("SELECT ?, ?");
  auto wrong = BindParams(*statements, {int64_t{1}});
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("takes 2 parameters, got 1"), std::string::npos);
}

TEST(ClickHouseSqlTest, LiteralsAreExactAndInert) {
  EXPECT_EQ(*SqlLiteral(std::monostate{}), "NULL");
  EXPECT_EQ(*SqlLiteral(true), "1");
  EXPECT_EQ(*SqlLiteral(int64_t{42}), "42");
  EXPECT_EQ(*SqlLiteral(std::numeric_limits<int64_t>::min()), " -9223372036854775808");
  EXPECT_EQ(*SqlLiteral(0.1), "toFloat64(0.1)");
  EXPECT_EQ(*SqlLiteral(-2.5e-300), "toFloat64(-2.5e-300)");
  EXPECT_EQ(*SqlLiteral(std::numeric_limits<double>::infinity()), "toFloat64(inf)");
  EXPECT_EQ(*SqlLiteral(-0.0), "reinterpretAsFloat64(unhex('0000000000000080'))");
  EXPECT_EQ(*SqlLiteral(5e-324), "reinterpretAsFloat64(unhex('0100000000000000'))");
  EXPECT_EQ(*SqlLiteral(std::string("it's \\ a\ttab\n\x01\x7f h\u00e9")),
            "'it\\'s \\\\ a\\x09tab\\x0A\\x01\\x7F h\u00e9'");
  EXPECT_EQ(*SqlLiteral(std::string("'; DROP TABLE t; --")), "'\\'; DROP TABLE t; --'");
  EXPECT_EQ(*SqlLiteral(Timestamp{1'700'000'000'000'000}), "toDateTime(1700000000)");
  EXPECT_EQ(SqlLiteral(Timestamp{1'700'000'000'000'001}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(SqlLiteral(Timestamp{-1'000'000}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(QuoteIdentifier("we`ird\\"), "`we\\`ird\\\\`");
}

TEST(ClickHouseSqlTest, ServerErrorsMapToCodes) {
  auto status = [](int http, std::string_view body) {
    return ServerErrorStatus(http, body, "clickhouse: query on clickhouse://h:1/db");
  };
  Status missing = status(404,
                          "Code: 60, e.displayText() = DB::Exception: Table db.nope doesn't "
                          "exist., e.what() = DB::Exception\n");
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.message(),
            "clickhouse: query on clickhouse://h:1/db: Table db.nope doesn't exist. "
            "(ClickHouse error code 60)");
  EXPECT_EQ(status(400,
                   "Code: 62, e.displayText() = DB::Exception: Syntax error: failed at "
                   "position 1, e.what() = DB::Exception")
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(status(500,
                   "Code: 159, e.displayText() = DB::Exception: Timeout exceeded, "
                   "e.what() = DB::Exception")
                .code(),
            StatusCode::kDeadlineExceeded);
  EXPECT_EQ(status(401,
                   "Code: 193, e.displayText() = DB::Exception: Wrong password for user "
                   "coral, e.what() = DB::Exception")
                .code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(status(500,
                   "Code: 241, e.displayText() = DB::Exception: Memory limit, e.what() = "
                   "DB::Exception")
                .code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(status(502, "Bad gateway").code(), StatusCode::kInternal);
  EXPECT_EQ(status(400, "not clickhouse").code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace coral::storage::clickhouse

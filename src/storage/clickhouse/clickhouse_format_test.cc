#include "storage/clickhouse/clickhouse_format.h"

#include <gtest/gtest.h>

namespace coral::storage::clickhouse {
namespace {

using Kind = ChType::Kind;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

TEST(ClickHouseFormatTest, ParsesTypeNames) {
  auto t = ParseType("Nullable(DateTime('Asia/Tokyo'))", "c");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->nullable);
  EXPECT_EQ(t->kind, Kind::kDateTime);
  auto e = ParseType("Enum8('a' = 1, 'b\\'c' = -2)", "c");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_EQ(e->enum_values.size(), 2u);
  EXPECT_EQ(e->enum_values[1], (std::pair<std::string, int>{"b'c", -2}));
  EXPECT_EQ(ParseType("Decimal(18, 2)", "c")->kind, Kind::kDecimal64);
  EXPECT_EQ(ParseType("Decimal(18, 2)", "c")->scale, 2);
  EXPECT_EQ(ParseType("FixedString(16)", "c")->fixed_size, 16u);
  EXPECT_EQ(CoralType(*ParseType("UInt64", "c")), ColumnType::kInt64);
  EXPECT_EQ(CoralType(*ParseType("Nullable(Nothing)", "c")), ColumnType::kNull);
  auto array = ParseType("Array(UInt8)", "xs");
  ASSERT_FALSE(array.ok());
  EXPECT_NE(array.status().message().find("'xs'"), std::string::npos);
}

// Bytes as clickhouse-server 18.16 sends them for
// SELECT number AS n, toNullable(toString(number)) AS s, toDateTime(number) AS t
// FROM numbers(2) FORMAT Native, with the null map of s changed to mark row 1 NULL.
const std::string kTwoRows =
    Bytes({0x03, 0x02, 0x01, 'n',  0x06, 'U',  'I', 'n',  't', '6',  '4', 0,   0,    0,   0,
           0,    0,    0,    0,    1,    0,    0,   0,    0,   0,    0,   0,   0x01, 's', 0x10,
           'N',  'u',  'l',  'l',  'a',  'b',  'l', 'e',  '(', 'S',  't', 'r', 'i',  'n', 'g',
           ')',  0x00, 0x01, 0x01, '0',  0x01, '1', 0x01, 't', 0x08, 'D', 'a', 't',  'e', 'T',
           'i',  'm',  'e',  0,    0,    0,    0,   1,    0,   0,    0});

TEST(ClickHouseFormatTest, DecodesNativeBlocks) {
  RowSet rows;
  ASSERT_TRUE(DecodeNative(kTwoRows + kTwoRows, 0, 0, &rows).ok());
  ASSERT_EQ(rows.columns.size(), 3u);
  EXPECT_EQ(rows.columns[1].name, "s");
  EXPECT_EQ(rows.columns[1].type, ColumnType::kString);
  ASSERT_EQ(rows.rows.size(), 4u);
  EXPECT_EQ(rows.rows[1][0], Value(int64_t{1}));
  EXPECT_EQ(rows.rows[0][1], Value(std::string("0")));
  EXPECT_EQ(rows.rows[1][1], Value(std::monostate{}));  // the null map says NULL
  EXPECT_EQ(rows.rows[3][2], Value(Timestamp{1'000'000}));
  EXPECT_FALSE(rows.truncated);

  RowSet three;
  ASSERT_TRUE(DecodeNative(kTwoRows + kTwoRows, 3, 0, &three).ok());
  EXPECT_EQ(three.rows.size(), 3u);
  EXPECT_TRUE(three.truncated);

  // Rows of 17 and 24 bytes (ValueBytes): the second crosses 20 and is kept.
  RowSet two;
  ASSERT_TRUE(DecodeNative(kTwoRows + kTwoRows, 0, 20, &two).ok());
  EXPECT_EQ(two.rows.size(), 2u);
  EXPECT_TRUE(two.truncated);

  RowSet cut;
  EXPECT_EQ(DecodeNative(kTwoRows.substr(0, kTwoRows.size() - 1), 0, 0, &cut).code(),
            StatusCode::kCorruption);
}

TEST(ClickHouseFormatTest, EncodesRowBinary) {
  std::string out;
  ASSERT_TRUE(EncodeRowBinary(*ParseType("Nullable(Int64)", "c"), Value(int64_t{-2}), &out).ok());
  ASSERT_TRUE(EncodeRowBinary(*ParseType("Nullable(Int64)", "c"), Value(), &out).ok());
  ASSERT_TRUE(EncodeRowBinary(*ParseType("String", "c"), Value(std::string("a\tb")), &out).ok());
  ASSERT_TRUE(EncodeRowBinary(*ParseType("DateTime", "c"), Value(Timestamp{1'999'999}), &out).ok());
  ASSERT_TRUE(
      EncodeRowBinary(*ParseType("Enum8('x' = 5)", "c"), Value(std::string("x")), &out).ok());
  EXPECT_EQ(out, Bytes({0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 3, 'a', '\t', 'b', 1,
                        0, 0, 0, 5}));
  EXPECT_FALSE(EncodeRowBinary(*ParseType("UInt8", "c"), Value(int64_t{256}), &out).ok());
  EXPECT_FALSE(EncodeRowBinary(*ParseType("Int64", "c"), Value(), &out).ok());
  EXPECT_FALSE(
      EncodeRowBinary(*ParseType("FixedString(2)", "c"), Value(std::string("abc")), &out).ok());
  EXPECT_FALSE(
      EncodeRowBinary(*ParseType("Enum8('x' = 5)", "c"), Value(std::string("y")), &out).ok());
  EXPECT_FALSE(EncodeRowBinary(*ParseType("String", "c"), Value(int64_t{1}), &out).ok());
}

TEST(ClickHouseFormatTest, UnescapesTsv) {
  EXPECT_EQ(UnescapeTsv("a\\tb\\nc\\\\d\\'"), "a\tb\nc\\d'");
}

}  // namespace
}  // namespace coral::storage::clickhouse

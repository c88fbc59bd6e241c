// The Store behaviour Coral relies on, run against DuckDB and a real
// ClickHouse with the same data and the same queries: each test expects the
// same RowSet (names, types, values) from both backends. Only the table
// definitions differ, as they do in the schema module.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>

#include "storage/clickhouse/clickhouse_test_server.h"
#include "storage/store.h"

namespace coral::storage {
namespace {

using namespace std::chrono_literals;

struct ColumnDef {
  std::string name;
  ColumnType type;
};

// CREATE TABLE name (id <id_type>, then each column as <column_format> with
// its backend type name).
std::string CreateTableSql(const std::string& name, const std::vector<ColumnDef>& cols,
                           const std::string& id_type, const std::string& column_format,
                           const std::map<ColumnType, std::string>& type_names) {
  std::string sql = "CREATE TABLE " + name + " (id " + id_type;
  for (const auto& c : cols) {
    std::string column = column_format;
    column.replace(column.find("{}"), 2, type_names.at(c.type));
    sql += ", " + c.name + " " + column;
  }
  return sql + ")";
}

struct DuckDb {
  static Result<std::unique_ptr<Store>> Open() { return OpenStore("duckdb://:memory:"); }
  static std::string CreateTable(const std::string& name, const std::vector<ColumnDef>& cols) {
    return CreateTableSql(name, cols, "BIGINT NOT NULL", "{}",
                          {{ColumnType::kInt64, "BIGINT"},
                           {ColumnType::kDouble, "DOUBLE"},
                           {ColumnType::kString, "VARCHAR"},
                           {ColumnType::kTimestamp, "TIMESTAMP"}});
  }
};

struct ClickHouse {
  static Result<std::unique_ptr<Store>> Open() {
    ClickHouseTestServer* server = CORAL_TRY(ClickHouseTestServer::Shared());
    return OpenStore(server->NewDatabaseUrl());
  }
  static std::string CreateTable(const std::string& name, const std::vector<ColumnDef>& cols) {
    return CreateTableSql(name, cols, "Int64", "Nullable({})",
                          {{ColumnType::kInt64, "Int64"},
                           {ColumnType::kDouble, "Float64"},
                           {ColumnType::kString, "String"},
                           {ColumnType::kTimestamp, "DateTime"}}) +
           " ENGINE = MergeTree() ORDER BY id";
  }
};

template <typename Backend>
class StoreBehaviourTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Backend::Open();
    if (!store.ok() && store.status().code() == StatusCode::kNotFound) {
      GTEST_SKIP() << store.status().message();
    }
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  void Create(const std::string& name, const std::vector<ColumnDef>& cols) {
    Status s = store_->Execute(Backend::CreateTable(name, cols));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  RowSet MustQuery(const std::string& sql, const Params& params = {},
                   const QueryOptions& options = {}) {
    auto rows = store_->Query(sql, params, options);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? std::move(rows).value() : RowSet{};
  }
  std::unique_ptr<Store> store_;
};

using Backends = ::testing::Types<DuckDb, ClickHouse>;
class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, DuckDb> ? "DuckDb" : "ClickHouse";
  }
};
TYPED_TEST_SUITE(StoreBehaviourTest, Backends, BackendNames);

constexpr int64_t kSecond = 1'000'000;
const std::vector<ColumnDef> kAllTypes = {{"i", ColumnType::kInt64},
                                          {"d", ColumnType::kDouble},
                                          {"s", ColumnType::kString},
                                          {"ts", ColumnType::kTimestamp}};

// Rows that stress escaping and ranges; whole-second timestamps (DateTime).
std::vector<std::vector<Value>> TrickyRows() {
  return {
      {int64_t{1}, std::numeric_limits<int64_t>::min(), -0.5, std::string("tab\there"),
       Timestamp{0}},
      {int64_t{2}, std::numeric_limits<int64_t>::max(), 1e300,
       std::string("new\nline \\ back 'quote' \"dq\" \r\x01"), Timestamp{1'700'000'000 * kSecond}},
      {int64_t{3}, int64_t{0}, 0.1, std::string("unicode: h\u00e9llo \u65e5\u672c \U0001F41A"),
       Timestamp{4'102'444'800 * kSecond}},
      {int64_t{4}, std::monostate{}, std::monostate{}, std::monostate{}, std::monostate{}},
      {int64_t{5}, int64_t{-1}, 2.2250738585072014e-308, std::string(""),
       Timestamp{1'700'000'060 * kSecond}},
      {int64_t{6}, int64_t{1} << 53, 123456789.125, std::string("'; DROP TABLE t; --"),
       Timestamp{86'400 * kSecond}},
  };
}

RowSet Expected(std::vector<Column> columns, std::vector<std::vector<Value>> rows) {
  RowSet r;
  r.columns = std::move(columns);
  r.rows = std::move(rows);
  return r;
}

void ExpectSame(const RowSet& got, const RowSet& want) {
  ASSERT_EQ(got.columns.size(), want.columns.size());
  for (size_t c = 0; c < want.columns.size(); ++c) {
    EXPECT_EQ(got.columns[c].name, want.columns[c].name) << c;
    EXPECT_EQ(got.columns[c].type, want.columns[c].type)
        << got.columns[c].name << ": " << ColumnTypeName(got.columns[c].type);
  }
  EXPECT_EQ(got.truncated, want.truncated);
  ASSERT_EQ(got.rows.size(), want.rows.size());
  for (size_t r = 0; r < want.rows.size(); ++r) {
    for (size_t c = 0; c < want.columns.size(); ++c) {
      EXPECT_EQ(got.rows[r][c], want.rows[r][c])
          << "row " << r << " column " << want.columns[c].name << ": got '"
          << ValueToText(got.rows[r][c]) << "' want '" << ValueToText(want.rows[r][c]) << "'";
    }
  }
}

const std::vector<Column> kAllColumns = {{"id", ColumnType::kInt64},
                                         {"i", ColumnType::kInt64},
                                         {"d", ColumnType::kDouble},
                                         {"s", ColumnType::kString},
                                         {"ts", ColumnType::kTimestamp}};

TYPED_TEST(StoreBehaviourTest, AppendedRowsReadBackExactly) {
  this->Create("t", kAllTypes);
  ASSERT_TRUE(this->store_->Append({"t", {"id", "i", "d", "s", "ts"}, TrickyRows()}).ok());
  ExpectSame(this->MustQuery("SELECT id, i, d, s, ts FROM t ORDER BY id"),
             Expected(kAllColumns, TrickyRows()));
}

TYPED_TEST(StoreBehaviourTest, InsertedParamsReadBackExactly) {
  this->Create("t", kAllTypes);
  for (const auto& row : TrickyRows()) {
    Status s = this->store_->Execute("INSERT INTO t (id, i, d, s, ts) VALUES (?, ?, ?, ?, ?)", row);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  ExpectSame(this->MustQuery("SELECT id, i, d, s, ts FROM t ORDER BY id"),
             Expected(kAllColumns, TrickyRows()));
}

TYPED_TEST(StoreBehaviourTest, ParamsSelectTheRowsTheyName) {
  this->Create("t", kAllTypes);
  ASSERT_TRUE(this->store_->Append({"t", {"id", "i", "d", "s", "ts"}, TrickyRows()}).ok());
  for (const auto& row : TrickyRows()) {
    if (std::holds_alternative<std::monostate>(row[3])) continue;
    RowSet got = this->MustQuery("SELECT id FROM t WHERE s = ? AND i = ? AND d = ?",
                                 {row[3], row[1], row[2]});
    ExpectSame(got, Expected({{"id", ColumnType::kInt64}}, {{row[0]}}));
  }
  RowSet window =
      this->MustQuery("SELECT id, ts FROM t WHERE ts >= ? AND ts < ? ORDER BY id",
                      {Timestamp{86'400 * kSecond}, Timestamp{1'700'000'060 * kSecond}});
  ExpectSame(window, Expected({{"id", ColumnType::kInt64}, {"ts", ColumnType::kTimestamp}},
                              {{int64_t{2}, Timestamp{1'700'000'000 * kSecond}},
                               {int64_t{6}, Timestamp{86'400 * kSecond}}}));
  // The table is still there and whole after the injection string went through.
  ExpectSame(this->MustQuery("SELECT count(*) AS n FROM t"),
             Expected({{"n", ColumnType::kInt64}}, {{int64_t{6}}}));
}

TYPED_TEST(StoreBehaviourTest, GroupByCountSumAvg) {
  this->Create("spans", {{"service", ColumnType::kString},
                         {"duration_us", ColumnType::kInt64},
                         {"weight", ColumnType::kDouble}});
  Batch batch{"spans", {"id", "service", "duration_us", "weight"}, {}};
  const char* services[] = {"api", "db", "web"};
  for (int64_t n = 0; n < 300; ++n) {
    batch.rows.push_back(
        {n, std::string(services[n % 3]), n * 1000, static_cast<double>(n % 4) * 0.25});
  }
  ASSERT_TRUE(this->store_->Append(batch).ok());
  RowSet got = this->MustQuery(
      "SELECT service, count(*) AS n, sum(duration_us) AS total, avg(weight) AS mean, "
      "min(duration_us) AS lo, max(duration_us) AS hi FROM spans GROUP BY service "
      "ORDER BY service");
  // api: n = 0, 3, ..., 297; db: 1, 4, ...; web: 2, 5, ...
  ExpectSame(got, Expected({{"service", ColumnType::kString},
                            {"n", ColumnType::kInt64},
                            {"total", ColumnType::kInt64},
                            {"mean", ColumnType::kDouble},
                            {"lo", ColumnType::kInt64},
                            {"hi", ColumnType::kInt64}},
                           {{std::string("api"), int64_t{100}, int64_t{14'850'000}, 0.375,
                             int64_t{0}, int64_t{297'000}},
                            {std::string("db"), int64_t{100}, int64_t{14'950'000}, 0.375,
                             int64_t{1000}, int64_t{298'000}},
                            {std::string("web"), int64_t{100}, int64_t{15'050'000}, 0.375,
                             int64_t{2000}, int64_t{299'000}}}));
}

TYPED_TEST(StoreBehaviourTest, EmptyResultsKeepTheirColumns) {
  this->Create("t", kAllTypes);
  ExpectSame(
      this->MustQuery("SELECT id, s, ts FROM t WHERE id > 1000"),
      Expected(
          {{"id", ColumnType::kInt64}, {"s", ColumnType::kString}, {"ts", ColumnType::kTimestamp}},
          {}));
  ExpectSame(this->MustQuery("SELECT count(*) AS n FROM t"),
             Expected({{"n", ColumnType::kInt64}}, {{int64_t{0}}}));
}

TYPED_TEST(StoreBehaviourTest, MaxRowsTruncatesInOrder) {
  this->Create("t", {});
  Batch batch{"t", {"id"}, {}};
  for (int64_t n = 0; n < 5000; ++n) batch.rows.push_back({n});
  ASSERT_TRUE(this->store_->Append(batch).ok());
  RowSet got = this->MustQuery("SELECT id FROM t ORDER BY id DESC", {}, {.max_rows = 3});
  RowSet want =
      Expected({{"id", ColumnType::kInt64}}, {{int64_t{4999}}, {int64_t{4998}}, {int64_t{4997}}});
  want.truncated = true;
  ExpectSame(got, want);
  RowSet all = this->MustQuery("SELECT id FROM t WHERE id < 2 ORDER BY id", {}, {.max_rows = 2});
  ExpectSame(all, Expected({{"id", ColumnType::kInt64}}, {{int64_t{0}}, {int64_t{1}}}));
}

TYPED_TEST(StoreBehaviourTest, WrongParamCountIsInvalidArgument) {
  this->Create("t", kAllTypes);
  auto rows = this->store_->Query("SELECT id FROM t WHERE id = ? AND i = ?", {int64_t{1}});
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(rows.status().message().find("takes 2 parameters, got 1"), std::string::npos)
      << rows.status().message();
}

TYPED_TEST(StoreBehaviourTest, MigrateTwiceIsIdempotent) {
  std::vector<Migration> ms = {
      {1, "kv", "CREATE TABLE kv (k VARCHAR, v BIGINT); CREATE TABLE kv2 (k VARCHAR)",
       "CREATE TABLE kv (k String, v Int64) ENGINE = MergeTree() ORDER BY k;\n"
       "-- two statements; the ; in this comment is not a third\n"
       "CREATE TABLE kv2 (k String) ENGINE = MergeTree() ORDER BY k"},
      {2, "kv3", "CREATE TABLE kv3 (k VARCHAR)",
       "CREATE TABLE kv3 (k String) ENGINE = MergeTree() ORDER BY k"}};
  EXPECT_EQ(*this->store_->SchemaVersion(), 0);
  Status s = this->store_->Migrate(ms);
  ASSERT_TRUE(s.ok()) << s.ToString();
  s = this->store_->Migrate(ms);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(*this->store_->SchemaVersion(), 2);
  ExpectSame(this->MustQuery("SELECT count(*) AS n FROM coral_schema"),
             Expected({{"n", ColumnType::kInt64}}, {{int64_t{2}}}));
  EXPECT_TRUE(this->store_->Query("SELECT k FROM kv2").ok());
  EXPECT_TRUE(this->store_->Query("SELECT k FROM kv3").ok());
}

// Not typed: the two backends answer the same queries in one test, side by side.
TEST(StoreBehaviourSideBySide, SameQueriesSameRowSets) {
  auto server = ClickHouseTestServer::Shared();
  if (!server.ok() && server.status().code() == StatusCode::kNotFound) {
    GTEST_SKIP() << server.status().message();
  }
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto duck = OpenStore("duckdb://:memory:");
  auto house = OpenStore((*server)->NewDatabaseUrl());
  ASSERT_TRUE(duck.ok() && house.ok()) << house.status().ToString();
  ASSERT_TRUE((*duck)->Execute(DuckDb::CreateTable("t", kAllTypes)).ok());
  ASSERT_TRUE((*house)->Execute(ClickHouse::CreateTable("t", kAllTypes)).ok());
  for (auto* store : {duck->get(), house->get()}) {
    ASSERT_TRUE(store->Append({"t", {"id", "i", "d", "s", "ts"}, TrickyRows()}).ok());
  }
  const std::pair<std::string, Params> queries[] = {
      {"SELECT id, i, d, s, ts FROM t ORDER BY id", {}},
      {"SELECT s, count(*) AS n FROM t WHERE s IS NOT NULL GROUP BY s ORDER BY s", {}},
      {"SELECT id FROM t WHERE i < ? ORDER BY id DESC", {int64_t{1}}},
      {"SELECT max(ts) AS newest, min(ts) AS oldest FROM t", {}},
      {"SELECT id, d FROM t WHERE d > ? ORDER BY d", {0.0}},
  };
  for (const auto& [sql, params] : queries) {
    SCOPED_TRACE(sql);
    auto a = (*duck)->Query(sql, params);
    auto b = (*house)->Query(sql, params);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    ASSERT_FALSE(a->rows.empty());
    ExpectSame(*b, *a);
  }
}

}  // namespace
}  // namespace coral::storage

#include "storage/duckdb/duckdb_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "base/files.h"
#include "base/ids.h"
#include "base/subprocess.h"
#include "base/temp_dir.h"

namespace coral::storage {
namespace {

using namespace std::chrono_literals;

class DuckDbStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> OpenMemory() {
    auto store = OpenStore("duckdb://:memory:");
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(store).value();
  }
  std::string FileUrl(const std::string& name) { return "duckdb://" + (dir_ / name).string(); }

  TempDir dir_{"coral-duckdb-test"};
};

TEST_F(DuckDbStoreTest, LibraryIsTheExpectedVersion) {
  EXPECT_EQ(DuckDbStore::LibraryVersion(), std::string("v") + CORAL_DUCKDB_VERSION);
}

TEST_F(DuckDbStoreTest, AppendsAndReadsEveryType) {
  auto store = OpenMemory();
  ASSERT_TRUE(store
                  ->Execute("CREATE TABLE t (b BOOLEAN, i BIGINT, d DOUBLE, s VARCHAR, "
                            "ts TIMESTAMP, extra VARCHAR DEFAULT 'dflt')")
                  .ok());
  Batch batch{"t", {"b", "i", "d", "s", "ts"}, {}};
  batch.rows.push_back(
      {true, int64_t{-42}, 2.5, std::string("short"), Timestamp{1'700'000'000'000'001}});
  batch.rows.push_back({false, int64_t{1} << 40, -0.125, std::string(100, 'x'), Timestamp{0}});
  batch.rows.push_back(
      {std::monostate{}, std::monostate{}, std::monostate{}, std::monostate{}, std::monostate{}});
  ASSERT_TRUE(store->Append(batch).ok());

  auto rows = store->Query("SELECT b, i, d, s, ts, extra FROM t ORDER BY i NULLS LAST");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->rows.size(), 3u);
  EXPECT_EQ(rows->columns[0].type, ColumnType::kBool);
  EXPECT_EQ(rows->columns[1].type, ColumnType::kInt64);
  EXPECT_EQ(rows->columns[2].type, ColumnType::kDouble);
  EXPECT_EQ(rows->columns[3].type, ColumnType::kString);
  EXPECT_EQ(rows->columns[4].type, ColumnType::kTimestamp);
  EXPECT_EQ(rows->rows[0][0], Value(true));
  EXPECT_EQ(rows->rows[0][1], Value(int64_t{-42}));
  EXPECT_EQ(rows->rows[0][2], Value(2.5));
  EXPECT_EQ(rows->rows[0][3], Value(std::string("short")));
  EXPECT_EQ(rows->rows[0][4], Value(Timestamp{1'700'000'000'000'001}));
  EXPECT_EQ(rows->rows[0][5], Value(std::string("dflt")));
  EXPECT_EQ(rows->rows[1][1], Value(int64_t{1} << 40));
  EXPECT_EQ(rows->rows[1][3], Value(std::string(100, 'x')));  // not inlined in DuckDB
  for (int c = 0; c < 5; ++c) EXPECT_EQ(rows->rows[2][c], Value(std::monostate{})) << c;
}

TEST_F(DuckDbStoreTest, AppendColumnsStoresEveryTypeNullsAndManyChunks) {
  auto store = OpenMemory();
  ASSERT_TRUE(store
                  ->Execute("CREATE TABLE t (b BOOLEAN, i BIGINT, d DOUBLE, s VARCHAR, "
                            "ts TIMESTAMP, extra VARCHAR DEFAULT 'dflt')")
                  .ok());
  // More rows than one DuckDB vector (2048), so the append spans chunks.
  constexpr int kRows = 5000;
  ColumnBatch batch{"t", {}};
  batch.columns.reserve(5);  // the references below must outlive every emplace_back
  auto& b = batch.columns.emplace_back("b", ColumnType::kBool);
  auto& i = batch.columns.emplace_back("i", ColumnType::kInt64);
  auto& d = batch.columns.emplace_back("d", ColumnType::kDouble);
  auto& s = batch.columns.emplace_back("s", ColumnType::kString);
  auto& ts = batch.columns.emplace_back("ts", ColumnType::kTimestamp);
  std::vector<std::string> texts;
  for (int r = 0; r < kRows; ++r) texts.push_back(r % 2 ? "short" : std::string(40, 'a' + r % 26));
  for (int r = 0; r < kRows; ++r) {
    if (r % 7 == 3) {
      for (auto* c : {&b, &i, &d, &s, &ts}) c->AddNull();
      continue;
    }
    b.AddBool(r % 2 == 0);
    i.AddInt(r);
    d.AddDouble(r + 0.5);
    s.AddString(texts[static_cast<size_t>(r)]);
    ts.AddTimestamp(Timestamp{1'700'000'000'000'000 + r});
  }
  ASSERT_TRUE(store->AppendColumns(batch).ok());

  auto count = store->Query("SELECT count(*), count(i), count(s) FROM t");
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  int64_t nulls = (kRows + 3) / 7;
  EXPECT_EQ(count->rows[0][0], Value(int64_t{kRows}));
  EXPECT_EQ(count->rows[0][1], Value(int64_t{kRows - nulls}));
  EXPECT_EQ(count->rows[0][2], Value(int64_t{kRows - nulls}));
  for (int r : {0, 1, 2046, 2048, 4095, 4096, 4999}) {  // 2047 is a NULL row (r % 7 == 3)
    auto row = store->Query("SELECT b, i, d, s, ts, extra FROM t WHERE i = ?", {int64_t{r}});
    ASSERT_TRUE(row.ok()) << row.status().ToString();
    ASSERT_EQ(row->rows.size(), 1u) << r;
    EXPECT_EQ(row->rows[0][0], Value(r % 2 == 0));
    EXPECT_EQ(row->rows[0][2], Value(r + 0.5));
    EXPECT_EQ(row->rows[0][3], Value(texts[static_cast<size_t>(r)]));
    EXPECT_EQ(row->rows[0][4], Value(Timestamp{1'700'000'000'000'000 + r}));
    EXPECT_EQ(row->rows[0][5], Value(std::string("dflt")));
  }
  auto null_row = store->Query("SELECT b, d, s, ts FROM t WHERE i IS NULL LIMIT 1");
  ASSERT_TRUE(null_row.ok());
  for (const Value& v : null_row->rows[0]) EXPECT_EQ(v, Value(std::monostate{}));
}

TEST(ColumnValuesTest, ExtendKeepsValuesAndNullsInOrder) {
  ColumnValues plain("i", ColumnType::kInt64);
  plain.AddInt(1);
  ColumnValues with_null("i", ColumnType::kInt64);
  with_null.AddNull();
  with_null.AddInt(3);
  plain.Extend(with_null);  // the first NULL arrives with `more`
  plain.Extend(plain);      // a copy of itself, NULL included
  ColumnValues tail("i", ColumnType::kInt64);
  tail.AddInt(7);
  plain.Extend(tail);  // a column without NULLs after one with
  std::vector<Value> got;
  for (size_t r = 0; r < plain.size(); ++r) got.push_back(plain.ValueAt(r));
  EXPECT_EQ(got, (std::vector<Value>{int64_t{1}, std::monostate{}, int64_t{3}, int64_t{1},
                                     std::monostate{}, int64_t{3}, int64_t{7}}));

  std::string text = "kept";
  ColumnValues strings("s", ColumnType::kString);
  ColumnValues more("s", ColumnType::kString);
  more.AddString(text);
  strings.Extend(more);
  EXPECT_EQ(strings.ValueAt(0), Value(std::string("kept")));
  EXPECT_EQ(strings.strings()[0].data(), text.data());  // a view, not a copy
}

TEST_F(DuckDbStoreTest, AppendColumnsRefusesWrongTypesAndRaggedColumns) {
  auto store = OpenMemory();
  ASSERT_TRUE(store->Execute("CREATE TABLE t (i BIGINT, s VARCHAR)").ok());
  ColumnBatch wrong{"t", {}};
  wrong.columns.emplace_back("i", ColumnType::kString).AddString("not a number");
  Status s = store->AppendColumns(wrong);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("column 'i'"), std::string::npos) << s.message();

  ColumnBatch ragged{"t", {}};
  ragged.columns.emplace_back("i", ColumnType::kInt64).AddInt(1);
  ragged.columns.emplace_back("s", ColumnType::kString);
  s = store->AppendColumns(ragged);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  auto count = store->Query("SELECT count(*) FROM t");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->rows[0][0], Value(int64_t{0}));
}

TEST_F(DuckDbStoreTest, ParametersBindByPosition) {
  auto store = OpenMemory();
  ASSERT_TRUE(store->Execute("CREATE TABLE kv (k VARCHAR, v BIGINT)").ok());
  ASSERT_TRUE(store
                  ->Execute("INSERT INTO kv VALUES (?, ?), (?, ?)",
                            {std::string("a"), int64_t{1}, std::string("it's"), int64_t{2}})
                  .ok());
  auto rows = store->Query("SELECT v FROM kv WHERE k = ?", {std::string("it's")});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(rows->rows[0][0], Value(int64_t{2}));
  auto wrong = store->Query("SELECT v FROM kv WHERE k = ?", {});
  EXPECT_FALSE(wrong.ok());  // no params: runs unprepared, '?' is a syntax error
  auto count = store->Query("SELECT v FROM kv WHERE k = ? AND v = ?", {std::string("a")});
  ASSERT_FALSE(count.ok());
  EXPECT_NE(count.status().message().find("takes 2 parameters, got 1"), std::string::npos);
}

TEST_F(DuckDbStoreTest, AggregatesDecimalsAndEnumsDecode) {
  auto store = OpenMemory();
  auto rows = store->Query(
      "SELECT sum(x) AS total, avg(x) AS mean, CAST(1.25 AS DECIMAL(10,2)) AS dec, "
      "CAST(123456789.125 AS DECIMAL(38,3)) AS wide, CAST('b' AS ENUM('a','b')) AS e, "
      "DATE '1970-01-02' AS day FROM range(1, 101) r(x)");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->rows[0][0], Value(int64_t{5050}));  // HUGEINT in DuckDB
  EXPECT_EQ(rows->rows[0][1], Value(50.5));
  EXPECT_EQ(rows->rows[0][2], Value(1.25));
  EXPECT_EQ(rows->rows[0][3], Value(123456789.125));
  EXPECT_EQ(rows->rows[0][4], Value(std::string("b")));
  EXPECT_EQ(rows->rows[0][5], Value(Timestamp{86'400'000'000}));
}

TEST_F(DuckDbStoreTest, UnreadableTypesAskForACast) {
  auto store = OpenMemory();
  auto rows = store->Query("SELECT [1, 2] AS l");
  ASSERT_FALSE(rows.ok());
  EXPECT_NE(rows.status().message().find("'l'"), std::string::npos);
  EXPECT_NE(rows.status().message().find("CAST"), std::string::npos);
}

TEST_F(DuckDbStoreTest, BadSqlIsInvalidArgumentWithTheQuery) {
  auto store = OpenMemory();
  auto rows = store->Query("SELEC 1");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(rows.status().message().find("SELEC 1"), std::string::npos);
  auto missing = store->Query("SELECT * FROM nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(DuckDbStoreTest, MaxRowsTruncates) {
  auto store = OpenMemory();
  auto rows = store->Query("SELECT * FROM range(10000)", {}, {.max_rows = 3000});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->rows.size(), 3000u);
  EXPECT_TRUE(rows->truncated);
  auto all = store->Query("SELECT * FROM range(10)", {}, {.max_rows = 10});
  EXPECT_FALSE(all->truncated);
}

// Rows of a kilobyte, then one of a megabyte: a byte budget stops a result
// whatever its rows weigh, keeping the row that crosses it.
TEST_F(DuckDbStoreTest, MaxBytesTruncatesBySize) {
  auto store = OpenMemory();
  const char* sql =
      "SELECT i, repeat('x', CASE WHEN i = 5 THEN 1048576 ELSE 1000 END) FROM range(100) t(i)";
  auto rows = store->Query(sql, {}, {.max_bytes = 3000});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->rows.size(), 3u);  // 1008 + 1008 + 1008 crosses 3000
  EXPECT_TRUE(rows->truncated);
  auto big = store->Query(sql, {}, {.max_bytes = 64 << 10});
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->rows.size(), 6u);  // the megabyte row crosses it and is kept
  EXPECT_TRUE(big->truncated);
  auto all = store->Query("SELECT * FROM range(10)", {}, {.max_bytes = 80});
  EXPECT_EQ(all->rows.size(), 10u);
  EXPECT_FALSE(all->truncated);
}

TEST_F(DuckDbStoreTest, SelectOnlyRefusesEverythingButOneSelect) {
  auto store = OpenStore("duckdb://:memory:?enable_external_access=false");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Store& s = **store;
  ASSERT_TRUE(s.Execute("CREATE TABLE t (x BIGINT); INSERT INTO t VALUES (1), (2)").ok());
  QueryOptions user{.max_rows = 10, .statements = Statements::kSelectOnly};
  auto ok = s.Query("WITH y AS (SELECT x FROM t) SELECT sum(x) FROM y", {}, user);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(std::get<int64_t>(ok->rows[0][0]), 3);
  for (const char* bad :
       {"DELETE FROM t", "INSERT INTO t VALUES (3)", "DROP TABLE t", "SELECT 1; DELETE FROM t",
        "PRAGMA threads = 8", "COPY t TO '/tmp/coral-should-not-exist.csv'",
        "ATTACH ':memory:' AS x", "SET threads = 8"}) {
    auto r = s.Query(bad, {}, user);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied)
        << bad << ": " << r.status().ToString();
  }
  // A SELECT cannot reach outside the database either.
  auto file = s.Query("SELECT * FROM read_text('/etc/hostname')", {}, user);
  EXPECT_FALSE(file.ok());
  EXPECT_EQ(std::get<int64_t>(s.Query("SELECT count(*) FROM t")->rows[0][0]), 2);
}

// A viewer's query that would produce far more than the store may hold:
// rows stream and the query stops at the row limit, under a small memory
// limit, where building the whole result first ran out of memory.
TEST_F(DuckDbStoreTest, AUserQueryStopsAtItsRowLimitWithoutBuildingTheRest) {
  auto store = OpenStore("duckdb://:memory:?memory_limit=64MB&enable_external_access=false");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  QueryOptions user{
      .max_rows = 5, .timeout = std::chrono::seconds(60), .statements = Statements::kSelectOnly};
  auto rows = (*store)->Query("SELECT * FROM range(600000000)", {}, user);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->rows.size(), 5u);
  EXPECT_TRUE(rows->truncated);
  EXPECT_TRUE((*store)->Query("SELECT 1").ok());
}

// Settings, paths and other databases are not a viewer's to read.
TEST_F(DuckDbStoreTest, AUserQueryCannotReadTheServersSettingsOrPaths) {
  auto store = OpenStore("duckdb://:memory:?enable_external_access=false");
  ASSERT_TRUE(store.ok());
  QueryOptions user{.max_rows = 10, .statements = Statements::kSelectOnly};
  for (const char* bad :
       {"PRAGMA database_list", "SELECT * FROM pragma_database_list()",
        "SELECT current_setting('temp_directory')", "SELECT * FROM duckdb_settings()"}) {
    auto r = (*store)->Query(bad, {}, user);
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << bad;
  }
}

TEST_F(DuckDbStoreTest, TimeoutInterruptsALongQuery) {
  auto store = OpenMemory();
  auto rows = store->Query("SELECT count(*) FROM range(1000000000000) a", {},
                           {.timeout = std::chrono::milliseconds(200)});
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kDeadlineExceeded);
  // The connection is usable again afterwards.
  EXPECT_TRUE(store->Query("SELECT 1").ok());
}

TEST_F(DuckDbStoreTest, TransactionRollsBackOnFailure) {
  auto store = OpenMemory();
  ASSERT_TRUE(store->Execute("CREATE TABLE t (i BIGINT)").ok());
  Status s = store->Transaction([](Store& txn) -> Status {
    CORAL_TRY(txn.Append({"t", {"i"}, {{int64_t{1}}, {int64_t{2}}}}));
    CORAL_TRY(txn.Execute("INSERT INTO t VALUES (3)"));
    return Internal("simulated failure after writing");
  });
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(store->Query("SELECT count(*) FROM t")->rows[0][0], Value(int64_t{0}));
  s = store->Transaction([](Store& txn) -> Status {
    CORAL_TRY(txn.Append({"t", {"i"}, {{int64_t{1}}, {int64_t{2}}}}));
    return txn.Execute("INSERT INTO t VALUES (3)");
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(store->Query("SELECT count(*) FROM t")->rows[0][0], Value(int64_t{3}));
}

TEST_F(DuckDbStoreTest, MigrationsApplyOnceInOrderAndPersist) {
  std::vector<Migration> v1 = {{1, "kv", "CREATE TABLE kv (k VARCHAR PRIMARY KEY, v BIGINT)", ""}};
  std::vector<Migration> v2 = v1;
  v2.push_back({2, "kv ts", "ALTER TABLE kv ADD COLUMN ts TIMESTAMP", ""});
  {
    auto store = *OpenStore(FileUrl("m.duckdb"));
    EXPECT_EQ(*store->SchemaVersion(), 0);
    ASSERT_TRUE(store->Migrate(v1).ok());
    ASSERT_TRUE(store->Migrate(v1).ok());  // idempotent
    EXPECT_EQ(*store->SchemaVersion(), 1);
    ASSERT_TRUE(store->Execute("INSERT INTO kv VALUES ('a', 1)").ok());
  }
  {
    auto store = *OpenStore(FileUrl("m.duckdb"));
    EXPECT_EQ(*store->SchemaVersion(), 1);
    ASSERT_TRUE(store->Migrate(v2).ok());
    EXPECT_EQ(*store->SchemaVersion(), 2);
    auto rows = store->Query("SELECT k, v, ts FROM kv");
    ASSERT_TRUE(rows.ok());
    EXPECT_EQ(rows->rows.size(), 1u);
    // Code that knows only v1 refuses the newer database.
    Status s = store->Migrate(v1);
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(s.message().find("upgrade coral"), std::string::npos);
  }
}

TEST_F(DuckDbStoreTest, FailedMigrationLeavesTheOldVersion) {
  auto store = *OpenStore(FileUrl("f.duckdb"));
  std::vector<Migration> ms = {{1, "ok", "CREATE TABLE a (i BIGINT)", ""},
                               {2, "broken", "CREATE TABLE b (i BIGINT); SELEC oops", ""}};
  Status s = store->Migrate(ms);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("migration 2 (broken)"), std::string::npos) << s.message();
  EXPECT_EQ(*store->SchemaVersion(), 1);
  EXPECT_FALSE(store->Query("SELECT * FROM b").ok());  // rolled back
}

TEST_F(DuckDbStoreTest, CorruptFileIsAClearError) {
  std::string garbage(8192, '\x5a');
  ASSERT_TRUE(WriteFileAtomic(dir_ / "bad.duckdb", garbage, FileMode::kPrivate).ok());
  auto store = OpenStore(FileUrl("bad.duckdb"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kCorruption) << store.status().ToString();
  EXPECT_NE(store.status().message().find("bad.duckdb"), std::string::npos);
}

TEST_F(DuckDbStoreTest, FileLockedByAnotherProcessIsUnavailable) {
  std::string path = (dir_ / "locked.duckdb").string();
  SubprocessOptions o;
  o.argv = {DUCKDB_LOCK_HOLDER, path};
  auto holder = Subprocess::Start(o);
  ASSERT_TRUE(holder.ok()) << holder.status().ToString();
  ASSERT_TRUE(holder->WaitForOutput("ready", 30s)) << holder->stderr_data();
  auto store = OpenStore("duckdb://" + path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable) << store.status().ToString();
  EXPECT_NE(store.status().message().find("another process"), std::string::npos);
}

TEST_F(DuckDbStoreTest, BadUrlsExplainTheFormat) {
  EXPECT_EQ(OpenStore("duckdb://relative/x.duckdb").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenStore("duckdb://").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenStore("mysql://x").status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(OpenStore("duckdb:///no/such/folder/x.duckdb").ok());
}

TEST_F(DuckDbStoreTest, UrlSettingsReachDuckDb) {
  auto store = OpenStore("duckdb://:memory:?threads=1&memory_limit=64MB");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto rows = (*store)->Query("SELECT current_setting('threads'), current_setting('memory_limit')");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(ValueToText(rows->rows[0][0]), "1");
  EXPECT_NE(ValueToText(rows->rows[0][1]).find("MiB"), std::string::npos)
      << ValueToText(rows->rows[0][1]);
  EXPECT_EQ(OpenStore("duckdb://:memory:?no_such_option=1").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenStore("duckdb://:memory:?threads").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(DuckDbStoreTest, ConcurrentWritersAndReaders) {
  auto store = *OpenStore(FileUrl("c.duckdb"));
  ASSERT_TRUE(store->Execute("CREATE TABLE ev (worker BIGINT, n BIGINT)").ok());
  constexpr int kWorkers = 4, kBatches = 20, kRows = 250;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      for (int b = 0; b < kBatches; ++b) {
        Batch batch{"ev", {"worker", "n"}, {}};
        for (int r = 0; r < kRows; ++r) batch.rows.push_back({int64_t{w}, int64_t{b * kRows + r}});
        if (!store->Append(batch).ok()) ++failures;
        if (!store->Query("SELECT count(*) FROM ev").ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto rows = store->Query("SELECT count(*), count(DISTINCT worker) FROM ev");
  EXPECT_EQ(rows->rows[0][0], Value(int64_t{kWorkers * kBatches * kRows}));
  EXPECT_EQ(rows->rows[0][1], Value(int64_t{kWorkers}));
}

TEST_F(DuckDbStoreTest, AppendRejectsRowsOfTheWrongWidth) {
  auto store = OpenMemory();
  ASSERT_TRUE(store->Execute("CREATE TABLE t (a BIGINT, b BIGINT)").ok());
  Status s = store->Append({"t", {"a", "b"}, {{int64_t{1}}}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("row 0 has 1 values for 2 columns"), std::string::npos);
  EXPECT_FALSE(store->Append({"nope", {"a"}, {{int64_t{1}}}}).ok());
  EXPECT_FALSE(store->Append({"t", {"zzz"}, {{int64_t{1}}}}).ok());
}

}  // namespace
}  // namespace coral::storage

// ClickHouseStore against a real clickhouse-server (Debian's 18.16): what only
// ClickHouse does or does differently from DuckDB. Skipped when
// clickhouse-server is not installed.
#include "storage/clickhouse/clickhouse_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>

#include "storage/clickhouse/clickhouse_test_server.h"
#include "tests/free_port.h"

namespace coral::storage {
namespace {

using namespace std::chrono_literals;

class ClickHouseStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = ClickHouseTestServer::Shared();
    if (!server.ok() && server.status().code() == StatusCode::kNotFound) {
      GTEST_SKIP() << server.status().message();
    }
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = *server;
    url_ = server_->NewDatabaseUrl();
    auto store = OpenStore(url_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  void Exec(const std::string& sql) {
    Status s = store_->Execute(sql);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  Value One(const std::string& sql, const Params& params = {}) {
    auto rows = store_->Query(sql, params);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    if (!rows.ok() || rows->rows.size() != 1) return std::monostate{};
    return rows->rows[0][0];
  }

  ClickHouseTestServer* server_ = nullptr;
  std::string url_;
  std::unique_ptr<Store> store_;
};

TEST_F(ClickHouseStoreTest, IsTheClickHouseBackendOnTheExpectedServer) {
  EXPECT_EQ(store_->backend(), "clickhouse");
  auto* ch = dynamic_cast<ClickHouseStore*>(store_.get());
  ASSERT_NE(ch, nullptr);
  auto version = ch->ServerVersion();
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(version->rfind("18.16", 0), 0u) << *version;
  // The fixture's server runs in UTC (18.16 calls it Etc/UTC).
  EXPECT_EQ(One("SELECT toString(toDateTime(86400))"), Value(std::string("1970-01-02 00:00:00")));
}

TEST_F(ClickHouseStoreTest, SelectOnlyRefusesEverythingButOneSelect) {
  Exec("CREATE TABLE t (x Int64) ENGINE = MergeTree() ORDER BY x");
  Exec("INSERT INTO t VALUES (1), (2)");
  QueryOptions user{.max_rows = 10, .statements = Statements::kSelectOnly};
  auto ok = store_->Query("WITH 1 AS one SELECT sum(x) + one FROM t", {}, user);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->rows[0][0], Value(int64_t{4}));
  for (const char* bad : {"INSERT INTO t VALUES (3)", "DROP TABLE t", "SELECT 1; DROP TABLE t",
                          "ALTER TABLE t DELETE WHERE 1", "OPTIMIZE TABLE t",
                          "CREATE TABLE u (x Int64) ENGINE = Memory"}) {
    auto r = store_->Query(bad, {}, user);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << bad << ": "
                                                                << r.status().ToString();
  }
  EXPECT_EQ(One("SELECT count() FROM t"), Value(int64_t{2}));
}

TEST_F(ClickHouseStoreTest, TypesMapAsDocumented) {
  auto rows = store_->Query(
      "SELECT toInt8(-8) AS i8, toUInt8(255) AS u8, toUInt32(4294967295) AS u32, "
      "toUInt64(9223372036854775807) AS u64, toFloat32(0.1) AS f32, toFloat64(0.1) AS f64, "
      "toFixedString('ab', 3) AS fs, CAST('b' AS Enum8('a' = 1, 'b' = 2)) AS e, "
      "toDate(1) AS day, toDateTime(1700000000, 'Asia/Tokyo') AS tokyo, NULL AS n, "
      "CAST(NULL AS Nullable(String)) AS ns, toDecimal64(1.25, 2) AS dec, 1 = 1 AS yes");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  const auto& r = rows->rows.at(0);
  EXPECT_EQ(r[0], Value(int64_t{-8}));
  EXPECT_EQ(r[1], Value(int64_t{255}));
  EXPECT_EQ(r[2], Value(int64_t{4294967295}));
  EXPECT_EQ(r[3], Value(int64_t{9223372036854775807}));
  EXPECT_EQ(r[4], Value(static_cast<double>(0.1f)));  // the Float32 exactly, widened
  EXPECT_EQ(r[5], Value(0.1));
  EXPECT_EQ(r[6], Value(std::string("ab\0", 3)));
  EXPECT_EQ(r[7], Value(std::string("b")));
  EXPECT_EQ(r[8], Value(Timestamp{86'400'000'000}));
  EXPECT_EQ(r[9], Value(Timestamp{1'700'000'000'000'000}));  // time zone does not matter
  EXPECT_EQ(r[10], Value(std::monostate{}));
  EXPECT_EQ(rows->columns[10].type, ColumnType::kNull);
  EXPECT_EQ(r[11], Value(std::monostate{}));
  EXPECT_EQ(rows->columns[11].type, ColumnType::kString);
  EXPECT_EQ(r[12], Value(1.25));
  EXPECT_EQ(r[13], Value(int64_t{1}));  // UInt8: no boolean type in 18.16
  EXPECT_EQ(rows->columns[13].type, ColumnType::kInt64);
}

TEST_F(ClickHouseStoreTest, UInt64BeyondInt64IsAnErrorNotAWrap) {
  auto rows = store_->Query("SELECT toUInt64(18446744073709551615) AS big");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(rows.status().message().find("'big'"), std::string::npos);
  EXPECT_NE(rows.status().message().find("18446744073709551615"), std::string::npos);
}

TEST_F(ClickHouseStoreTest, UnreadableTypesAskForACast) {
  auto rows = store_->Query("SELECT [1, 2] AS l");
  ASSERT_FALSE(rows.ok());
  EXPECT_NE(rows.status().message().find("'l'"), std::string::npos);
  EXPECT_NE(rows.status().message().find("cast"), std::string::npos);
}

TEST_F(ClickHouseStoreTest, InjectionThroughParamsStaysData) {
  Exec("CREATE TABLE t (k String, v Int64) ENGINE = MergeTree() ORDER BY k");
  const std::string attacks[] = {
      "'; DROP TABLE t; --",
      "\\'; DROP TABLE t; --",
      "\\",
      "x\\",
      "' OR 1 = 1 --",
      "'' OR ''='",
      "a' || (SELECT 'b') || '",
      "/* ? */ ?",
      "`t`",
      "\"t\"",
      std::string("nul\0byte", 8),
      "\x7f\x1b[31m",
      "\xff\xfe not utf-8",
  };
  int64_t n = 0;
  for (const auto& s : attacks) {
    Status st = store_->Execute("INSERT INTO t (k, v) VALUES (?, ?)", {s, n++});
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  EXPECT_EQ(One("SELECT count() FROM t"), Value(int64_t{n}));
  n = 0;
  for (const auto& s : attacks) {
    EXPECT_EQ(One("SELECT v FROM t WHERE k = ?", {s}), Value(int64_t{n++})) << s;
    EXPECT_EQ(One("SELECT ? AS echo", {s}), Value(s));
  }
  // A negative number after a minus sign must not start a -- comment.
  EXPECT_EQ(One("SELECT 10 -? AS x", {int64_t{-5}}), Value(int64_t{15}));
  EXPECT_EQ(One("SELECT 10 -? AS x", {-5.5}), Value(15.5));
}

TEST_F(ClickHouseStoreTest, DoublesRoundTripExactlyThroughParamsAndAppend) {
  Exec("CREATE TABLE f (id Int64, d Float64) ENGINE = MergeTree() ORDER BY id");
  std::mt19937_64 rng(7);
  Batch batch{"f", {"id", "d"}, {}};
  std::vector<double> values = {
      0.1, 1.0 / 3, 5e-324, 1.7976931348623157e308, -0.0, 2.7890840981819507e+20};
  while (values.size() < 2000) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (std::isfinite(d)) values.push_back(d);
  }
  for (size_t i = 0; i < values.size(); ++i) {
    batch.rows.push_back({static_cast<int64_t>(i), values[i]});
  }
  ASSERT_TRUE(store_->Append(batch).ok());
  for (size_t i = 0; i < 200; ++i) {
    Status s = store_->Execute("INSERT INTO f (id, d) VALUES (?, ?)",
                               {static_cast<int64_t>(100000 + i), values[i]});
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  auto rows = store_->Query("SELECT id, d FROM f ORDER BY id");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->rows.size(), values.size() + 200);
  size_t wrong = 0;
  for (const auto& row : rows->rows) {
    int64_t id = std::get<int64_t>(row[0]);
    double want = values[id >= 100000 ? id - 100000 : id];
    double got = std::get<double>(row[1]);
    if (std::memcmp(&got, &want, sizeof got) != 0) ++wrong;
  }
  EXPECT_EQ(wrong, 0u);
  EXPECT_TRUE(std::isnan(std::get<double>(One("SELECT ? AS x", {std::nan("")}))));
  EXPECT_EQ(One("SELECT ? AS x", {-HUGE_VAL}), Value(-HUGE_VAL));
}

TEST_F(ClickHouseStoreTest, TimestampsIntoDateTimeAndInt64Columns) {
  Exec("CREATE TABLE ev (id Int64, at DateTime, at_us Int64) ENGINE = MergeTree() ORDER BY id");
  Timestamp t{1'700'000'000'123'456};
  ASSERT_TRUE(store_->Append({"ev", {"id", "at", "at_us"}, {{int64_t{1}, t, t}}}).ok());
  auto rows = store_->Query("SELECT at, at_us FROM ev");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->rows[0][0], Value(Timestamp{1'700'000'000'000'000}));  // whole seconds
  EXPECT_EQ(rows->rows[0][1], Value(int64_t{1'700'000'000'123'456}));    // microseconds
  // Parameters: whole seconds only; a sub-second part is refused, not rounded.
  EXPECT_EQ(One("SELECT count() FROM ev WHERE at = ?", {Timestamp{1'700'000'000'000'000}}),
            Value(int64_t{1}));
  auto sub = store_->Query("SELECT count() FROM ev WHERE at >= ?", {t});
  ASSERT_FALSE(sub.ok());
  EXPECT_EQ(sub.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(sub.status().message().find("sub-second"), std::string::npos);
  // Outside DateTime's range.
  Status before_1970 = store_->Append({"ev", {"id", "at"}, {{int64_t{2}, Timestamp{-1'000'000}}}});
  EXPECT_EQ(before_1970.code(), StatusCode::kInvalidArgument) << before_1970.ToString();
}

TEST_F(ClickHouseStoreTest, AppendsOneHundredThousandRowsInOneBatch) {
  Exec(
      "CREATE TABLE big (id Int64, service String, at DateTime, d Float64, n Nullable(Int64)) "
      "ENGINE = MergeTree() ORDER BY (service, at)");
  Batch batch{"big", {"id", "service", "at", "d", "n"}, {}};
  constexpr int64_t kRows = 100'000;
  batch.rows.reserve(kRows);
  for (int64_t i = 0; i < kRows; ++i) {
    batch.rows.push_back({i, "svc-" + std::to_string(i % 20) + "\t\n\\",
                          Timestamp{(1'700'000'000 + i) * 1'000'000}, i * 0.5,
                          i % 10 == 0 ? Value(std::monostate{}) : Value(i)});
  }
  Status s = store_->Append(batch);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto rows = store_->Query(
      "SELECT count(), uniqExact(service), sum(id), countIf(isNull(n)), min(at), max(at), "
      "sum(d) FROM big");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  const auto& r = rows->rows[0];
  EXPECT_EQ(r[0], Value(kRows));
  EXPECT_EQ(r[1], Value(int64_t{20}));
  EXPECT_EQ(r[2], Value(kRows * (kRows - 1) / 2));
  EXPECT_EQ(r[3], Value(kRows / 10));
  EXPECT_EQ(r[4], Value(Timestamp{1'700'000'000'000'000}));
  EXPECT_EQ(r[5], Value(Timestamp{(1'700'000'000 + kRows - 1) * 1'000'000}));
  EXPECT_EQ(r[6], Value(0.5 * kRows * (kRows - 1) / 2));
  EXPECT_EQ(One("SELECT service FROM big WHERE id = 7"), Value(std::string("svc-7\t\n\\")));
}

TEST_F(ClickHouseStoreTest, MaxRowsAcrossBlocks) {
  auto rows =
      store_->Query("SELECT number FROM system.numbers LIMIT 200000", {}, {.max_rows = 70000});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->rows.size(), 70000u);
  EXPECT_TRUE(rows->truncated);
  EXPECT_EQ(rows->rows.back()[0], Value(int64_t{69999}));
  auto exact = store_->Query("SELECT number FROM numbers(10)", {}, {.max_rows = 10});
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->rows.size(), 10u);
  EXPECT_FALSE(exact->truncated);
}

TEST_F(ClickHouseStoreTest, TimeoutIsDeadlineExceededAndTheQueryIsKilled) {
  auto start = std::chrono::steady_clock::now();
  auto rows =
      store_->Query("SELECT count() FROM system.numbers WHERE number = 1", {}, {.timeout = 300ms});
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kDeadlineExceeded) << rows.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
  // The server is not left running it.
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = One("SELECT count() FROM system.processes WHERE query LIKE '%system.numbers WHERE "
               "number = 1%' AND query NOT LIKE '%processes%'") == Value(int64_t{0});
    if (!gone) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(gone);
  EXPECT_TRUE(store_->Query("SELECT 1").ok());
}

TEST_F(ClickHouseStoreTest, ErrorsMapToCodesThatFit) {
  auto missing = store_->Query("SELECT * FROM nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
  EXPECT_NE(missing.status().message().find("code 60"), std::string::npos);
  auto syntax = store_->Query("SELEC 1");
  EXPECT_EQ(syntax.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(syntax.status().message().find("SELEC 1"), std::string::npos);
  EXPECT_EQ(store_->Query("SELECT nocolumn FROM system.one").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Query("SELECT 1; SELECT 2").status().code(), StatusCode::kInvalidArgument);
  Exec("CREATE TABLE t (k String) ENGINE = TinyLog");
  EXPECT_EQ(store_->Execute("CREATE TABLE t (k String) ENGINE = TinyLog").code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->Append({"nope", {"k"}, {{std::string("x")}}}).code(), StatusCode::kNotFound);
  Status no_column = store_->Append({"t", {"zzz"}, {{std::string("x")}}});
  EXPECT_EQ(no_column.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_column.message().find("zzz"), std::string::npos);
  Status width = store_->Append({"t", {"k"}, {{std::string("x"), int64_t{1}}}});
  EXPECT_NE(width.message().find("row 0 has 2 values for 1 columns"), std::string::npos);
  Status null = store_->Append({"t", {"k"}, {{std::monostate{}}}});
  EXPECT_EQ(null.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(null.message().find("not Nullable"), std::string::npos) << null.message();
  EXPECT_EQ(One("SELECT count() FROM t"), Value(int64_t{0}));  // nothing half-written
}

TEST_F(ClickHouseStoreTest, UnreachableServerIsUnavailableWithoutThePassword) {
  int port = FreePort();  // nothing listens there
  auto store = OpenStore("clickhouse://127.0.0.1:" + std::to_string(port) +
                         "/db?user=coral&password=hunter2-secret");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(store.status().message().find("127.0.0.1:" + std::to_string(port)), std::string::npos);
  EXPECT_NE(store.status().message().find("clickhouse-server"), std::string::npos);
  EXPECT_EQ(store.status().message().find("hunter2"), std::string::npos)
      << store.status().message();
}

TEST_F(ClickHouseStoreTest, PasswordsAuthenticateAndNeverShow) {
  auto good = OpenStore(server_->UrlWithPassword("authdb", server_->password()));
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  // 18.16 has no currentUser(): find this very query in system.processes.
  auto user = (*good)->Query("SELECT user FROM system.processes WHERE query LIKE '%coral-whoami%'");
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_EQ(user->rows[0][0], Value(std::string("coral")));
  auto failing = (*good)->Query("SELECT * FROM nope");
  EXPECT_EQ(failing.status().message().find(server_->password()), std::string::npos);
  auto bad = OpenStore(server_->UrlWithPassword("authdb", "wrong-%27pass"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kPermissionDenied) << bad.status().ToString();
  EXPECT_EQ(bad.status().message().find("wrong"), std::string::npos) << bad.status().message();
}

TEST_F(ClickHouseStoreTest, BadUrlsExplainTheFormat) {
  for (const char* url :
       {"clickhouse://", "clickhouse://:8123/db", "clickhouse://h:0/db", "clickhouse://h:x/db",
        "clickhouse://h:8123/bad-name", "clickhouse://h:8123/db?color=blue"}) {
    auto store = OpenStore(url);
    EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_NE(store.status().message().find("clickhouse://host:port/db"), std::string::npos);
  }
}

TEST_F(ClickHouseStoreTest, TransactionIsNotAtomic) {
  Exec("CREATE TABLE t (i Int64) ENGINE = MergeTree() ORDER BY i");
  Status s = store_->Transaction([](Store& txn) -> Status {
    CORAL_TRY(txn.Append({"t", {"i"}, {{int64_t{1}}, {int64_t{2}}}}));
    return Internal("simulated failure after writing");
  });
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  // As documented: the rows written before the failure stay.
  EXPECT_EQ(One("SELECT count() FROM t"), Value(int64_t{2}));
}

TEST_F(ClickHouseStoreTest, ColumnsAddedLaterAreSeenByAppend) {
  Exec("CREATE TABLE t (i Int64) ENGINE = MergeTree() ORDER BY i");
  ASSERT_TRUE(store_->Append({"t", {"i"}, {{int64_t{1}}}}).ok());
  // Through another store, so this one's cache is stale.
  auto other = OpenStore(url_);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->Execute("ALTER TABLE t ADD COLUMN s String").ok());
  Status s = store_->Append({"t", {"i", "s"}, {{int64_t{2}, std::string("new")}}});
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(One("SELECT s FROM t WHERE i = 2"), Value(std::string("new")));
}

TEST_F(ClickHouseStoreTest, ConcurrentWritersAndReaders) {
  Exec("CREATE TABLE ev (worker Int64, n Int64) ENGINE = MergeTree() ORDER BY (worker, n)");
  constexpr int kWorkers = 4, kBatches = 10, kRows = 250;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWorkers; ++w) {
    threads.emplace_back([&, w] {
      for (int b = 0; b < kBatches; ++b) {
        Batch batch{"ev", {"worker", "n"}, {}};
        for (int r = 0; r < kRows; ++r) batch.rows.push_back({int64_t{w}, int64_t{b * kRows + r}});
        if (!store_->Append(batch).ok()) ++failures;
        if (!store_->Query("SELECT count() FROM ev").ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(One("SELECT count() FROM ev"), Value(int64_t{kWorkers * kBatches * kRows}));
}

}  // namespace
}  // namespace coral::storage

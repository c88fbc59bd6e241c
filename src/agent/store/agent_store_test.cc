#include "agent/store/agent_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "agent/store/agent_schema.h"
#include "base/files.h"
#include "base/ids.h"
#include "base/temp_dir.h"

namespace coral::agent {
namespace {

using storage::Value;

class AgentStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { url_ = "duckdb://" + (dir_ / "agent.duckdb").string(); }

  static std::vector<std::vector<Value>> Metrics(int n, double base = 0) {
    std::vector<std::vector<Value>> rows;
    for (int i = 0; i < n; ++i) {
      rows.push_back(
          {std::string("cpu.percent"), std::string("cpu" + std::to_string(i % 4)), base + i});
    }
    return rows;
  }
  // n host_metrics rows column by column, for the staged path.
  static storage::ColumnBatch MetricColumns(int n, double base = 0) {
    static const char* kResources[] = {"cpu0", "cpu1", "cpu2", "cpu3"};
    storage::ColumnBatch b{kHostMetricsTable, {}};
    b.columns.reserve(3);
    auto& name = b.columns.emplace_back("name", storage::ColumnType::kString);
    auto& resource = b.columns.emplace_back("resource", storage::ColumnType::kString);
    auto& value = b.columns.emplace_back("value", storage::ColumnType::kDouble);
    for (int i = 0; i < n; ++i) {
      name.AddString("cpu.percent");
      resource.AddString(kResources[i % 4]);
      value.AddDouble(base + i);
    }
    return b;
  }
  StagingOptions Staging(size_t flush_rows = 100'000,
                         Duration flush_after = std::chrono::hours(1)) const {
    return {.journal_dir = dir_ / "journal",
            .tables = {kHostMetricsTable},
            .flush_rows = flush_rows,
            .flush_after = flush_after};
  }
  // Rows in DuckDB itself, not counting any staged ones.
  static int64_t Stored(AgentStore& store, const std::string& what = "count(*)") {
    auto rows = store.store().Query("SELECT " + what + " FROM host_metrics");
    return std::get<int64_t>(rows->rows[0][0]);
  }
  // Waits (at most 10 s) until DuckDB holds n rows.
  static bool WaitStored(AgentStore& store, int64_t n) {
    for (int i = 0; i < 1000 && Stored(store) != n; ++i) ::usleep(10'000);
    return Stored(store) == n;
  }
  const std::vector<std::string> kCols = {"name", "resource", "value"};
  TempDir dir_{"coral-agent-store"};
  std::string url_;
};

TEST_F(AgentStoreTest, AppendAssignsIncreasingSeqAndReadPages) {
  FakeClock clock;
  auto store = AgentStore::Open(url_, clock);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_TRUE((*store)->Append(kHostMetricsTable, kCols, Metrics(5)).ok());
  ASSERT_TRUE((*store)->Append(kHostMetricsTable, kCols, Metrics(3, 100)).ok());
  EXPECT_EQ((*store)->LastSeq(kHostMetricsTable), 8);
  EXPECT_EQ((*store)->LastSeq(kProcessesTable), 0);

  auto page = (*store)->Read(kHostMetricsTable, 0, 6);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->rows.size(), 6u);
  EXPECT_TRUE(page->more);
  EXPECT_EQ(page->next_seq, 6);
  EXPECT_EQ(page->columns[0].name, "seq");
  EXPECT_EQ(page->columns[1].name, "ts");
  EXPECT_EQ(page->rows[0][0], Value(int64_t{1}));
  EXPECT_EQ(page->rows[0][1], Value(storage::Timestamp{ToUnixMicros(clock.Now())}));
  auto rest = (*store)->Read(kHostMetricsTable, page->next_seq, 6);
  ASSERT_EQ(rest->rows.size(), 2u);
  EXPECT_FALSE(rest->more);
  EXPECT_EQ(rest->rows[1][4], Value(102.0));
  auto none = (*store)->Read(kHostMetricsTable, 8, 6);
  EXPECT_TRUE(none->rows.empty());
  EXPECT_EQ(none->next_seq, 8);
}

// A backlog of wide spans, larger than the store's memory ceiling: every
// page still reads (ORDER BY seq LIMIT n over the table made DuckDB sort it,
// out of memory at 60,000 spans under 16 MB as at 300,000 under the agent's
// 64 MB, so pulls failed on every cycle until the agent restarted).
TEST_F(AgentStoreTest, PagesThroughABacklogLargerThanTheMemoryCeiling) {
  auto store = *AgentStore::Open(url_ + "?threads=1&memory_limit=16MB");
  ASSERT_TRUE(store->store()
                  .Execute("INSERT INTO spans (seq, ts, trace_id, name, attributes) "
                           "SELECT i, now()::TIMESTAMP, md5(i::VARCHAR), 'GET /orders', "
                           "repeat(md5(i::VARCHAR), 12) FROM range(1, 60001) t(i); "
                           // In the file, as the agent writes spans: whole row groups.
                           "CHECKPOINT")
                  .ok());
  int64_t after = 0, rows = 0;
  for (int pages = 0; pages < 100; ++pages) {
    auto page = store->Read(kSpansTable, after, 5000);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    rows += static_cast<int64_t>(page->rows.size());
    after = page->next_seq;
    if (!page->more) break;
  }
  EXPECT_EQ(rows, 60'000);
  EXPECT_EQ(after, 60'000);
}

// Pages hold about kPageBytes whatever the row count asked for, and at least
// one row, however large.
TEST_F(AgentStoreTest, PagesStopAtTheByteBudget) {
  auto store = *AgentStore::Open(url_);
  std::vector<std::vector<Value>> big;
  for (int i = 0; i < 6; ++i) {
    big.push_back({std::string(1 << 20, 'a' + i), std::string("cpu0"), double(i)});
  }
  ASSERT_TRUE(store->Append(kHostMetricsTable, kCols, big).ok());
  auto page = store->Read(kHostMetricsTable, 0, 100);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->rows.size(), 2u);  // the second reaches 2 MiB
  EXPECT_TRUE(page->more);
  EXPECT_EQ(page->next_seq, 2);
  auto rest = store->Read(kHostMetricsTable, 4, 100);
  EXPECT_EQ(rest->rows.size(), 2u);
  EXPECT_FALSE(rest->more);
}

// Rows missing inside the range (retention by a clock that went back) do not
// stop a reader: an empty page still moves on, and says more follow.
TEST_F(AgentStoreTest, GapsInTheSequenceAreSteppedOver) {
  auto store = *AgentStore::Open(url_);
  ASSERT_TRUE(store->Append(kHostMetricsTable, kCols, Metrics(30)).ok());
  ASSERT_TRUE(store->store().Execute("DELETE FROM host_metrics WHERE seq BETWEEN 3 AND 20").ok());
  std::vector<int64_t> seen;
  int64_t after = 0;
  for (int pages = 0; pages < 20; ++pages) {
    auto page = store->Read(kHostMetricsTable, after, 5);
    ASSERT_TRUE(page.ok());
    for (const auto& row : page->rows) seen.push_back(std::get<int64_t>(row[0]));
    ASSERT_GT(page->next_seq, after) << "stuck at " << after;
    after = page->next_seq;
    if (!page->more) break;
  }
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30}));
}

TEST_F(AgentStoreTest, RejectsUnknownTablesAndBadLimits) {
  auto store = *AgentStore::Open(url_);
  EXPECT_EQ(store->Append("nope", kCols, Metrics(1)).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->Read("processes; DROP TABLE x", 0, 10).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store->Read(kHostMetricsTable, 0, 0).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(AgentStoreTest, SequencesSurviveRetentionEmptyingATableAndReopen) {
  FakeClock clock;
  {
    auto store = *AgentStore::Open(url_, clock);
    ASSERT_TRUE(store->Append(kHostMetricsTable, kCols, Metrics(10)).ok());
    clock.Advance(std::chrono::hours(2));
    auto pruned = store->Prune(std::chrono::hours(1), int64_t{1} << 40);
    ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
    EXPECT_EQ(pruned->rows_by_age, 10);
    EXPECT_TRUE(store->Read(kHostMetricsTable, 0, 100)->rows.empty());
  }
  auto store = *AgentStore::Open(url_, clock);
  ASSERT_TRUE(store->Append(kHostMetricsTable, kCols, Metrics(1)).ok());
  auto page = store->Read(kHostMetricsTable, 0, 100);
  ASSERT_EQ(page->rows.size(), 1u);
  EXPECT_EQ(page->rows[0][0], Value(int64_t{11}));  // never reused
  EXPECT_EQ(page->oldest_seq, 11);
}

TEST_F(AgentStoreTest, RetentionKeepsRecentRows) {
  FakeClock clock;
  auto store = *AgentStore::Open(url_, clock);
  ASSERT_TRUE(store->Append(kHostMetricsTable, kCols, Metrics(4)).ok());
  clock.Advance(std::chrono::minutes(50));
  ASSERT_TRUE(store->Append(kHostMetricsTable, kCols, Metrics(2)).ok());
  clock.Advance(std::chrono::minutes(20));  // first batch is 70 min old, second 20 min
  auto pruned = store->Prune(std::chrono::hours(1), int64_t{1} << 40);
  EXPECT_EQ(pruned->rows_by_age, 4);
  auto page = store->Read(kHostMetricsTable, 0, 100);
  EXPECT_EQ(page->rows.size(), 2u);
  EXPECT_EQ(page->oldest_seq, 5);
}

TEST_F(AgentStoreTest, DiskCapPrunesOldestRowsEarly) {
  auto store = *AgentStore::Open(url_);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(store->Append(kHostMetricsTable, kCols, Metrics(20'000, i * 1e6)).ok());
  }
  ASSERT_TRUE(store->store().Execute("CHECKPOINT").ok());
  int64_t before = *store->UsedBytes();
  ASSERT_GT(before, 1 << 20);
  auto pruned = store->Prune(std::chrono::hours(1), before / 2);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->rows_by_age, 0);
  EXPECT_GT(pruned->rows_by_size, 0);
  auto page = store->Read(kHostMetricsTable, 0, 1);
  EXPECT_GT(page->oldest_seq, 1);  // the oldest went first
  EXPECT_EQ(store->LastSeq(kHostMetricsTable), 400'000);
}

TEST_F(AgentStoreTest, JournaledRowsCountTowardTheDiskCap) {
  auto store = *AgentStore::Open(url_, SystemClock::Get(), Staging());
  int64_t before = *store->UsedBytes();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->StageColumns(MetricColumns(20'000, i)).ok());
  EXPECT_EQ(Stored(*store), 0);  // journaled, not in DuckDB
  int64_t journal = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir_ / "journal")) {
    journal += static_cast<int64_t>(f.file_size());
  }
  ASSERT_GT(journal, 1 << 20);
  EXPECT_GE(*store->UsedBytes(), before + journal);
}

TEST_F(AgentStoreTest, KillNineThenReopenKeepsRowsAndSequence) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = AgentStore::Open(url_);
    if (!store.ok()) ::_exit(3);
    for (int i = 0; i < 3; ++i) {
      if (!(*store)->Append(kHostMetricsTable, kCols, Metrics(100)).ok()) ::_exit(4);
    }
    ::raise(SIGKILL);  // no destructors, no checkpoint
    ::_exit(5);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  auto store = AgentStore::Open(url_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->LastSeq(kHostMetricsTable), 300);
  ASSERT_TRUE((*store)->Append(kHostMetricsTable, kCols, Metrics(1)).ok());
  auto page = (*store)->Read(kHostMetricsTable, 299, 10);
  ASSERT_EQ(page->rows.size(), 2u);
  EXPECT_EQ(page->rows[1][0], Value(int64_t{301}));
}

TEST_F(AgentStoreTest, StagedRowsGetTheirSeqAtOnceAndAReaderSeesThemAll) {
  auto store = AgentStore::Open(url_, SystemClock::Get(), Staging());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*store)->StageColumns(MetricColumns(100, i)).ok());
  EXPECT_EQ((*store)->LastSeq(kHostMetricsTable), 300);
  EXPECT_EQ(Stored(**store), 0);  // journaled and held, not yet in DuckDB
  auto page = (*store)->Read(kHostMetricsTable, 0, 1000);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->rows.size(), 300u);
  EXPECT_EQ(page->rows.front()[0], Value(int64_t{1}));
  EXPECT_EQ(page->rows.back()[0], Value(int64_t{300}));
  EXPECT_EQ(page->rows[100][3], Value(std::string("cpu0")));
  EXPECT_EQ(page->rows[100][4], Value(1.0));
  EXPECT_EQ(Stored(**store, "count(DISTINCT seq)"), 300);
  // A staged table is written only through StageColumns, so its sequences
  // commit in order.
  EXPECT_EQ((*store)->Append(kHostMetricsTable, kCols, Metrics(1)).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ((*store)->AppendColumns(MetricColumns(1)).code(), StatusCode::kInvalidArgument);
  // Other tables are not staged.
  ASSERT_TRUE((*store)->Append(kProcessesTable, {"name"}, {{std::string("sh")}}).ok());
}

TEST_F(AgentStoreTest, StagedRowsAreWrittenOnceEnoughWaitOrTheOldestWaitedLongEnough) {
  {
    auto store = *AgentStore::Open(url_, SystemClock::Get(), Staging(100));
    ASSERT_TRUE(store->StageColumns(MetricColumns(60)).ok());
    ::usleep(100'000);
    EXPECT_EQ(Stored(*store), 0);
    ASSERT_TRUE(store->StageColumns(MetricColumns(60)).ok());  // 120 >= 100
    // A whole group of 100 goes; the other 20 wait for more, or for age.
    EXPECT_TRUE(WaitStored(*store, 100));
    EXPECT_EQ(Stored(*store, "max(seq)"), 100);
    ::usleep(100'000);
    EXPECT_EQ(Stored(*store), 100);
    ASSERT_TRUE(store->StageColumns(MetricColumns(90)).ok());  // 110
    EXPECT_TRUE(WaitStored(*store, 200));
    auto page = store->Read(kHostMetricsTable, 190, 100);  // a reader flushes the rest
    ASSERT_TRUE(page.ok());
    EXPECT_EQ(page->rows.size(), 20u);
    EXPECT_EQ(Stored(*store), 210);
  }
  auto store =
      *AgentStore::Open(url_, SystemClock::Get(), Staging(100'000, std::chrono::milliseconds(50)));
  ASSERT_TRUE(store->StageColumns(MetricColumns(7)).ok());
  EXPECT_TRUE(WaitStored(*store, 217));
  EXPECT_EQ(store->LastSeq(kHostMetricsTable), 217);
}

TEST_F(AgentStoreTest, KillNineReplaysJournaledRowsExactlyOnce) {
  std::filesystem::path saved = dir_ / "saved";
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = AgentStore::Open(url_, SystemClock::Get(), Staging());
    if (!store.ok()) ::_exit(3);
    if (!(*store)->StageColumns(MetricColumns(100)).ok()) ::_exit(4);
    // Keep the journal as it is now: rows 1..100, not yet in DuckDB.
    std::filesystem::copy(dir_ / "journal", saved);
    if (!(*store)->Flush().ok()) ::_exit(5);
    if (!(*store)->StageColumns(MetricColumns(100, 100)).ok()) ::_exit(6);
    ::raise(SIGKILL);  // 101..200 only in the journal
    ::_exit(7);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  // As if the crash came after DuckDB stored 1..100 but before their segment
  // was deleted: the journal holds rows the store already has.
  for (const auto& entry : std::filesystem::directory_iterator(saved)) {
    std::filesystem::copy(entry.path(), dir_ / "journal" / entry.path().filename());
  }
  auto store = AgentStore::Open(url_, SystemClock::Get(), Staging());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(Stored(**store), 200);
  EXPECT_EQ(Stored(**store, "count(DISTINCT seq)"), 200);
  EXPECT_EQ(Stored(**store, "max(seq)"), 200);
  EXPECT_EQ(Stored(**store, "sum(value)::BIGINT"), 199 * 200 / 2);
  EXPECT_EQ((*store)->LastSeq(kHostMetricsTable), 200);
  ASSERT_TRUE((*store)->StageColumns(MetricColumns(1)).ok());
  EXPECT_EQ((*store)->LastSeq(kHostMetricsTable), 201);
  // The replayed segments are gone: a second start replays nothing.
  store->reset();
  store = AgentStore::Open(url_, SystemClock::Get(), Staging());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(Stored(**store), 201);
}

TEST_F(AgentStoreTest, RowsStoredStayStoredWhenTheirSegmentCannotBeRemovedYet) {
  auto store = *AgentStore::Open(url_, SystemClock::Get(), Staging());
  // A non-empty folder that sorts before every segment makes removing the
  // stored segments fail (even for root) until it is gone.
  std::filesystem::path blocker = dir_ / "journal" / "staged.00000000.journal";
  std::filesystem::create_directories(blocker / "x");
  ASSERT_TRUE(store->StageColumns(MetricColumns(100)).ok());
  Status flushed = store->Flush();
  EXPECT_TRUE(flushed.ok()) << flushed.ToString();  // the rows are in DuckDB
  EXPECT_EQ(Stored(*store), 100);
  ASSERT_TRUE(store->StageColumns(MetricColumns(100, 100)).ok());
  auto page = store->Read(kHostMetricsTable, 0, 1000);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->rows.size(), 200u);
  EXPECT_EQ(Stored(*store, "count(DISTINCT seq)"), 200);
  // Once removal works again, the next flush takes every stored segment.
  std::filesystem::remove_all(blocker);
  ASSERT_TRUE(store->StageColumns(MetricColumns(1, 200)).ok());
  ASSERT_TRUE(store->Flush().ok());
  size_t segments = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "journal")) {
    segments += entry.path().extension() == ".journal";
  }
  EXPECT_EQ(segments, 1u);  // the one being written
  store.reset();
  store = *AgentStore::Open(url_, SystemClock::Get(), Staging());
  EXPECT_EQ(Stored(*store), 201);
  EXPECT_EQ(Stored(*store, "count(DISTINCT seq)"), 201);
}

TEST_F(AgentStoreTest, UpgradingKeepsSpansAndGivesTheirColumnsFixedCompression) {
  {
    auto old = *storage::OpenStore(url_);
    ASSERT_TRUE(old->Migrate(AgentMigrations().first(3)).ok());
    ASSERT_TRUE(
        old->Execute("INSERT INTO spans (seq, ts, trace_id, name, duration_ns) "
                     "SELECT i, now(), md5((i % 3)::VARCHAR), 'GET /' || md5(i::VARCHAR), i "
                     "FROM range(1, 5001) t(i)")
            .ok());
  }
  auto store = *AgentStore::Open(url_, SystemClock::Get(), Staging());
  EXPECT_EQ(store->LastSeq(kSpansTable), 5000);
  auto rows = store->store().Query(
      "SELECT count(*), sum(duration_ns)::BIGINT, count(DISTINCT trace_id), "
      "count(DISTINCT name) FROM spans");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(rows->rows[0], (std::vector<Value>{int64_t{5000}, int64_t{5000 * 5001 / 2}, int64_t{3},
                                               int64_t{5000}}));
  ASSERT_TRUE(store->store().Execute("CHECKPOINT").ok());
  // Left to itself DuckDB would pick the other method for each: a dictionary
  // for three trace ids, FSST for names that are all different.
  auto methods = store->store().Query(
      "SELECT column_name, string_agg(DISTINCT compression, ',') FROM pragma_storage_info('spans') "
      "WHERE column_name IN ('trace_id', 'name') AND segment_type = 'VARCHAR' GROUP BY ALL "
      "ORDER BY 1");
  ASSERT_TRUE(methods.ok()) << methods.status().ToString();
  ASSERT_EQ(methods->rows.size(), 2u);
  EXPECT_EQ(methods->rows[0][1], Value(std::string("Dictionary")));  // name
  EXPECT_EQ(methods->rows[1][1], Value(std::string("FSST")));        // trace_id
}

}  // namespace
}  // namespace coral::agent

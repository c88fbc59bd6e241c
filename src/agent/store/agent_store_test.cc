#include "agent/store/agent_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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

}  // namespace
}  // namespace coral::agent

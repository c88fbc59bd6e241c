#include "colony/poller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "analysis/telemetry_schema.h"
#include "analysis/test_store.h"
#include "base/temp_dir.h"

namespace coral::colony {

using analysis::ColonyStoreTest;
namespace {

using namespace std::chrono_literals;

// Serves pages of rows the way an agent's QueryTable does (seq order, `more`,
// `oldest_seq`), from rows the test puts in, with failures on request.
class TestAgent : public AgentSource {
 public:
  // Adds n span rows with seqs after the last one.
  void AddSpans(int n) {
    std::lock_guard lock(mu_);
    for (int i = 0; i < n; ++i) {
      int64_t seq = ++last_seq_["spans"];
      coral::v1::Row row;
      row.add_values()->set_int_value(seq);                                 // seq
      row.add_values()->set_timestamp_micros(1'700'000'000'000'000 + seq);  // ts
      row.add_values()->set_string_value("trace-" + std::to_string(seq));   // trace_id
      row.add_values();                                                     // parent_span_id: NULL
      row.add_values()->set_timestamp_micros(1'700'000'000'000'000);        // start_time
      row.add_values()->set_bool_value(seq % 2 == 0);                       // from_the_future
      rows_["spans"].push_back(std::move(row));
    }
  }
  // Adds a span row whose start_time is text, as no agent sends it.
  void AddSpanWithTextTime() {
    std::lock_guard lock(mu_);
    int64_t seq = ++last_seq_["spans"];
    coral::v1::Row row;
    row.add_values()->set_int_value(seq);
    row.add_values()->set_timestamp_micros(1'700'000'000'000'000 + seq);
    row.add_values()->set_string_value("trace-" + std::to_string(seq));
    row.add_values();
    row.add_values()->set_string_value("yesterday");  // start_time
    row.add_values()->set_bool_value(false);
    rows_["spans"].push_back(std::move(row));
  }
  void Prune(const std::string& table, int64_t upto) {
    std::lock_guard lock(mu_);
    auto& rows = rows_[table];
    std::erase_if(rows, [&](const coral::v1::Row& r) { return r.values(0).int_value() <= upto; });
  }
  void FailNext(int calls) { fail_ = calls; }
  void Block() { blocked_ = true; }
  void Unblock() {
    {
      std::lock_guard lock(mu_);
      blocked_ = false;
    }
    cv_.notify_all();
  }
  int calls() const { return calls_; }

  Result<coral::v1::QueryTableResponse> Pull(const PollTarget&, const std::string& table,
                                             int64_t after_seq, int limit) override {
    ++calls_;
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return !blocked_; });
    if (fail_ > 0) {
      --fail_;
      return Unavailable("agent unreachable (test)");
    }
    coral::v1::QueryTableResponse out;
    out.set_table(table);
    // A newer agent may send a column the colony does not know: it is left out.
    for (const char* c :
         {"seq", "ts", "trace_id", "parent_span_id", "start_time", "from_the_future"}) {
      out.add_columns(c);
    }
    const auto& rows = rows_[table];
    out.set_oldest_seq(rows.empty() ? 0 : rows.front().values(0).int_value());
    int n = 0;
    for (const auto& r : rows) {
      if (r.values(0).int_value() <= after_seq) continue;
      if (n == limit) {
        out.set_more(true);
        break;
      }
      *out.add_rows() = r;
      ++n;
    }
    out.set_next_seq(n == 0 ? after_seq : out.rows(n - 1).values(0).int_value());
    return out;
  }

 private:
  std::mutex mu_;  // guards rows_, last_seq_
  std::condition_variable cv_;
  std::map<std::string, std::vector<coral::v1::Row>> rows_;
  std::map<std::string, int64_t> last_seq_;
  std::atomic<int> fail_{0};
  std::atomic<bool> blocked_{false};
  std::atomic<int> calls_{0};
};

// Every test runs on both backends the colony can use.
class PollerTest : public ColonyStoreTest {
 protected:
  int64_t Count(const std::string& sql) {
    auto rows = store_->Query(sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? std::get<int64_t>(rows->rows[0][0]) : -1;
  }

  PollerOptions options_{.batch_rows = 1000, .max_batches_per_table = 3};
};

TEST_P(PollerTest, EveryRowLandsExactlyOnceAcrossRoundsFailuresAndRestarts) {
  TestAgent agent;
  agent.AddSpans(7'500);
  PollTarget target{"agent-a", "unused"};
  {
    Poller poller(*store_, agent, options_);
    ASSERT_TRUE(poller.PollAgent(target).ok());  // bounded: 3 batches of 1000
    EXPECT_EQ(Count("SELECT count(*) FROM spans"), 3'000);
    agent.FailNext(1);
    EXPECT_FALSE(poller.PollAgent(target).ok());
    EXPECT_EQ(poller.Stats()["agent-a"].last_error, "agent unreachable (test)");
    ASSERT_TRUE(poller.PollAgent(target).ok());
    EXPECT_EQ(Count("SELECT count(*) FROM spans"), 6'000);
  }
  // A colony restart: a new poller finds its checkpoint in the store.
  agent.AddSpans(500);
  Poller restarted(*store_, agent, options_);
  ASSERT_TRUE(restarted.PollAgent(target).ok());
  ASSERT_TRUE(restarted.PollAgent(target).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM spans"), 8'000);
  EXPECT_EQ(Count("SELECT count(DISTINCT seq) FROM spans"), 8'000);
  EXPECT_EQ(Count("SELECT max(seq) FROM spans"), 8'000);
  EXPECT_EQ(restarted.Stats()["agent-a"].rows_pulled, 2'000);
  // Times became microseconds, booleans 0/1, NULL stayed NULL, the unknown
  // column was left out.
  auto row = store_->Query(
      "SELECT agent_id, ts_us, start_time_us, parent_span_id, trace_id FROM spans WHERE seq = 42");
  ASSERT_TRUE(row.ok());
  ASSERT_EQ(row->rows.size(), 1u);
  EXPECT_EQ(std::get<std::string>(row->rows[0][0]), "agent-a");
  EXPECT_EQ(std::get<int64_t>(row->rows[0][1]), 1'700'000'000'000'042);
  EXPECT_EQ(std::get<int64_t>(row->rows[0][2]), 1'700'000'000'000'000);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(row->rows[0][3]));
  EXPECT_EQ(std::get<std::string>(row->rows[0][4]), "trace-42");
}

TEST_P(PollerTest, RowsTheAgentPrunedFirstAreCountedAsLost) {
  TestAgent agent;
  agent.AddSpans(100);
  Poller poller(*store_, agent, options_);
  PollTarget target{"agent-a", "unused"};
  ASSERT_TRUE(poller.PollAgent(target).ok());
  agent.AddSpans(100);  // seqs 101..200
  agent.Prune("spans", 150);
  ASSERT_TRUE(poller.PollAgent(target).ok());
  EXPECT_EQ(poller.Stats()["agent-a"].rows_lost, 50);
  EXPECT_EQ(Count("SELECT count(*) FROM spans"), 150);
}

// Failing pulls are counted, from the first of a streak, until one works:
// what the colony shows as the agent's pull state and a finding.
TEST_P(PollerTest, FailingPullsAreCountedUntilOneWorks) {
  TestAgent agent;
  agent.AddSpans(10);
  FakeClock clock(FromUnixMicros(1'700'000'000'000'000));
  Poller poller(*store_, agent, options_, nullptr, clock);
  PollTarget target{"agent-a", "unused"};
  agent.FailNext(1);
  EXPECT_FALSE(poller.PollAgent(target).ok());
  WallTime first = clock.Now();
  clock.Advance(std::chrono::seconds(15));
  agent.FailNext(1);
  EXPECT_FALSE(poller.PollAgent(target).ok());
  AgentPollStats failing = poller.Stats()["agent-a"];
  EXPECT_EQ(failing.failures, 2);
  EXPECT_EQ(failing.failing_since, first);
  ASSERT_TRUE(poller.PollAgent(target).ok());
  EXPECT_EQ(poller.Stats()["agent-a"].failures, 0);
  EXPECT_EQ(poller.Stats()["agent-a"].failing_since, WallTime{});
}

// An agent pages by ranges of sequences: a range it no longer holds rows in
// comes back empty, saying more follow and where to go on from.
class GapAgent : public AgentSource {
 public:
  Result<coral::v1::QueryTableResponse> Pull(const PollTarget&, const std::string& table,
                                             int64_t after_seq, int) override {
    coral::v1::QueryTableResponse out;
    out.set_table(table);
    out.add_columns("seq");
    out.add_columns("ts");
    if (table != "spans") return out;
    out.set_oldest_seq(1);
    out.set_next_seq(after_seq);
    auto add = [&](int64_t seq) {
      auto* row = out.add_rows();
      row->add_values()->set_int_value(seq);
      row->add_values()->set_timestamp_micros(1'700'000'000'000'000 + seq);
      out.set_next_seq(seq);
    };
    if (after_seq == 0) {
      add(1);
      out.set_more(true);
    } else if (after_seq < 100) {  // rows 2..100 are gone
      out.set_next_seq(100);
      out.set_more(true);
    } else if (after_seq == 100) {
      add(101);
    }
    return out;
  }
};

TEST_P(PollerTest, AnEmptyPageWithMoreAfterItIsSteppedOver) {
  GapAgent agent;
  Poller poller(*store_, agent, options_);
  ASSERT_TRUE(poller.PollAgent({"agent-a", "unused"}).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM spans"), 2);
  EXPECT_EQ(Count("SELECT max(seq) FROM spans"), 101);
}

TEST_P(PollerTest, AgentsAreKeptApart) {
  TestAgent a, b;
  a.AddSpans(10);
  b.AddSpans(20);
  Poller poller(*store_, a, options_);
  Poller other(*store_, b, options_);
  ASSERT_TRUE(poller.PollAgent({"agent-a", ""}).ok());
  ASSERT_TRUE(other.PollAgent({"agent-b", ""}).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM spans WHERE agent_id = 'agent-a'"), 10);
  EXPECT_EQ(Count("SELECT count(*) FROM spans WHERE agent_id = 'agent-b'"), 20);
}

TEST_P(PollerTest, ACellOfTheWrongKindIsRefusedWithItsColumnAndNothingOfThePageLands) {
  TestAgent agent;
  agent.AddSpans(3);
  agent.AddSpanWithTextTime();
  Poller poller(*store_, agent, options_);
  Status s = poller.PollAgent({"agent-a", ""});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("spans.start_time as string_value"), std::string::npos) << s.message();
  EXPECT_EQ(Count("SELECT count(*) FROM spans"), 0);
}

// A store whose next transaction lands but is answered with an error, as
// when a connection drops after the server applied an insert.
class LandsButFails : public storage::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Status Transaction(const std::function<Status(Store&)>& body) override {
    CORAL_TRY(ForwardingStore::Transaction(body));
    if (fail_next_) {
      fail_next_ = false;
      return Unavailable("connection lost after the write (test)");
    }
    return Status::Ok();
  }
  bool fail_next_ = false;
};

TEST_P(PollerTest, AWriteAnsweredWithAnErrorIsReadBackNotPulledTwice) {
  TestAgent a, b;
  a.AddSpans(10);
  b.AddSpans(20);
  LandsButFails store(*store_);
  Poller poller(store, a, options_);
  Poller other(store, b, options_);
  ASSERT_TRUE(poller.PollAgent({"agent-a", ""}).ok());  // every checkpoint of spans now known
  store.fail_next_ = true;
  EXPECT_FALSE(other.PollAgent({"agent-b", ""}).ok());
  ASSERT_TRUE(other.PollAgent({"agent-b", ""}).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM spans WHERE agent_id = 'agent-b'"), 20);
  // Again for an agent whose checkpoint was known.
  store.fail_next_ = true;
  a.AddSpans(5);
  EXPECT_FALSE(poller.PollAgent({"agent-a", ""}).ok());
  ASSERT_TRUE(poller.PollAgent({"agent-a", ""}).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM spans WHERE agent_id = 'agent-a'"), 15);
  EXPECT_EQ(Count("SELECT count(DISTINCT seq) FROM spans WHERE agent_id = 'agent-a'"), 15);
}

// A store that records the rows of every append, and can refuse its next
// transaction outright (nothing lands).
class RecordingStore : public storage::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Status Transaction(const std::function<Status(Store&)>& body) override {
    if (refuse_next_) {
      refuse_next_ = false;
      return Unavailable("disk full (test)");
    }
    return ForwardingStore::Transaction([&](Store& txn) {
      Recorder recorder(txn, appends_);
      return body(recorder);
    });
  }
  std::vector<size_t> appends_;  // rows per AppendColumns
  bool refuse_next_ = false;

 private:
  class Recorder : public ForwardingStore {
   public:
    Recorder(Store& inner, std::vector<size_t>& appends)
        : ForwardingStore(inner), appends_(appends) {}
    Status AppendColumns(const storage::ColumnBatch& batch) override {
      appends_.push_back(batch.rows());
      return ForwardingStore::AppendColumns(batch);
    }

   private:
    std::vector<size_t>& appends_;
  };
};

TEST_P(PollerTest, FullChunksAreWrittenAtOnceAndTheRestWhenTheCycleIsOver) {
  TestAgent agent;
  agent.AddSpans(3'000);
  RecordingStore store(*store_);
  options_.flush_rows = 2'500;  // pages of 1000: the third fills a chunk
  Poller poller(store, agent, options_);
  ASSERT_TRUE(poller.PollAgent({"agent-a", ""}).ok());
  EXPECT_EQ(store.appends_, (std::vector<size_t>{2'500, 500}));
  EXPECT_EQ(Count("SELECT count(DISTINCT seq) FROM spans"), 3'000);
  EXPECT_EQ(poller.Stats()["agent-a"].rows_pulled, 3'000);
}

TEST_P(PollerTest, AFailedWriteDropsTheRowsStagedAfterItAndReadsTheCursorBack) {
  TestAgent agent;
  agent.AddSpans(1'000);
  RecordingStore store(*store_);
  options_.flush_rows = 600;  // the first page fills a chunk and starts the next
  Poller poller(store, agent, options_);
  store.refuse_next_ = true;
  Status s = poller.PollAgent({"agent-a", ""});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("disk full (test)"), std::string::npos) << s.message();
  EXPECT_EQ(poller.Stats()["agent-a"].last_error, s.message());
  // Rows 601..1000 were staged after the refused chunk: written alone they
  // would have moved the cursor past rows 1..600.
  EXPECT_EQ(Count("SELECT count(*) FROM spans"), 0);
  ASSERT_TRUE(poller.PollAgent({"agent-a", ""}).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM spans"), 1'000);
  EXPECT_EQ(Count("SELECT count(DISTINCT seq) FROM spans"), 1'000);
  EXPECT_EQ(poller.Stats()["agent-a"].rows_pulled, 1'000);
}

// Many agents at once: their rows are staged and written together, each row
// exactly once, every agent's checkpoint its own.
class ManyAgents : public AgentSource {
 public:
  explicit ManyAgents(int n) : agents(n) {}
  std::vector<TestAgent> agents;
  Result<coral::v1::QueryTableResponse> Pull(const PollTarget& t, const std::string& table,
                                             int64_t after, int limit) override {
    return agents.at(std::stoi(t.agent_id)).Pull(t, table, after, limit);
  }
};

TEST_P(PollerTest, AgentsPulledAtOnceLandExactlyOnce) {
  ManyAgents fleet(6);
  for (int i = 0; i < 6; ++i) fleet.agents[i].AddSpans(1'500 + 100 * i);
  fleet.agents[3].FailNext(2);  // one agent fails part-way; the others go on
  Poller poller(*store_, fleet, options_);
  for (int pass = 0; pass < 3; ++pass) {
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i) {
      threads.emplace_back([&, i] { (void)poller.PollAgent({std::to_string(i), ""}); });
    }
    for (auto& t : threads) t.join();
  }
  for (int i = 0; i < 6; ++i) {
    std::string agent = "agent_id = '" + std::to_string(i) + "'";
    EXPECT_EQ(Count("SELECT count(*) FROM spans WHERE " + agent), 1'500 + 100 * i) << i;
    EXPECT_EQ(Count("SELECT count(DISTINCT seq) FROM spans WHERE " + agent), 1'500 + 100 * i);
  }
}

// Two agents, one of which hangs: the other is pulled round after round.
class TwoAgents : public AgentSource {
 public:
  TestAgent slow, fast;
  Result<coral::v1::QueryTableResponse> Pull(const PollTarget& t, const std::string& table,
                                             int64_t after, int limit) override {
    return (t.agent_id == "slow" ? slow : fast).Pull(t, table, after, limit);
  }
};

TEST_P(PollerTest, AHangingAgentDoesNotStallTheOthers) {
  TwoAgents agents;
  agents.slow.AddSpans(5);
  agents.slow.Block();
  agents.fast.AddSpans(5);
  options_.interval = 100ms;
  options_.concurrency = 2;
  options_.flush_delay = 200ms;  // the hanging agent keeps the cycle open
  Poller poller(*store_, agents, options_);
  poller.Start([] { return std::vector<PollTarget>{{"slow", ""}, {"fast", ""}}; });
  auto fast_rows = [&] { return Count("SELECT count(*) FROM spans WHERE agent_id = 'fast'"); };
  auto wait_for = [&](int64_t n) {
    for (int i = 0; i < 300 && fast_rows() < n; ++i) std::this_thread::sleep_for(20ms);
    return fast_rows();
  };
  EXPECT_EQ(wait_for(5), 5);
  agents.fast.AddSpans(5);  // a later round picks these up while slow still hangs
  EXPECT_EQ(wait_for(10), 10);
  EXPECT_EQ(Count("SELECT count(*) FROM spans WHERE agent_id = 'slow'"), 0);
  agents.slow.Unblock();
  poller.Stop();
}

INSTANTIATE_TEST_SUITE_P(Backends, PollerTest, ::testing::Values("duckdb", "clickhouse"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace coral::colony

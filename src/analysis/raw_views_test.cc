#include "analysis/raw_views.h"

#include "analysis/test_store.h"

#include <gtest/gtest.h>

#include <functional>

#include "analysis/telemetry_schema.h"
#include "base/temp_dir.h"
#include "storage/clickhouse/clickhouse_test_server.h"

namespace coral::analysis {
namespace {

using namespace std::chrono_literals;
using storage::Value;
using Rows = std::vector<std::vector<Value>>;

const Value kNull = std::monostate{};
const WallTime kNow = WallTime(std::chrono::seconds(1'700'000'000));
const int64_t kNowUs = ToUnixMicros(kNow);

// 32 and 16 hex digits from a short tag, for readable fixtures.
std::string TraceId(char c) { return std::string(32, c); }
std::string SpanId(const std::string& tag) { return tag + std::string(16 - tag.size(), '0'); }

struct SpanRow {
  std::string agent;
  char trace;
  std::string span;
  std::string parent;  // empty: a root
  std::string service;
  std::string name;
  std::string kind;
  int64_t start_us;
  int64_t duration_us;
  std::string status = "unset";
};

// The fixture, relative to kNow:
//   trace a: frontend GET /checkout 10 s ago, 500 ms, 3 spans, backend errs
//   trace b: frontend GET / 5 s ago, 20 ms, 2 spans
//   trace c: a backend span whose root has not arrived, 3 s ago, 5 ms
//   trace d: 2 h ago (outside the default hour)
//   trace e/f: 30 min ago exactly / 1 µs before that (window edges)
Status LoadSpans(storage::Store& store) {
  const int64_t s = 1'000'000;
  std::vector<SpanRow> spans = {
      {"agent-1", 'a', "a1", "", "frontend", "GET /checkout", "server", kNowUs - 10 * s, 500'000},
      {"agent-1", 'a', "a2", "a1", "frontend", "GET backend", "client", kNowUs - 10 * s + 1000,
       480'000},
      {"agent-2", 'a', "a3", "a2", "backend", "GET /slow", "server", kNowUs - 10 * s + 2000,
       470'000, "error"},
      {"agent-1", 'b', "b1", "", "frontend", "GET /", "server", kNowUs - 5 * s, 20'000, "ok"},
      {"agent-2", 'b', "b2", "b1", "backend", "GET /fast", "server", kNowUs - 5 * s + 500, 3'000},
      {"agent-2", 'c', "c2", "c1", "backend", "GET /fast", "server", kNowUs - 3 * s, 5'000},
      {"agent-1", 'd', "d1", "", "frontend", "GET /", "server", kNowUs - 7200 * s, 1'000},
      {"agent-1", 'e', "e1", "", "frontend", "GET /edge", "server", kNowUs - 1800 * s, 1'000},
      {"agent-1", 'f', "f1", "", "frontend", "GET /edge", "server", kNowUs - 1800 * s - 1, 1'000},
  };
  storage::Batch batch{
      .table = "spans",
      .columns = {"agent_id", "seq", "ts_us", "trace_id", "span_id", "parent_span_id",
                  "service_name", "name", "kind", "start_time_us", "end_time_us", "duration_ns",
                  "status_code", "status_message"}};
  int64_t seq = 0;
  for (const auto& r : spans) {
    batch.rows.push_back({r.agent, ++seq, r.start_us + r.duration_us, TraceId(r.trace),
                          SpanId(r.span), r.parent.empty() ? kNull : Value(SpanId(r.parent)),
                          r.service, r.name, r.kind, r.start_us, r.start_us + r.duration_us,
                          r.duration_us * 1000, r.status,
                          r.status == "error" ? Value("upstream timed out") : kNull});
  }
  return store.Append(batch);
}

// Severity numbers 0 (unspecified), 5, 9, 12, 13, 17, 21, one a second, the
// newest first at kNow - 1 s; bodies that LIKE patterns would confuse.
Status LoadLogs(storage::Store& store) {
  struct Log {
    int severity;
    std::string text;
    std::string service;
    std::string body;
  };
  std::vector<Log> logs = {
      {21, "FATAL", "backend", "out of memory"},
      {17, "ERROR", "backend", "Disk_Full on /var"},
      {13, "WARN", "frontend", "retry 100% done"},
      {12, "INFO4", "frontend", "diskXfull is not an error"},
      {9, "INFO", "frontend", "request 100x done"},
      {5, "DEBUG", "backend", "cache miss for key a%b"},
      {0, "", "backend", "no severity"},
  };
  storage::Batch batch{
      .table = "log_records",
      .columns = {"agent_id", "seq", "ts_us", "time_us", "observed_time_us", "severity_number",
                  "severity_text", "body", "trace_id", "span_id", "service_name", "attributes"}};
  int64_t seq = 0;
  for (const auto& l : logs) {
    int64_t time = kNowUs - (seq + 1) * 1'000'000;
    batch.rows.push_back({std::string("agent-1"), ++seq, time + 10, time, time + 5,
                          int64_t{l.severity}, l.text, l.body, kNull, kNull, l.service,
                          std::string("{}")});
  }
  // No time of its own: its observed time (40 min ago) places it. And two
  // records at the same time from two agents: agent_id, then seq, decide.
  batch.rows.push_back({std::string("agent-1"), ++seq, kNowUs, kNull, kNowUs - 2400'000'000,
                        int64_t{9}, std::string("INFO"), std::string("late clock"), kNull, kNull,
                        std::string("frontend"), std::string("{}")});
  for (const char* agent : {"agent-b", "agent-a"}) {
    batch.rows.push_back({std::string(agent), ++seq, kNowUs - 50 * 60'000'000LL,
                          kNowUs - 50 * 60'000'000LL, kNull, int64_t{9}, std::string("INFO"),
                          std::string("tie ") + agent, kNull, kNull, std::string("other"),
                          std::string("{}")});
  }
  return store.Append(batch);
}

Status LoadMetrics(storage::Store& store) {
  storage::Batch batch{
      .table = "metric_points",
      .columns = {"agent_id", "seq", "ts_us", "time_us", "service_name", "metric_name", "type",
                  "value", "count", "sum", "unit", "attributes"}};
  auto gauge = [&](int64_t seq, int64_t ago_s, const char* service, const char* name,
                   double value) {
    int64_t t = kNowUs - ago_s * 1'000'000;
    batch.rows.push_back({std::string("agent-1"), seq, t, t, std::string(service),
                          std::string(name), std::string("gauge"), value, kNull, kNull,
                          std::string("1"), std::string("{}")});
  };
  gauge(1, 1, "frontend", "http.server.active", 3);
  gauge(2, 2, "backend", "http.server.active", 1);
  gauge(3, 3, "frontend", "http.server", 7);      // a prefix of the others, as a name
  gauge(4, 4, "frontend", "http.serverless", 2);  // shares the prefix without the dot
  gauge(5, 5, "frontend", "http.client.active", 4);
  gauge(6, 3600, "frontend", "http.server.active", 9);  // the window's edge
  gauge(7, 3601, "frontend", "http.server.active", 8);  // just outside
  int64_t t = kNowUs - 6'000'000;
  batch.rows.push_back({std::string("agent-1"), int64_t{8}, t, t, std::string("backend"),
                        std::string("http.server.duration"), std::string("histogram"), kNull,
                        int64_t{12}, 840.5, std::string("ms"),
                        std::string("{\"http.route\":\"/slow\"}")});
  return store.Append(batch);
}

class RawViewsTest : public ColonyStoreTest {
 protected:
  void SetUp() override {
    ColonyStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(LoadSpans(*store_).ok());
    ASSERT_TRUE(LoadLogs(*store_).ok());
    ASSERT_TRUE(LoadMetrics(*store_).ok());
  }

  storage::RowSet Traces(const TraceFilter& f) { return Must(QueryTraces(*store_, f, kNow)); }
  storage::RowSet Logs(const LogFilter& f) { return Must(QueryLogs(*store_, f, kNow)); }
  storage::RowSet Metrics(const MetricFilter& f) { return Must(QueryMetrics(*store_, f, kNow)); }

  static storage::RowSet Must(Result<storage::RowSet> r) {
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(*r) : storage::RowSet{};
  }
  // One column of every row, for filter checks.
  static std::vector<Value> Column(const storage::RowSet& rows, std::string_view name) {
    std::vector<Value> out;
    auto i = rows.ColumnIndex(name);
    EXPECT_TRUE(i.ok()) << name;
    if (!i.ok()) return out;
    for (const auto& r : rows.rows) out.push_back(r[*i]);
    return out;
  }
  static std::vector<std::string> Names(const storage::RowSet& rows) {
    std::vector<std::string> out;
    for (const auto& c : rows.columns) out.push_back(c.name);
    return out;
  }
};

std::vector<Value> Strings(std::initializer_list<const char*> items) {
  std::vector<Value> out;
  for (const char* s : items) out.push_back(std::string(s));
  return out;
}

TEST_P(RawViewsTest, TraceListHasOneRowPerTraceNewestFirstWithItsRoot) {
  auto rows = Traces({});
  EXPECT_EQ(Names(rows),
            (std::vector<std::string>{"trace_id", "root_service", "root_name", "start_us",
                                      "duration_ms", "span_count", "error_count"}));
  EXPECT_EQ(
      rows.rows,
      (Rows{
          // No root yet: its earliest span stands in.
          {TraceId('c'), "backend", "GET /fast", kNowUs - 3'000'000, 5.0, int64_t{1}, int64_t{0}},
          {TraceId('b'), "frontend", "GET /", kNowUs - 5'000'000, 20.0, int64_t{2}, int64_t{0}},
          {TraceId('a'), "frontend", "GET /checkout", kNowUs - 10'000'000, 500.0, int64_t{3},
           int64_t{1}},
          {TraceId('e'), "frontend", "GET /edge", kNowUs - 1'800'000'000, 1.0, int64_t{1},
           int64_t{0}},
          {TraceId('f'), "frontend", "GET /edge", kNowUs - 1'800'000'001, 1.0, int64_t{1},
           int64_t{0}},
      }));
  EXPECT_FALSE(rows.truncated);
}

TEST_P(RawViewsTest, TraceFiltersServiceDurationWindowAndLimit) {
  EXPECT_EQ(Column(Traces({.service = "backend"}), "trace_id"),
            Strings({"cccccccccccccccccccccccccccccccc", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}));
  EXPECT_EQ(Column(Traces({.service = "frontend", .min_duration = 20ms}), "trace_id"),
            Strings({"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}));
  EXPECT_EQ(Column(Traces({.min_duration = 21ms}), "trace_id"),
            Strings({"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}));
  EXPECT_TRUE(Traces({.service = "nobody"}).rows.empty());
  // The window includes its start and nothing before it.
  EXPECT_EQ(Column(Traces({.since = 30min}), "trace_id").back(), Value(TraceId('e')));
  EXPECT_EQ(Traces({.since = 30min}).rows.size(), 4u);
  EXPECT_EQ(Traces({.since = 3h}).rows.size(), 6u);
  auto two = Traces({.limit = 2});
  EXPECT_EQ(Column(two, "trace_id"),
            Strings({"cccccccccccccccccccccccccccccccc", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}));
  EXPECT_TRUE(two.truncated);
  auto exact = Traces({.limit = 5});
  EXPECT_EQ(exact.rows.size(), 5u);
  EXPECT_FALSE(exact.truncated);
}

TEST_P(RawViewsTest, OneTraceListsEverySpanByStartTime) {
  // Upper-case ids are accepted; the window does not apply to one trace.
  auto rows = Traces({.trace_id = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", .since = 1s});
  EXPECT_EQ(Names(rows), (std::vector<std::string>{"span_id", "parent_span_id", "service_name",
                                                   "name", "kind", "start_time_us", "duration_ms",
                                                   "status_code", "status_message"}));
  EXPECT_EQ(rows.rows, (Rows{
                           {SpanId("a1"), kNull, "frontend", "GET /checkout", "server",
                            kNowUs - 10'000'000, 500.0, "unset", kNull},
                           {SpanId("a2"), SpanId("a1"), "frontend", "GET backend", "client",
                            kNowUs - 9'999'000, 480.0, "unset", kNull},
                           {SpanId("a3"), SpanId("a2"), "backend", "GET /slow", "server",
                            kNowUs - 9'998'000, 470.0, "error", "upstream timed out"},
                       }));
  EXPECT_EQ(Traces({.trace_id = TraceId('d')}).rows.size(), 1u);
  EXPECT_TRUE(Traces({.trace_id = TraceId('9')}).rows.empty());
  auto first = Traces({.trace_id = TraceId('a'), .limit = 1});
  EXPECT_EQ(first.rows.size(), 1u);
  EXPECT_TRUE(first.truncated);
}

TEST_P(RawViewsTest, LogsNewestFirstWithWindowAndTies) {
  auto rows = Logs({});
  EXPECT_EQ(Names(rows),
            (std::vector<std::string>{"time_us", "service_name", "severity_number", "severity_text",
                                      "body", "trace_id", "span_id", "attributes"}));
  ASSERT_EQ(rows.rows.size(), 10u);
  EXPECT_EQ(rows.rows[0], (std::vector<Value>{kNowUs - 1'000'000, "backend", int64_t{21}, "FATAL",
                                              "out of memory", kNull, kNull, "{}"}));
  EXPECT_EQ(Column(rows, "body"),
            Strings({"out of memory", "Disk_Full on /var", "retry 100% done",
                     "diskXfull is not an error", "request 100x done", "cache miss for key a%b",
                     "no severity", "late clock", "tie agent-a", "tie agent-b"}));
  // The record without a time of its own sits at its observed time.
  EXPECT_EQ(rows.rows[7][0], Value(kNowUs - 2'400'000'000));
  EXPECT_EQ(Logs({.since = 40min}).rows.size(), 8u);  // the edge is in
  EXPECT_EQ(Logs({.since = 7s}).rows.size(), 7u);
  EXPECT_EQ(Logs({.since = 6999ms}).rows.size(), 6u);
  auto three = Logs({.limit = 3});
  EXPECT_EQ(three.rows.size(), 3u);
  EXPECT_TRUE(three.truncated);
}

TEST_P(RawViewsTest, LogGrepIsASubstringWithPercentAndUnderscoreTakenLiterally) {
  EXPECT_EQ(Column(Logs({.grep = "100%"}), "body"), Strings({"retry 100% done"}));
  EXPECT_EQ(Column(Logs({.grep = "disk_full"}), "body"), Strings({"Disk_Full on /var"}));
  EXPECT_EQ(Column(Logs({.grep = "DISK"}), "body"),
            Strings({"Disk_Full on /var", "diskXfull is not an error"}));
  EXPECT_EQ(Column(Logs({.grep = "a%b"}), "body"), Strings({"cache miss for key a%b"}));
  EXPECT_EQ(Column(Logs({.grep = "_"}), "body"), Strings({"Disk_Full on /var"}));
  // Quotes and backslashes are data, not SQL.
  EXPECT_TRUE(Logs({.grep = "' OR 1=1 --"}).rows.empty());
  EXPECT_TRUE(Logs({.grep = "\\"}).rows.empty());
  EXPECT_EQ(
      Column(Logs({.service = "backend", .grep = "o"}), "body"),
      Strings({"out of memory", "Disk_Full on /var", "cache miss for key a%b", "no severity"}));
}

TEST_P(RawViewsTest, LogSeverityIsAMinimumLevel) {
  auto numbers = [&](const std::string& level) {
    return Column(Logs({.severity = level, .since = 10s}), "severity_number");
  };
  auto ints = [](std::initializer_list<int64_t> items) {
    return std::vector<Value>(items.begin(), items.end());
  };
  EXPECT_EQ(numbers(""), ints({21, 17, 13, 12, 9, 5, 0}));
  EXPECT_EQ(numbers("trace"), ints({21, 17, 13, 12, 9, 5}));
  EXPECT_EQ(numbers("debug"), ints({21, 17, 13, 12, 9, 5}));
  EXPECT_EQ(numbers("info"), ints({21, 17, 13, 12, 9}));
  EXPECT_EQ(numbers("Warn"), ints({21, 17, 13}));
  EXPECT_EQ(numbers("WARNING"), ints({21, 17, 13}));
  EXPECT_EQ(numbers("error"), ints({21, 17}));
  EXPECT_EQ(numbers("fatal"), ints({21}));
}

TEST_P(RawViewsTest, MetricsByExactNameOrPrefixNewestFirst) {
  auto rows = Metrics({.name = "http.server.duration"});
  EXPECT_EQ(Names(rows), (std::vector<std::string>{"time_us", "service_name", "metric_name", "type",
                                                   "value", "count", "sum", "unit", "attributes"}));
  EXPECT_EQ(rows.rows, (Rows{{kNowUs - 6'000'000, "backend", "http.server.duration", "histogram",
                              kNull, int64_t{12}, 840.5, "ms", "{\"http.route\":\"/slow\"}"}}));
  auto values = [&](const MetricFilter& f) { return Column(Metrics(f), "value"); };
  // Newest first; the window's start is in.
  EXPECT_EQ(values({.name = "http.server.active"}), (std::vector<Value>{3.0, 1.0, 9.0}));
  EXPECT_EQ(values({.name = "http.server"}), (std::vector<Value>{7.0}));
  EXPECT_EQ(values({.name = "http.server.*"}), (std::vector<Value>{3.0, 1.0, kNull, 9.0}));
  EXPECT_EQ(values({.name = "http.server*"}), (std::vector<Value>{3.0, 1.0, 7.0, 2.0, kNull, 9.0}));
  EXPECT_EQ(values({.name = "*"}).size(), 7u);
  EXPECT_EQ(values({.name = "http.server.active", .service = "frontend"}),
            (std::vector<Value>{3.0, 9.0}));
  EXPECT_EQ(values({.name = "http.server.active", .since = 2h}),
            (std::vector<Value>{3.0, 1.0, 9.0, 8.0}));
  auto one = Metrics({.limit = 1});
  EXPECT_EQ(one.rows.size(), 1u);
  EXPECT_TRUE(one.truncated);
}

TEST_P(RawViewsTest, BadFiltersAreInvalidArguments) {
  auto invalid = [](const Result<storage::RowSet>& r) {
    return !r.ok() && r.status().code() == StatusCode::kInvalidArgument;
  };
  EXPECT_TRUE(invalid(QueryTraces(*store_, {.limit = -1}, kNow)));
  EXPECT_TRUE(invalid(QueryTraces(*store_, {.limit = kMaxLimit + 1}, kNow)));
  EXPECT_TRUE(invalid(QueryTraces(*store_, {.since = kMaxSince + 1ms}, kNow)));
  EXPECT_TRUE(invalid(QueryTraces(*store_, {.since = -1s}, kNow)));
  EXPECT_TRUE(invalid(QueryTraces(*store_, {.min_duration = -1ms}, kNow)));
  EXPECT_TRUE(
      invalid(QueryTraces(*store_, {.min_duration = std::chrono::milliseconds::max()}, kNow)));
  EXPECT_TRUE(invalid(QueryTraces(*store_, {.trace_id = "abc"}, kNow)));
  EXPECT_TRUE(invalid(QueryTraces(*store_, {.trace_id = std::string(31, 'a') + "g"}, kNow)));
  EXPECT_TRUE(invalid(QueryTraces(*store_, {.service = "x", .trace_id = TraceId('a')}, kNow)));
  EXPECT_TRUE(invalid(QueryLogs(*store_, {.severity = "loud"}, kNow)));
  EXPECT_TRUE(invalid(QueryLogs(*store_, {.limit = 10'001}, kNow)));
  EXPECT_TRUE(invalid(QueryMetrics(*store_, {.name = "http.*.duration"}, kNow)));
  EXPECT_TRUE(invalid(QueryMetrics(*store_, {.name = "**"}, kNow)));
  EXPECT_TRUE(QueryTraces(*store_, {.since = kMaxSince, .limit = kMaxLimit}, kNow).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, RawViewsTest, ::testing::Values("duckdb", "clickhouse"),
                         [](const auto& info) { return info.param; });

TEST(RawViewsBackendsTest, DuckDbAndClickHouseGiveIdenticalRows) {
  TempDir dir("coral-raw-views-both");
  auto duck = OpenTestColonyStore("duckdb", dir.path());
  ASSERT_TRUE(duck.ok()) << duck.status().ToString();
  auto click = OpenTestColonyStore("clickhouse", dir.path());
  if (!click.ok() && click.status().code() == StatusCode::kNotFound) {
    GTEST_SKIP() << click.status().message();
  }
  ASSERT_TRUE(click.ok()) << click.status().ToString();
  for (storage::Store* s : {duck->get(), click->get()}) {
    ASSERT_TRUE(LoadSpans(*s).ok());
    ASSERT_TRUE(LoadLogs(*s).ok());
    ASSERT_TRUE(LoadMetrics(*s).ok());
  }
  using View = std::function<Result<storage::RowSet>(storage::Store&)>;
  std::vector<std::pair<std::string, View>> views = {
      {"traces", [](auto& s) { return QueryTraces(s, {.since = 3h}, kNow); }},
      {"traces backend", [](auto& s) { return QueryTraces(s, {.service = "backend"}, kNow); }},
      {"trace a", [](auto& s) { return QueryTraces(s, {.trace_id = TraceId('a')}, kNow); }},
      {"logs", [](auto& s) { return QueryLogs(s, {}, kNow); }},
      {"logs grep", [](auto& s) { return QueryLogs(s, {.grep = "%", .severity = "info"}, kNow); }},
      {"metrics", [](auto& s) { return QueryMetrics(s, {.since = 2h}, kNow); }},
      {"metrics prefix", [](auto& s) { return QueryMetrics(s, {.name = "http.s*"}, kNow); }},
  };
  for (const auto& [what, view] : views) {
    auto a = view(**duck);
    auto b = view(**click);
    ASSERT_TRUE(a.ok() && b.ok()) << what << ": " << a.status().ToString() << " / "
                                  << b.status().ToString();
    ASSERT_EQ(a->columns.size(), b->columns.size()) << what;
    for (size_t i = 0; i < a->columns.size(); ++i) {
      EXPECT_EQ(a->columns[i].name, b->columns[i].name) << what;
      EXPECT_EQ(a->columns[i].type, b->columns[i].type) << what << " " << a->columns[i].name;
    }
    EXPECT_FALSE(a->rows.empty()) << what;
    EXPECT_EQ(a->rows, b->rows) << what;
  }
}

}  // namespace
}  // namespace coral::analysis

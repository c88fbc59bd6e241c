// For tests of the read side on both backends: a migrated colony store, demo
// data, and a colony view over them.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "analysis/colony_view.h"
#include "analysis/summarizer.h"
#include "analysis/telemetry_schema.h"
#include "auth/audit.h"
#include "auth/test_control_store.h"
#include "base/temp_dir.h"
#include "storage/clickhouse/clickhouse_test_server.h"
#include "storage/store.h"

namespace coral::analysis {

// Where a test's colony store lives: backend "duckdb", a file in dir;
// "clickhouse", a fresh database on the shared loopback test server.
// NotFound when clickhouse-server is not installed (the caller skips).
inline Result<std::string> TestColonyStoreUrl(const std::string& backend,
                                              const std::filesystem::path& dir) {
  if (backend != "clickhouse") return "duckdb://" + (dir / "colony.duckdb").string();
  auto server = CORAL_TRY(storage::ClickHouseTestServer::Shared());
  return server->NewDatabaseUrl();
}

inline Result<std::unique_ptr<storage::Store>> OpenTestColonyStore(
    const std::string& backend, const std::filesystem::path& dir) {
  auto store = CORAL_TRY(storage::OpenStore(CORAL_TRY(TestColonyStoreUrl(backend, dir))));
  CORAL_TRY(store->Migrate(TelemetryMigrations()));
  return store;
}

// Demo traffic from minute m0 (Unix microseconds): 40 requests through
// frontend -> backend over 40 s, every other one on the backend's slow path
// (GET /slow, 900 ms), the fourth one failing. Summaries are not computed.
inline Status AppendSlowBackendDemo(storage::Store& store, int64_t m0) {
  storage::Batch spans{
      "spans",
      {"agent_id", "seq", "ts_us", "trace_id", "span_id", "parent_span_id", "service_name", "name",
       "kind", "start_time_us", "end_time_us", "duration_ns", "status_code"},
      {}};
  int64_t seq = 0;
  for (int i = 0; i < 40; ++i) {
    std::string trace = std::to_string(1000 + i) + std::string(28, 'a');
    int64_t start = m0 + i * 1'000'000;
    int64_t ms = i % 2 ? 900 : 5;
    spans.rows.push_back({std::string("a1"), ++seq, start, trace, "c" + std::to_string(i),
                          storage::Value{}, std::string("frontend"), std::string("GET /"),
                          std::string("server"), start, start + (ms + 2) * 1000,
                          (ms + 2) * 1'000'000, std::string("ok")});
    spans.rows.push_back({std::string("a1"), ++seq, start, trace, "s" + std::to_string(i),
                          storage::Value{"c" + std::to_string(i)}, std::string("backend"),
                          std::string(i % 2 ? "GET /slow" : "GET /fast"), std::string("server"),
                          start + 1000, start + 1000 + ms * 1000, ms * 1'000'000,
                          std::string(i == 3 ? "error" : "ok")});
  }
  return store.Append(spans);
}

// A test on each backend (the parameter), with its migrated store in store_.
class ColonyStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto store = OpenTestColonyStore(GetParam(), dir_.path());
    if (!store.ok() && store.status().code() == StatusCode::kNotFound) {
      GTEST_SKIP() << store.status().message();
    }
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  TempDir dir_{"coral-colony-store"};
  std::unique_ptr<storage::Store> store_;
};

// A colony as the read side sees it, over a test store: status, agents and
// audit log are whatever the test puts in them.
class FakeColonyView : public ColonyView {
 public:
  FakeColonyView(storage::Store& store, const Clock& clock) : store_(store), clock_(clock) {}
  storage::Store& telemetry() override { return store_; }
  const Clock& clock() const override { return clock_; }
  coral::v1::GetStatusResponse Status() override { return status; }
  std::vector<coral::v1::AgentInfo> Agents() override { return agents; }
  Result<std::vector<auth::AuditEntry>> Audit(const auth::AuditQuery& query) override {
    if (audit == nullptr) return FailedPrecondition("no audit log");
    return audit->List(query);
  }

  coral::v1::GetStatusResponse status;
  std::vector<coral::v1::AgentInfo> agents;
  auth::AuditLog* audit = nullptr;

 private:
  storage::Store& store_;
  const Clock& clock_;
};

// The slow-backend demo (AppendSlowBackendDemo from kDemoM0) on each backend,
// summarized, read at half an hour past kDemoM0 through a FakeColonyView with
// an audit log.
inline constexpr int64_t kDemoM0 = 1'699'999'980'000'000;

class DemoColonyTest : public ColonyStoreTest {
 protected:
  void SetUp() override {
    ColonyStoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_TRUE(AppendSlowBackendDemo(*store_, kDemoM0).ok());
    Summarizer summarizer(*store_, {}, clock_);
    ASSERT_TRUE(summarizer.Recompute(kDemoM0, kDemoM0 + 2 * kMinuteUs).ok());
    control_ = auth::OpenTestControlStore();
    ASSERT_NE(control_, nullptr);
    audit_ = std::make_unique<auth::AuditLog>(*control_);
    view_ = std::make_unique<FakeColonyView>(*store_, clock_);
    view_->audit = audit_.get();
  }

  FakeClock clock_{FromUnixMicros(kDemoM0 + 30 * kMinuteUs)};
  std::unique_ptr<storage::Store> control_;
  std::unique_ptr<auth::AuditLog> audit_;
  std::unique_ptr<FakeColonyView> view_;
};

}  // namespace coral::analysis

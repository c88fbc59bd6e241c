// A colony for fuzz targets of its doors: a DuckDB telemetry store with
// demo spans, a control store with real tokens and audit log, the tools'
// policy and a front door that takes API tokens.
#pragma once

#include <memory>
#include <string>

#include "analysis/colony_view.h"
#include "analysis/telemetry_schema.h"
#include "analysis/tools.h"
#include "auth/audit.h"
#include "auth/front_door.h"
#include "auth/tokens.h"
#include "base/check.h"
#include "storage/store.h"

namespace coral::analysis {

class FuzzColonyView final : public ColonyView {
 public:
  FuzzColonyView(storage::Store& store, auth::AuditLog& audit) : store_(store), audit_(audit) {}
  storage::Store& telemetry() override { return store_; }
  const Clock& clock() const override { return clock_; }
  coral::v1::GetStatusResponse Status() override { return {}; }
  std::vector<coral::v1::AgentInfo> Agents() override { return {}; }
  Result<std::vector<auth::AuditEntry>> Audit(const auth::AuditQuery& q) override {
    return audit_.List(q);
  }

 private:
  storage::Store& store_;
  auth::AuditLog& audit_;
  FakeClock clock_{FromUnixMicros(1'700'000'000'000'000)};
};

struct FuzzColony {
  std::unique_ptr<storage::Store> telemetry;
  std::unique_ptr<storage::Store> control;
  std::unique_ptr<auth::TokenStore> tokens;
  std::unique_ptr<auth::AuditLog> audit;
  auth::Policy policy;
  std::unique_ptr<auth::FrontDoor> door;
  std::unique_ptr<FuzzColonyView> view;
  std::string token;
  int64_t spans = 0;
};

inline int64_t CountSpans(storage::Store& store) {
  auto rows = store.Query("SELECT count(*) FROM spans");
  CORAL_CHECK(rows.ok(), "count spans");
  return std::get<int64_t>(rows->rows[0][0]);
}

inline FuzzColony& TheWorld() {
  static FuzzColony* w = [] {
    auto* w = new FuzzColony;
    w->telemetry = std::move(*storage::OpenStore("duckdb://:memory:"));
    CORAL_CHECK(w->telemetry->Migrate(TelemetryMigrations()).ok(), "telemetry migrations");
    storage::Batch spans{"spans",
                         {"agent_id", "seq", "ts_us", "trace_id", "span_id", "service_name", "name",
                          "kind", "start_time_us", "end_time_us", "duration_ns", "status_code"}};
    for (int64_t i = 0; i < 20; ++i) {
      int64_t t = 1'699'999'000'000'000 + i * 1'000'000;
      spans.rows.push_back({std::string("a1"), i + 1, t, std::string(32, 'a' + (i % 6)),
                            std::string(16, 'b'), std::string(i % 2 ? "frontend" : "backend"),
                            std::string("GET /"), std::string("server"), t, t + 5000,
                            int64_t{5'000'000}, std::string(i % 5 ? "ok" : "error")});
    }
    CORAL_CHECK(w->telemetry->Append(spans).ok(), "demo spans");
    w->spans = CountSpans(*w->telemetry);
    w->control = std::move(*storage::OpenStore("duckdb://:memory:"));
    std::vector<storage::Migration> auth_tables = {
        {1, "auth", std::string(auth::TokensTableSql()) + std::string(auth::AuditTableSql()), ""}};
    CORAL_CHECK(w->control->Migrate(auth_tables).ok(), "control migrations");
    w->tokens = std::move(*auth::TokenStore::Open(*w->control));
    w->audit = std::make_unique<auth::AuditLog>(*w->control);
    AllowTools(w->policy);
    w->door = std::make_unique<auth::FrontDoor>(
        auth::FrontDoorOptions{.verifiers = {auth::ApiTokenVerifier(*w->tokens)},
                               .policy = &w->policy,
                               .audit = w->audit.get()});
    w->view = std::make_unique<FuzzColonyView>(*w->telemetry, *w->audit);
    w->token = w->tokens->Create({.kind = auth::TokenKind::kApi})->text;
    return w;
  }();
  return *w;
}

}  // namespace coral::analysis

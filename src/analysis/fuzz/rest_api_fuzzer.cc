// The colony's REST API (rest_api.h) as a client on the network drives it:
// the first line of the input is "METHOD /api/v1/route?query", the rest the
// body; an input whose first byte has bit 0x20 clear (an upper-case letter)
// carries a viewer's token. Behind it: a DuckDB colony store with demo spans,
// real tokens, policy and audit log.
//
// Invariants: every request gets one of the API's statuses; a 200 carries a
// JSON object; nothing a request says writes to the telemetry store.
#include <memory>
#include <set>

#include "analysis/rest_api.h"
#include "analysis/telemetry_schema.h"
#include "analysis/tools.h"
#include "auth/tokens.h"
#include "base/check.h"
#include "fuzz_target.h"
#include "storage/store.h"

namespace coral::analysis {
namespace {

class View final : public ColonyView {
 public:
  View(storage::Store& store, auth::AuditLog& audit) : store_(store), audit_(audit) {}
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

struct World {
  std::unique_ptr<storage::Store> telemetry;
  std::unique_ptr<storage::Store> control;
  std::unique_ptr<auth::TokenStore> tokens;
  std::unique_ptr<auth::AuditLog> audit;
  auth::Policy policy;
  std::unique_ptr<auth::FrontDoor> door;
  std::unique_ptr<View> view;
  std::unique_ptr<RestApi> api;
  std::string token;
  int64_t spans = 0;
};

int64_t CountSpans(storage::Store& store) {
  auto rows = store.Query("SELECT count(*) FROM spans");
  CORAL_CHECK(rows.ok(), "count spans");
  return std::get<int64_t>(rows->rows[0][0]);
}

World& TheWorld() {
  static World* w = [] {
    auto* w = new World;
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
    w->view = std::make_unique<View>(*w->telemetry, *w->audit);
    w->api = std::make_unique<RestApi>(*w->view, *w->door, "fuzz");
    w->token = w->tokens->Create({.kind = auth::TokenKind::kApi})->text;
    return w;
  }();
  return *w;
}

}  // namespace
}  // namespace coral::analysis

int CoralFuzzTarget(const uint8_t* data, size_t size) {
  using namespace coral;
  auto& w = analysis::TheWorld();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t eol = in.find('\n');
  std::string_view line = in.substr(0, eol);
  net::HttpRequest req;
  req.body = eol == std::string_view::npos ? "" : std::string(in.substr(eol + 1));
  size_t space = line.find(' ');
  req.method = std::string(line.substr(0, space));
  req.target = space == std::string_view::npos ? "" : std::string(line.substr(space + 1));
  size_t q = req.target.find('?');
  req.path = req.target.substr(0, q);
  req.query = q == std::string::npos ? "" : req.target.substr(q + 1);
  if (size > 0 && (data[0] & 0x20) == 0)
    req.headers.push_back({"Authorization", "Bearer " + w.token});
  if (!analysis::RestApi::Handles(req.path)) return 0;
  net::HttpResponse r = w.api->Handle(req);
  static const std::set<int> kStatuses = {200, 400, 401, 403, 404, 405, 413, 503, 504};
  CORAL_CHECK(kStatuses.contains(r.status), "status " + std::to_string(r.status) + ": " + r.body);
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  CORAL_CHECK(body.is_object(), "not a JSON object: " + r.body.substr(0, 200));
  CORAL_CHECK(analysis::CountSpans(*w.telemetry) == w.spans, "a request changed the store");
  return 0;
}

std::vector<std::vector<uint8_t>> CoralFuzzSeeds() { return {}; }

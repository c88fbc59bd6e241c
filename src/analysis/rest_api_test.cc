#include "analysis/rest_api.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "analysis/test_store.h"
#include "analysis/tools.h"

namespace coral::analysis {
namespace {

class RestApiTest : public DemoColonyTest {
 protected:
  void SetUp() override {
    DemoColonyTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    tokens_ = std::move(*auth::TokenStore::Open(*control_, clock_));
    AllowTools(policy_);
    door_ = std::make_unique<auth::FrontDoor>(
        auth::FrontDoorOptions{.verifiers = {auth::ApiTokenVerifier(*tokens_)},
                               .policy = &policy_,
                               .audit = audit_.get(),
                               .clock = &clock_});
    api_ = std::make_unique<RestApi>(*view_, *door_, "test");
    viewer_ = tokens_->Create({.kind = auth::TokenKind::kApi, .role = auth::Role::kViewer})->text;
    admin_ = tokens_->Create({.kind = auth::TokenKind::kApi, .role = auth::Role::kAdmin})->text;
  }

  net::HttpResponse Get(const std::string& target, const std::string& token) {
    net::HttpRequest req{.method = "GET", .target = target};
    size_t q = target.find('?');
    req.path = target.substr(0, q);
    req.query = q == std::string::npos ? "" : target.substr(q + 1);
    if (!token.empty()) req.headers.push_back({"Authorization", "Bearer " + token});
    return api_->Handle(req);
  }

  std::unique_ptr<auth::TokenStore> tokens_;
  auth::Policy policy_;
  std::unique_ptr<auth::FrontDoor> door_;
  std::unique_ptr<RestApi> api_;
  std::string viewer_, admin_;
};

TEST_P(RestApiTest, AnswersAreTheToolsData) {
  auto r = Get("/api/v1/summary?since=1h&slow_ms=500", viewer_);
  ASSERT_EQ(r.status, 200) << r.body;
  Json body = Json::parse(r.body);
  auto direct = FindToolByRoute("summary")->run(*view_, {{"since", "1h"}, {"slow_ms", 500}});
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(body, direct->data);
  EXPECT_EQ(body["services"].size(), 2u);

  net::HttpRequest post{.method = "POST",
                        .target = "/api/v1/sql",
                        .path = "/api/v1/sql",
                        .headers = {{"Authorization", "Bearer " + viewer_}},
                        .body = R"({"sql": "SELECT count(*) AS n FROM spans", "limit": 1})"};
  auto sql = api_->Handle(post);
  ASSERT_EQ(sql.status, 200) << sql.body;
  EXPECT_EQ(Json::parse(sql.body)["rows"][0]["n"], 80);
  auto traces = Get("/api/v1/traces?min_duration_ms=500&limit=3&service=backend", viewer_);
  ASSERT_EQ(traces.status, 200) << traces.body;
  EXPECT_EQ(Json::parse(traces.body)["rows"].size(), 3u);
}

TEST_P(RestApiTest, BadInputGetsAClearErrorAndChangesNothing) {
  struct Case {
    std::string target;
    int status;
    const char* says;
  };
  std::vector<Case> cases = {
      {"/api/v1/nothing", 404, "openapi.json"},
      {"/api/v1/summary?sinse=1h", 400, "unknown argument 'sinse'"},
      {"/api/v1/summary?since=forever", 400, "since 'forever'"},
      {"/api/v1/traces?limit=ten", 400, "whole number"},
      {"/api/v1/traces?limit=1.5", 400, "whole number"},
      {"/api/v1/traces?limit=-1", 400, "limit must be"},
      {"/api/v1/traces?limit=5&limit=6", 400, "given twice"},
      // Found by fuzz_rest_api: a whole number past int64 was undefined behaviour.
      {"/api/v1/traces?min_duration_ms=14444444444444444444444444", 400, "too large"},
      {"/api/v1/traces?limit=1e3", 400, "whole number"},
      {"/api/v1/summary?slow_ms=inf", 400, "finite number"},
      {"/api/v1/summary?slow_ms=1e999", 400, "finite number"},
      {"/api/v1/logs?grep=%zz", 400, "%-escape"},
      {"/api/v1/trace", 400, "missing required argument 'trace_id'"},
      {"/api/v1/trace?trace_id=ffffffffffffffffffffffffffffffff", 404, "no spans of trace"},
      {"/api/v1/sql?sql=DELETE%20FROM%20spans", 403, "SELECT"},
  };
  for (const Case& c : cases) {
    auto r = Get(c.target, viewer_);
    EXPECT_EQ(r.status, c.status) << c.target << " " << r.body;
    EXPECT_NE(r.body.find(c.says), std::string::npos) << c.target << " " << r.body;
  }
  auto count = store_->Query("SELECT count(*) FROM spans");
  EXPECT_EQ(std::get<int64_t>(count->rows[0][0]), 80);
  net::HttpRequest del{.method = "DELETE", .target = "/api/v1/summary", .path = "/api/v1/summary"};
  EXPECT_EQ(api_->Handle(del).status, 405);
  net::HttpRequest junk{.method = "POST",
                        .target = "/api/v1/summary",
                        .path = "/api/v1/summary",
                        .headers = {{"Authorization", "Bearer " + viewer_}},
                        .body = "[1,2"};
  EXPECT_EQ(api_->Handle(junk).status, 400);
}

TEST_P(RestApiTest, EveryCallIsAuthenticatedAuthorizedAndAudited) {
  EXPECT_EQ(Get("/api/v1/status", "").status, 401);
  EXPECT_EQ(Get("/api/v1/status", "coralapi1_api-0000_nope").status, 401);
  EXPECT_EQ(Get("/api/v1/audit", viewer_).status, 403);
  EXPECT_EQ(Get("/api/v1/audit", admin_).status, 200);
  auto log = audit_->List({.limit = 10});
  ASSERT_TRUE(log.ok());
  ASSERT_GE(log->size(), 4u);
  int denied = 0, allowed = 0;
  for (const auto& e : *log) (e.allowed ? allowed : denied)++;
  EXPECT_EQ(denied, 3);
  EXPECT_EQ(allowed, 1);
  // The API's description is served to anyone and names every route.
  auto doc = Get("/api/v1/openapi.json", "");
  ASSERT_EQ(doc.status, 200);
  Json openapi = Json::parse(doc.body);
  for (const Tool& t : Tools()) EXPECT_TRUE(openapi["paths"].contains("/api/v1/" + t.route));
}

// A view whose Status waits until the test lets it go, so an answer can be
// held in flight.
class HeldView : public ColonyView {
 public:
  explicit HeldView(ColonyView& inner) : inner_(inner) {}
  storage::Store& telemetry() override { return inner_.telemetry(); }
  const Clock& clock() const override { return inner_.clock(); }
  coral::v1::GetStatusResponse Status() override {
    std::unique_lock lock(mu_);
    entered_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return released_; });
    return inner_.Status();
  }
  std::vector<coral::v1::AgentInfo> Agents() override { return inner_.Agents(); }
  Result<std::vector<auth::AuditEntry>> Audit(const auth::AuditQuery& query) override {
    return inner_.Audit(query);
  }
  bool WaitEntered() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return entered_; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  ColonyView& inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false, released_ = false;
};

TEST_P(RestApiTest, PastMaxRunningAnswersTheRestAreToldToRetry) {
  HeldView held(*view_);
  api_ = std::make_unique<RestApi>(held, *door_, "test", RestApiOptions{.max_running = 1});
  net::HttpResponse first;
  std::thread asking([&] { first = Get("/api/v1/status", viewer_); });
  ASSERT_TRUE(held.WaitEntered());
  auto busy = Get("/api/v1/services", viewer_);
  EXPECT_EQ(busy.status, 503) << busy.body;
  EXPECT_NE(busy.body.find("retry"), std::string::npos) << busy.body;
  EXPECT_NE(std::find(busy.headers.begin(), busy.headers.end(),
                      std::pair<std::string, std::string>{"Retry-After", "1"}),
            busy.headers.end());
  EXPECT_EQ(Get("/api/v1/services", "").status, 401);  // who asks is checked first
  held.Release();
  asking.join();
  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(Get("/api/v1/services", viewer_).status, 200);  // room again
  auto log = audit_->List({.limit = 10});
  ASSERT_TRUE(log.ok());
  bool refusal_audited = false;
  for (const auto& e : *log) {
    refusal_audited |= e.action == "api:services" && e.error.find("retry") != std::string::npos;
  }
  EXPECT_TRUE(refusal_audited);
}

INSTANTIATE_TEST_SUITE_P(Backends, RestApiTest, ::testing::Values("duckdb", "clickhouse"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace coral::analysis

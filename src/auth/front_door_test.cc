#include "auth/front_door.h"

#include <gtest/gtest.h>

#include "auth/test_control_store.h"

namespace coral::auth {
namespace {

using namespace std::chrono_literals;

class FrontDoorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenTestControlStore();
    ASSERT_NE(store_, nullptr);
    tokens_ = std::move(*TokenStore::Open(*store_, clock_));
    audit_ = std::make_unique<AuditLog>(*store_);
    policy_.Allow("rpc:GetSummary", Role::kViewer)
        .Allow("rpc:CreateJoinToken", Role::kOperator)
        .AllowKind("enroll", CallerKind::kEnrollee);
    door_ = std::make_unique<FrontDoor>(FrontDoorOptions{
        .resource = {.colony = "shop-prod-1a2b3c", .app = "shop", .env = "prod"},
        .verifiers = {LocalTokenVerifier("local-secret-token"), ApiTokenVerifier(*tokens_),
                      JoinTokenVerifier(*tokens_, "same-host-secret")},
        .policy = &policy_,
        .audit = audit_.get(),
        .clock = &clock_});
  }

  std::vector<AuditEntry> Audit() { return *audit_->List({.limit = 100}); }

  FakeClock clock_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<TokenStore> tokens_;
  std::unique_ptr<AuditLog> audit_;
  Policy policy_;
  std::unique_ptr<FrontDoor> door_;
};

TEST_F(FrontDoorTest, EachCredentialBecomesItsCallerAndEveryDecisionIsAudited) {
  auto viewer = tokens_->Create({.kind = TokenKind::kApi, .name = "ci", .role = Role::kViewer});
  auto staging = tokens_->Create({.kind = TokenKind::kApi, .scope = {.env = "staging"}});
  auto join = tokens_->Create({.kind = TokenKind::kJoin, .uses = 1});
  ASSERT_TRUE(viewer.ok() && staging.ok() && join.ok());
  struct Case {
    const char* name;
    Credentials credentials;
    const char* action;
    StatusCode code;
    const char* who;  // in the audit log
  };
  std::vector<Case> cases = {
      {"local operator",
       {.bearer = "local-secret-token"},
       "rpc:CreateJoinToken",
       StatusCode::kOk,
       "local operator"},
      {"viewer reads", {.bearer = viewer->text}, "rpc:GetSummary", StatusCode::kOk, "token api-"},
      {"viewer may not",
       {.bearer = viewer->text},
       "rpc:CreateJoinToken",
       StatusCode::kPermissionDenied,
       "token api-"},
      {"other scope",
       {.bearer = staging->text},
       "rpc:GetSummary",
       StatusCode::kPermissionDenied,
       "token api-"},
      {"nothing",
       {.remote = "10.1.1.1:9"},
       "rpc:GetSummary",
       StatusCode::kUnauthenticated,
       "unauthenticated (10.1.1.1:9)"},
      {"unknown bearer",
       {.bearer = "hello"},
       "rpc:GetSummary",
       StatusCode::kUnauthenticated,
       "unauthenticated"},
      {"join token", {.join_secret = join->secret}, "enroll", StatusCode::kOk, "join token "},
      {"same host",
       {.join_secret = "same-host-secret"},
       "enroll",
       StatusCode::kOk,
       "same-host agent"},
      {"join token reads",
       {.join_secret = join->secret},
       "rpc:GetSummary",
       StatusCode::kPermissionDenied,
       "join token "},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto pass = door_->Admit(c.credentials, c.action, R"({"k":1})");
    EXPECT_EQ(pass.ok() ? StatusCode::kOk : pass.status().code(), c.code)
        << (pass.ok() ? "" : pass.status().message());
    if (pass.ok()) door_->Finish(*pass, 12);
    auto last = Audit().front();
    EXPECT_EQ(last.action, c.action);
    EXPECT_EQ(last.who.rfind(c.who, 0), 0u) << last.who;
    EXPECT_EQ(last.allowed, c.code == StatusCode::kOk);
    if (c.code == StatusCode::kOk) {
      EXPECT_EQ(last.result_bytes, 12);
      EXPECT_EQ(last.arguments, R"({"k":1})");
    } else {
      EXPECT_FALSE(last.error.empty());
    }
    clock_.Advance(1ms);  // newest first needs distinct times
  }
}

TEST_F(FrontDoorTest, NoCredentialsNamesWhatToPresent) {
  auto caller = door_->Authenticate({}, "mcp");
  ASSERT_EQ(caller.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(caller.status().message().find("coral colony token create"), std::string::npos);
}

}  // namespace
}  // namespace coral::auth

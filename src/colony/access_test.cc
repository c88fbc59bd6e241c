#include "colony/access.h"

#include <gtest/gtest.h>

#include "base/temp_dir.h"
#include "colony/control_schema.h"

namespace coral::colony {
namespace {

using namespace std::chrono_literals;

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::OpenStore("duckdb://" + (dir_.path() / "control.duckdb").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->Migrate(ControlMigrations()).ok());
    auto ac = AccessControl::Open(*store_, clock_);
    ASSERT_TRUE(ac.ok()) << ac.status().ToString();
    access_ = std::move(*ac);
  }

  TempDir dir_{"coral-access"};
  FakeClock clock_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<AccessControl> access_;
};

TEST_F(AccessTest, ATokenAuthenticatesAsItsRoleUntilRevokedOrExpired) {
  auto viewer = access_->CreateToken(Role::kViewer, 0s, "claude");
  ASSERT_TRUE(viewer.ok()) << viewer.status().ToString();
  EXPECT_EQ(viewer->token.rfind("coralapi1_" + viewer->record.id + "_", 0), 0u);
  EXPECT_TRUE(access_->IsApiTokenId(viewer->record.id));
  auto caller = access_->Authenticate(viewer->token);
  ASSERT_TRUE(caller.ok()) << caller.status().ToString();
  EXPECT_EQ(caller->role, Role::kViewer);
  EXPECT_EQ(caller->who, "token " + viewer->record.id + " (claude)");

  // Only the hash is stored: the secret is nowhere in the store.
  std::string secret = viewer->token.substr(viewer->token.rfind('_') + 1);
  auto rows = store_->Query("SELECT count(*) FROM api_tokens WHERE secret_hash LIKE ?",
                            {"%" + secret + "%"});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(std::get<int64_t>(rows->rows[0][0]), 0);

  std::string wrong = viewer->token;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  EXPECT_EQ(access_->Authenticate(wrong).status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(access_->Authenticate("Bearer nonsense").status().code(), StatusCode::kUnauthenticated);

  ASSERT_TRUE(access_->RevokeToken(viewer->record.id).ok());
  auto revoked = access_->Authenticate(viewer->token);
  EXPECT_EQ(revoked.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(revoked.status().message().find("was revoked"), std::string::npos);

  auto brief = access_->CreateToken(Role::kAdmin, 60s, "");
  ASSERT_TRUE(brief.ok());
  clock_.Advance(61s);
  auto expired = access_->Authenticate(brief->token);
  EXPECT_NE(expired.status().message().find("expired at"), std::string::npos);
  EXPECT_EQ(access_->RevokeToken("api-nothere").status().code(), StatusCode::kNotFound);
}

TEST_F(AccessTest, TokensSurviveARestart) {
  auto t = access_->CreateToken(Role::kOperator, 0s, "ci");
  ASSERT_TRUE(t.ok());
  auto reopened = AccessControl::Open(*store_, clock_);
  ASSERT_TRUE(reopened.ok());
  auto caller = (*reopened)->Authenticate(t->token);
  ASSERT_TRUE(caller.ok()) << caller.status().ToString();
  EXPECT_EQ(caller->role, Role::kOperator);
  ASSERT_EQ((*reopened)->Tokens().size(), 1u);
  EXPECT_EQ(ApiTokenState((*reopened)->Tokens()[0], clock_.Now()), "usable");
}

TEST(AccessPolicyTest, RolesAllowWhatTheyShouldAndDenyTheRest) {
  Caller viewer{"v", Role::kViewer}, op{"o", Role::kOperator}, admin{"a", Role::kAdmin};
  EXPECT_TRUE(AccessControl::Authorize(viewer, "tool:coral_query_sql").ok());
  EXPECT_TRUE(AccessControl::Authorize(viewer, "rpc:GetSummary").ok());
  auto denied = AccessControl::Authorize(viewer, "rpc:CreateJoinToken");
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(denied.message().find("needs operator"), std::string::npos) << denied.message();
  EXPECT_TRUE(AccessControl::Authorize(op, "rpc:CreateJoinToken").ok());
  EXPECT_FALSE(AccessControl::Authorize(op, "rpc:RevokeAgent").ok());
  EXPECT_FALSE(AccessControl::Authorize(op, "rpc:CreateApiToken").ok());
  // Anything the policy does not name is for admins only.
  EXPECT_FALSE(AccessControl::Authorize(op, "tool:coral_exec").ok());
  EXPECT_TRUE(AccessControl::Authorize(admin, "tool:coral_exec").ok());
  EXPECT_TRUE(AccessControl::Authorize(admin, "rpc:ListAudit").ok());
  EXPECT_FALSE(AccessControl::Authorize(viewer, "rpc:ListAudit").ok());
  EXPECT_EQ(ParseRole("root").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(AccessTest, TheAuditLogKeepsEveryDecisionNewestFirst) {
  access_->Record({.at = clock_.Now(),
                   .who = "token api-1",
                   .action = "tool:coral_query_sql",
                   .arguments = R"({"sql":"SELECT 1"})",
                   .allowed = true,
                   .result_bytes = 42,
                   .duration_ms = 3.5});
  clock_.Advance(1s);
  access_->Record({.at = clock_.Now(),
                   .who = "token api-1",
                   .action = "rpc:CreateApiToken",
                   .arguments = std::string(5000, 'x'),
                   .allowed = false,
                   .error = "needs admin"});
  auto log = access_->AuditLog(10, std::nullopt);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[0].action, "rpc:CreateApiToken");
  EXPECT_FALSE((*log)[0].allowed);
  EXPECT_EQ((*log)[0].error, "needs admin");
  EXPECT_LT((*log)[0].arguments.size(), 2100u);  // cut
  EXPECT_EQ((*log)[1].result_bytes, 42);
  EXPECT_DOUBLE_EQ((*log)[1].duration_ms, 3.5);
  auto recent = access_->AuditLog(10, clock_.Now() - 500ms);
  ASSERT_TRUE(recent.ok());
  EXPECT_EQ(recent->size(), 1u);

  // Retention drops what is older than the cut, and only that.
  ASSERT_TRUE(access_->PruneAuditLog(clock_.Now() - 500ms).ok());
  auto kept = access_->AuditLog(10, std::nullopt);
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ((*kept)[0].action, "rpc:CreateApiToken");
}

}  // namespace
}  // namespace coral::colony

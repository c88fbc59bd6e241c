#include "auth/policy.h"

#include <gtest/gtest.h>

namespace coral::auth {
namespace {

Policy TestPolicy() {
  Policy p;
  p.Allow("rpc:GetSummary", Role::kViewer)
      .Allow("tool:coral_query_sql", Role::kViewer)
      .Allow("rpc:CreateJoinToken", Role::kOperator)
      .Allow("rpc:GetStatus", Role::kViewer)
      .AllowKind("rpc:GetStatus", CallerKind::kAgent)
      .AllowKind("rpc:Heartbeat", CallerKind::kAgent, Policy::Record::kRefusalsOnly);
  return p;
}

Caller Person(Role role, Scope scope = {}) {
  return {.kind = CallerKind::kApiToken,
          .id = "api-1",
          .who = "token api-1",
          .grants = {{.role = role, .scope = std::move(scope)}}};
}

const Scope kProd{.colony = "shop-prod-4d5e6f", .app = "shop", .env = "prod"};

TEST(PolicyTest, RolesAllowWhatTheyShouldAndDenyTheRest) {
  Policy p = TestPolicy();
  Caller viewer = Person(Role::kViewer), op = Person(Role::kOperator), admin = Person(Role::kAdmin);
  EXPECT_TRUE(p.Authorize(viewer, "tool:coral_query_sql", kProd).ok());
  EXPECT_TRUE(p.Authorize(viewer, "rpc:GetSummary", kProd).ok());
  Status denied = p.Authorize(viewer, "rpc:CreateJoinToken", kProd);
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(denied.message().find("needs operator"), std::string::npos) << denied.message();
  EXPECT_TRUE(p.Authorize(op, "rpc:CreateJoinToken", kProd).ok());
  // Anything the policy does not name is for admins only.
  EXPECT_FALSE(p.Authorize(op, "tool:coral_exec", kProd).ok());
  EXPECT_TRUE(p.Authorize(admin, "tool:coral_exec", kProd).ok());
}

TEST(PolicyTest, AGrantCoversOnlyItsScope) {
  Policy p = TestPolicy();
  Caller staging_viewer = Person(Role::kViewer, {.env = "staging"});
  Status denied = p.Authorize(staging_viewer, "rpc:GetSummary", kProd);
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(denied.message().find("limited to env=staging"), std::string::npos) << denied.message();
  EXPECT_TRUE(p.Authorize(staging_viewer, "rpc:GetSummary",
                          {.colony = "shop-staging-1", .app = "shop", .env = "staging"})
                  .ok());
  // An admin of staging is nobody in prod.
  EXPECT_FALSE(p.Authorize(Person(Role::kAdmin, {.env = "staging"}), "rpc:GetSummary", kProd).ok());
  // Of several grants, the strongest that covers the target counts.
  Caller mixed = Person(Role::kViewer);
  mixed.grants.push_back({.role = Role::kOperator, .scope = {.env = "prod"}});
  EXPECT_TRUE(p.Authorize(mixed, "rpc:CreateJoinToken", kProd).ok());
  EXPECT_FALSE(p.Authorize(mixed, "rpc:CreateJoinToken", {.env = "dev"}).ok());
}

TEST(PolicyTest, ActionsReservedToAKindAreForThatKindOnly) {
  Policy p = TestPolicy();
  Caller agent{.kind = CallerKind::kAgent, .id = "web1", .who = "agent web1"};
  EXPECT_TRUE(p.Authorize(agent, "rpc:Heartbeat", kProd).ok());
  EXPECT_TRUE(p.Authorize(agent, "rpc:GetStatus", kProd).ok());
  EXPECT_FALSE(p.Authorize(agent, "rpc:GetSummary", kProd).ok());
  Status admin_heartbeat = p.Authorize(Person(Role::kAdmin), "rpc:Heartbeat", kProd);
  EXPECT_EQ(admin_heartbeat.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(admin_heartbeat.message().find("for agent callers only"), std::string::npos)
      << admin_heartbeat.message();
  EXPECT_FALSE(p.Recorded(agent, "rpc:Heartbeat"));
  EXPECT_TRUE(p.Recorded(agent, "rpc:GetStatus"));
  EXPECT_TRUE(p.Recorded(Person(Role::kAdmin), "rpc:Heartbeat"));
  EXPECT_EQ(p.LeastRole("rpc:CreateJoinToken"), Role::kOperator);
  EXPECT_EQ(p.LeastRole("rpc:Heartbeat"), std::nullopt);
}

}  // namespace
}  // namespace coral::auth

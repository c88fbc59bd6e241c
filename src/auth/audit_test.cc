#include "auth/audit.h"

#include <gtest/gtest.h>

#include "auth/test_control_store.h"

namespace coral::auth {
namespace {

using namespace std::chrono_literals;

TEST(AuditLogTest, KeepsEveryDecisionNewestFirstAndPrunes) {
  auto store = OpenTestControlStore();
  ASSERT_NE(store, nullptr);
  AuditLog log(*store);
  FakeClock clock;
  log.Record({.at = clock.Now(),
              .who = "token api-1",
              .action = "tool:coral_query_sql",
              .arguments = R"({"sql":"SELECT 1"})",
              .allowed = true,
              .result_bytes = 42,
              .duration_ms = 3.5});
  clock.Advance(1s);
  log.Record({.at = clock.Now(),
              .who = "token api-1",
              .action = "rpc:CreateApiToken",
              .arguments = std::string(5000, 'x'),
              .allowed = false,
              .error = "needs admin"});
  auto all = log.List({.limit = 10});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].action, "rpc:CreateApiToken");
  EXPECT_FALSE((*all)[0].allowed);
  EXPECT_EQ((*all)[0].error, "needs admin");
  EXPECT_LT((*all)[0].arguments.size(), kMaxAuditArguments + 20);  // cut
  EXPECT_EQ((*all)[1].result_bytes, 42);
  EXPECT_DOUBLE_EQ((*all)[1].duration_ms, 3.5);
  auto recent = log.List({.limit = 10, .since = clock.Now() - 500ms});
  ASSERT_TRUE(recent.ok());
  EXPECT_EQ(recent->size(), 1u);
  auto by_action = log.List({.limit = 10, .action = "coral_query"});
  ASSERT_TRUE(by_action.ok());
  ASSERT_EQ(by_action->size(), 1u);
  EXPECT_EQ((*by_action)[0].action, "tool:coral_query_sql");
  EXPECT_EQ(log.List({.limit = 10, .who = "api-2"})->size(), 0u);
  // A filter is plain text: no wildcards.
  EXPECT_EQ(log.List({.limit = 10, .action = "%"})->size(), 0u);
  EXPECT_FALSE(log.List({.limit = 0}).ok());
  ASSERT_TRUE(log.Prune(clock.Now()).ok());
  EXPECT_EQ(log.List({.limit = 10})->size(), 1u);
}

}  // namespace
}  // namespace coral::auth

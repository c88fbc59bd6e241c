#include "auth/tokens.h"

#include <gtest/gtest.h>

#include "auth/test_control_store.h"

namespace coral::auth {
namespace {

using namespace std::chrono_literals;

class TokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenTestControlStore();
    ASSERT_NE(store_, nullptr);
    auto tokens = TokenStore::Open(*store_, clock_);
    ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
    tokens_ = std::move(*tokens);
  }

  FakeClock clock_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<TokenStore> tokens_;
};

// The lifecycle every kind shares, as a table: how a token is made, what
// happens to it, and what checking it then says.
TEST_F(TokensTest, EveryKindSharesOneLifecycle) {
  struct Case {
    const char* name;
    TokenSpec spec;
    std::function<void(TokenStore&, FakeClock&, const TokenRecord&)> then;
    const char* error;  // "" when still usable
  };
  std::vector<Case> cases = {
      {"api usable", {.kind = TokenKind::kApi, .role = Role::kOperator}, nullptr, ""},
      {"join usable", {.kind = TokenKind::kJoin, .uses = 2}, nullptr, ""},
      {"api revoked",
       {.kind = TokenKind::kApi},
       [](TokenStore& t, FakeClock&, const TokenRecord& r) {
         ASSERT_TRUE(t.Revoke(TokenKind::kApi, r.id).ok());
       },
       "was revoked at"},
      {"join revoked",
       {.kind = TokenKind::kJoin},
       [](TokenStore& t, FakeClock&, const TokenRecord& r) {
         ASSERT_TRUE(t.Revoke(TokenKind::kJoin, r.id).ok());
       },
       "was revoked at"},
      {"api expired",
       {.kind = TokenKind::kApi, .ttl = 60s},
       [](TokenStore&, FakeClock& c, const TokenRecord&) { c.Advance(61s); },
       "expired at"},
      {"join expired",
       {.kind = TokenKind::kJoin, .ttl = 60s},
       [](TokenStore&, FakeClock& c, const TokenRecord&) { c.Advance(60s); },
       "expired at"},
      {"join used up",
       {.kind = TokenKind::kJoin, .uses = 1},
       [this](TokenStore& t, FakeClock&, const TokenRecord& r) {
         ASSERT_TRUE(t.CountUse(*store_, r.id).ok());
         t.Used(r.id);
       },
       "is used up"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto made = tokens_->Create(c.spec);
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    if (c.then) c.then(*tokens_, clock_, made->record);
    auto checked = tokens_->Check(c.spec.kind, made->text);
    if (std::string(c.error).empty()) {
      ASSERT_TRUE(checked.ok()) << checked.status().ToString();
      EXPECT_EQ(checked->id, made->record.id);
      EXPECT_EQ(checked->role, c.spec.role);
    } else {
      EXPECT_EQ(checked.status().code(), StatusCode::kUnauthenticated);
      EXPECT_NE(checked.status().message().find(c.error), std::string::npos)
          << checked.status().message();
    }
    // Either way the state survives a restart.
    auto reopened = TokenStore::Open(*store_, clock_);
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    auto again = (*reopened)->Check(c.spec.kind, made->text);
    EXPECT_EQ(again.ok(), checked.ok());
  }
}

TEST_F(TokensTest, OnlyTheHashIsStoredAndKindsDoNotMix) {
  auto api = tokens_->Create({.kind = TokenKind::kApi, .name = "claude", .scope = {.env = "dev"}});
  auto join = tokens_->Create({.kind = TokenKind::kJoin, .name = "web"});
  ASSERT_TRUE(api.ok() && join.ok());
  EXPECT_EQ(api->text.rfind("coralapi1_" + api->record.id + "_", 0), 0u);
  EXPECT_EQ(join->text, join->secret);
  for (const auto* t : {&*api, &*join}) {
    auto rows = store_->Query("SELECT count(*) FROM tokens WHERE secret_hash LIKE ? OR id LIKE ?",
                              {"%" + t->secret + "%", "%" + t->secret + "%"});
    ASSERT_TRUE(rows.ok());
    EXPECT_EQ(std::get<int64_t>(rows->rows[0][0]), 0);
  }
  // A join secret is no API token and the other way round.
  EXPECT_FALSE(tokens_->Check(TokenKind::kApi, join->text).ok());
  EXPECT_FALSE(tokens_->Check(TokenKind::kJoin, api->secret).ok());
  EXPECT_FALSE(tokens_->Check(TokenKind::kJoin, api->text).ok());
  // An API token's id must match its secret's.
  auto other = tokens_->Create({.kind = TokenKind::kApi});
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(
      tokens_->Check(TokenKind::kApi, "coralapi1_" + other->record.id + "_" + api->secret).ok());
  std::string wrong = api->text;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  EXPECT_FALSE(tokens_->Check(TokenKind::kApi, wrong).ok());
  EXPECT_FALSE(tokens_->Check(TokenKind::kApi, "Bearer nonsense").ok());
  EXPECT_FALSE(tokens_->Check(TokenKind::kApi, "coralapi1_nounderscore").ok());

  ASSERT_EQ(tokens_->List(TokenKind::kApi).size(), 2u);
  ASSERT_EQ(tokens_->List(TokenKind::kJoin).size(), 1u);
  for (const TokenRecord& t : tokens_->List(TokenKind::kApi)) {
    EXPECT_EQ(t.scope.env, t.id == api->record.id ? "dev" : "") << t.id;
  }
  EXPECT_EQ(tokens_->Revoke(TokenKind::kJoin, api->record.id).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(tokens_->Revoke(TokenKind::kApi, "api-nothere").status().code(), StatusCode::kNotFound);
}

TEST_F(TokensTest, BadSpecsAreRefused) {
  EXPECT_EQ(tokens_->Create({.ttl = -1s}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(tokens_->Create({.kind = TokenKind::kJoin, .uses = -1}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(tokens_->Create({.name = std::string(201, 'n')}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(tokens_->List(TokenKind::kApi).empty());
}

}  // namespace
}  // namespace coral::auth

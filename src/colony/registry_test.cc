#include "colony/registry.h"

#include <gtest/gtest.h>

#include "base/temp_dir.h"
#include "colony/control_schema.h"
#include "crypto/ca.h"
#include "mesh/join_token.h"

namespace coral::colony {
namespace {

using std::chrono::seconds;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::OpenStore("duckdb://" + (dir_.path() / "control.duckdb").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->Migrate(ControlMigrations()).ok());
    Reopen();
    auto ca = crypto::CertificateAuthority::Create("test", 1);
    ASSERT_TRUE(ca.ok());
    ca_ = std::make_unique<crypto::CertificateAuthority>(std::move(*ca));
  }

  void Reopen() {
    registry_.reset();
    tokens_ = std::move(*auth::TokenStore::Open(*store_, clock_));
    auto r = Registry::Open(*store_, *mesh::ParseIpv4Prefix(range_), *tokens_, clock_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    registry_ = std::move(*r);
  }

  // Issues a real certificate for the address, as the colony does.
  CertIssuer Issuer(const std::string& agent_id) {
    return [this, agent_id](const std::string& ip) -> Result<std::string> {
      auto req = CORAL_TRY(crypto::NewKeyAndCsr(agent_id));
      return ca_->IssueForCsr(req.csr_pem, {.common_name = agent_id, .ip_addresses = {ip}});
    };
  }

  // As the front door hands it on: the join token's id, or "same-host".
  Result<Enrolled> Enroll(const std::string& token_id, const std::string& agent_id,
                          const std::string& wg_key = "key-a") {
    return registry_->Enroll({.token_id = token_id,
                              .agent_id = agent_id,
                              .hostname = "host-" + agent_id,
                              .version = "0.1",
                              .wireguard_public_key = wg_key},
                             Issuer(agent_id));
  }

  TempDir dir_{"coral-registry"};
  FakeClock clock_;
  std::string range_ = "100.97.0.0/16";
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<auth::TokenStore> tokens_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<crypto::CertificateAuthority> ca_;
};

TEST_F(RegistryTest, ATokenEnrollsUpToItsUses) {
  auto token = tokens_->Create({.kind = auth::TokenKind::kJoin, .name = "ci", .uses = 2});
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  const std::string& id = token->record.id;
  auto a = Enroll(id, "agent-a");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->agent.mesh_ip, "100.97.0.2");
  auto b = Enroll(id, "agent-b");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->agent.mesh_ip, "100.97.0.3");
  // The door let it through before the second use landed: the registry
  // counts, so the third agent is refused all the same.
  auto c = Enroll(id, "agent-c");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("used up (2 of 2 uses)"), std::string::npos)
      << c.status().message();
  Reopen();  // the count is stored with the enrollments
  EXPECT_EQ(auth::StateOf(tokens_->List(auth::TokenKind::kJoin)[0], clock_.Now()),
            auth::TokenState::kUsedUp);
}

TEST_F(RegistryTest, ExpiredAndRevokedTokensAreRefusedSayingWhy) {
  auto expiring = tokens_->Create({.kind = auth::TokenKind::kJoin, .ttl = seconds(60)});
  auto revoked = tokens_->Create({.kind = auth::TokenKind::kJoin});
  ASSERT_TRUE(expiring.ok() && revoked.ok());
  ASSERT_TRUE(tokens_->Revoke(auth::TokenKind::kJoin, revoked->record.id).ok());
  clock_.Advance(seconds(61));
  auto e = Enroll(expiring->record.id, "agent-a");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("expired at"), std::string::npos) << e.status().message();
  auto r = Enroll(revoked->record.id, "agent-a");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("was revoked"), std::string::npos) << r.status().message();
  EXPECT_FALSE(Enroll("nothere", "agent-a").ok());
  EXPECT_TRUE(registry_->Agents().empty());
}

// Tokens made before join and API tokens shared a table keep working after
// the migration that merged them.
TEST(ControlMigrationTest, TokensOfBothOldTablesMoveIntoOneAndStillAuthenticate) {
  auto store = std::move(*storage::OpenStore("duckdb://:memory:"));
  auto migrations = ControlMigrations();
  ASSERT_TRUE(store->Migrate(migrations.subspan(0, 2)).ok());
  ASSERT_TRUE(store
                  ->Execute("INSERT INTO join_tokens VALUES ('j1', 'web', ?, "
                            "TIMESTAMP '2026-11-01 10:00:00', NULL, 3, 1, NULL)",
                            {mesh::HashSecret("join-secret")})
                  .ok());
  ASSERT_TRUE(store
                  ->Execute("INSERT INTO api_tokens VALUES ('api-1a2b3c4d', 'claude', 'operator', "
                            "?, 1700000000000000, NULL, NULL)",
                            {mesh::HashSecret("api-secret")})
                  .ok());
  ASSERT_TRUE(store->Migrate(migrations).ok());
  FakeClock clock(FromUnixMicros(1'800'000'000'000'000));
  auto tokens = std::move(*auth::TokenStore::Open(*store, clock));
  auto join = tokens->Check(auth::TokenKind::kJoin, "join-secret");
  ASSERT_TRUE(join.ok()) << join.status().ToString();
  EXPECT_EQ(join->id, "j1");
  EXPECT_EQ(join->uses, 1);
  EXPECT_EQ(join->uses_allowed, 3);
  EXPECT_EQ(FormatRfc3339(join->created_at), "2026-11-01T10:00:00.000000Z");
  auto api = tokens->Check(auth::TokenKind::kApi, "coralapi1_api-1a2b3c4d_api-secret");
  ASSERT_TRUE(api.ok()) << api.status().ToString();
  EXPECT_EQ(api->role, auth::Role::kOperator);
  EXPECT_TRUE(api->scope.everything());
  EXPECT_FALSE(store->Query("SELECT * FROM join_tokens").ok());
}

TEST_F(RegistryTest, TheSameAgentKeepsItsAddressAcrossReenrollmentAndRestarts) {
  auto a = Enroll("same-host", "agent-a", "key-1");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = Enroll("same-host", "agent-b");
  ASSERT_TRUE(b.ok());
  Reopen();  // a colony restart
  auto again = Enroll("same-host", "agent-a", "key-2");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->agent.mesh_ip, a->agent.mesh_ip);
  EXPECT_EQ(again->replaced_wireguard_key, "key-1");
  // Only the newest certificate authenticates.
  EXPECT_FALSE(registry_->Authenticate("agent-a", a->agent.cert_fingerprint).ok());
  EXPECT_TRUE(registry_->Authenticate("agent-a", again->agent.cert_fingerprint).ok());
  EXPECT_EQ(registry_->Agents().size(), 2u);
}

TEST_F(RegistryTest, StateFollowsTheLastHeartbeat) {
  auto a = Enroll("same-host", "agent-a");
  ASSERT_TRUE(a.ok());
  auto state = [&] { return StateOf(*registry_->Agent("agent-a"), clock_.Now()); };
  EXPECT_EQ(state(), AgentState::kEnrolled);
  ASSERT_TRUE(registry_->MarkSeen("agent-a", "h", "0.2", 9001).ok());
  EXPECT_EQ(state(), AgentState::kHealthy);
  clock_.Advance(seconds(30));
  EXPECT_EQ(state(), AgentState::kHealthy);
  clock_.Advance(seconds(1));
  EXPECT_EQ(state(), AgentState::kDegraded);
  clock_.Advance(seconds(89));
  EXPECT_EQ(state(), AgentState::kDegraded);
  clock_.Advance(seconds(1));
  EXPECT_EQ(state(), AgentState::kUnhealthy);
  Reopen();  // last seen, version and port survive a restart
  EXPECT_EQ(state(), AgentState::kUnhealthy);
  EXPECT_EQ(registry_->Agent("agent-a")->api_port, 9001);
  EXPECT_EQ(registry_->Agent("agent-a")->version, "0.2");
}

TEST_F(RegistryTest, ARevokedAgentIsRefusedEverywhereForGood) {
  auto a = Enroll("same-host", "agent-a");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(registry_->RevokeAgent("agent-a").ok());
  Reopen();
  auto auth = registry_->Authenticate("agent-a", a->agent.cert_fingerprint);
  ASSERT_FALSE(auth.ok());
  EXPECT_NE(auth.status().message().find("was revoked by the colony"), std::string::npos);
  auto again = Enroll("same-host", "agent-a");
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("cannot enroll again"), std::string::npos);
  EXPECT_EQ(StateOf(*registry_->Agent("agent-a"), clock_.Now()), AgentState::kRevoked);
}

TEST_F(RegistryTest, AFullPoolIsAClearError) {
  range_ = "100.97.0.0/29";  // .2 to .6 for agents
  Reopen();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Enroll("same-host", "agent-" + std::to_string(i)).ok()) << i;
  }
  auto full = Enroll("same-host", "agent-9");
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(registry_->Agents().size(), 5u);
}

TEST_F(RegistryTest, BadAgentIdsAreRefusedBeforeAnyChange) {
  auto token = tokens_->Create({.kind = auth::TokenKind::kJoin, .uses = 1});
  ASSERT_TRUE(token.ok());
  for (const std::string& bad :
       std::vector<std::string>{"", "UPPER", "a/b", "-x", std::string(65, 'a')}) {
    auto r = Enroll(token->record.id, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(tokens_->List(auth::TokenKind::kJoin)[0].uses, 0);
}

}  // namespace
}  // namespace coral::colony

#include "colony/registry.h"

#include <gtest/gtest.h>

#include "base/temp_dir.h"
#include "crypto/ca.h"

namespace coral::colony {
namespace {

using std::chrono::seconds;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::OpenStore("duckdb://" + (dir_.path() / "control.duckdb").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    Reopen();
    auto ca = crypto::CertificateAuthority::Create("test", 1);
    ASSERT_TRUE(ca.ok());
    ca_ = std::make_unique<crypto::CertificateAuthority>(std::move(*ca));
  }

  void Reopen() {
    registry_.reset();
    auto r = Registry::Open(*store_, *mesh::ParseIpv4Prefix(range_), "same-host-secret", clock_);
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

  Result<Enrolled> Enroll(const std::string& secret, const std::string& agent_id,
                          const std::string& wg_key = "key-a") {
    return registry_->Enroll({.token_secret = secret,
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
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<crypto::CertificateAuthority> ca_;
};

TEST_F(RegistryTest, ATokenEnrollsUpToItsUsesAndKeepsOnlyItsHash) {
  auto token = registry_->CreateToken(seconds(3600), 2, "ci");
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->secret.size(), 64u);
  auto a = Enroll(token->secret, "agent-a");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->agent.mesh_ip, "100.97.0.2");
  auto b = Enroll(token->secret, "agent-b");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->agent.mesh_ip, "100.97.0.3");
  auto c = Enroll(token->secret, "agent-c");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(c.status().message().find("used up (2 of 2 uses)"), std::string::npos)
      << c.status().message();
  EXPECT_EQ(JoinTokenState(registry_->Tokens()[0], clock_.Now()), "used-up");

  // The store holds the hash, never the secret.
  auto rows = store_->Query("SELECT secret_hash FROM join_tokens");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(std::get<std::string>(rows->rows[0][0]), mesh::HashSecret(token->secret));
}

TEST_F(RegistryTest, ExpiredRevokedAndUnknownTokensAreRefusedSayingWhy) {
  auto expiring = registry_->CreateToken(seconds(60), 0, "");
  auto revoked = registry_->CreateToken(seconds(0), 0, "");
  ASSERT_TRUE(expiring.ok() && revoked.ok());
  ASSERT_TRUE(registry_->RevokeToken(revoked->record.id).ok());
  clock_.Advance(seconds(61));
  auto e = Enroll(expiring->secret, "agent-a");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("expired at"), std::string::npos) << e.status().message();
  auto r = Enroll(revoked->secret, "agent-a");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("was revoked"), std::string::npos) << r.status().message();
  auto u = Enroll(std::string(64, 'a'), "agent-a");
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.status().message().find("not one this colony issued"), std::string::npos);
  EXPECT_TRUE(registry_->Agents().empty());
  EXPECT_EQ(registry_->RevokeToken("nope").status().code(), StatusCode::kNotFound);
}

TEST_F(RegistryTest, TheSameAgentKeepsItsAddressAcrossReenrollmentAndRestarts) {
  auto a = Enroll("same-host-secret", "agent-a", "key-1");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = Enroll("same-host-secret", "agent-b");
  ASSERT_TRUE(b.ok());
  Reopen();  // a colony restart
  auto again = Enroll("same-host-secret", "agent-a", "key-2");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->agent.mesh_ip, a->agent.mesh_ip);
  EXPECT_EQ(again->replaced_wireguard_key, "key-1");
  // Only the newest certificate authenticates.
  EXPECT_FALSE(registry_->Authenticate("agent-a", a->agent.cert_fingerprint).ok());
  EXPECT_TRUE(registry_->Authenticate("agent-a", again->agent.cert_fingerprint).ok());
  EXPECT_EQ(registry_->Agents().size(), 2u);
}

TEST_F(RegistryTest, StateFollowsTheLastHeartbeat) {
  auto a = Enroll("same-host-secret", "agent-a");
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
  auto a = Enroll("same-host-secret", "agent-a");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(registry_->RevokeAgent("agent-a").ok());
  Reopen();
  auto auth = registry_->Authenticate("agent-a", a->agent.cert_fingerprint);
  ASSERT_FALSE(auth.ok());
  EXPECT_NE(auth.status().message().find("was revoked by the colony"), std::string::npos);
  auto again = Enroll("same-host-secret", "agent-a");
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("cannot enroll again"), std::string::npos);
  EXPECT_EQ(StateOf(*registry_->Agent("agent-a"), clock_.Now()), AgentState::kRevoked);
}

TEST_F(RegistryTest, AFullPoolIsAClearError) {
  range_ = "100.97.0.0/29";  // .2 to .6 for agents
  Reopen();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Enroll("same-host-secret", "agent-" + std::to_string(i)).ok()) << i;
  }
  auto full = Enroll("same-host-secret", "agent-9");
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(registry_->Agents().size(), 5u);
}

TEST_F(RegistryTest, BadAgentIdsAreRefusedBeforeAnyChange) {
  auto token = registry_->CreateToken(seconds(0), 1, "");
  ASSERT_TRUE(token.ok());
  for (const std::string& bad :
       std::vector<std::string>{"", "UPPER", "a/b", "-x", std::string(65, 'a')}) {
    auto r = Enroll(token->secret, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(registry_->Tokens()[0].uses, 0);
}

}  // namespace
}  // namespace coral::colony

#include "config/fields.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "base/files.h"
#include "base/ids.h"
#include "base/temp_dir.h"
#include "config/agent_config.h"
#include "config/colony_config.h"
#include "config/global_config.h"

namespace coral::config {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const char* v :
         {"CORAL_COLONY_API_GRPC_PORT", "CORAL_AGENT_STORE_RETENTION", "CORAL_COLONY",
          "CORAL_DEFAULT_COLONY", "CORAL_COLONY_PUBLIC_ENDPOINTS"}) {
      ::unsetenv(v);
    }
  }
  void Write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(WriteFileAtomic(dir_ / name, text, FileMode::kPublic).ok());
  }
  TempDir dir_{"coral-config-test"};
};

ColonyConfig SampleColony() {
  ColonyConfig c;
  c.id = "shop-prod-a1b2c3";
  c.app = "shop";
  c.env = "prod";
  c.created_at = "2026-11-21T18:00:00.000000Z";
  c.mesh_cidr = "100.97.0.0/16";
  c.mesh_ip = "100.97.0.1";
  c.wireguard_public_key = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";
  c.public_endpoints = {"10.0.0.5:8443", "shop.example:8443"};
  c.ca_fingerprint = "sha256:00";
  c.storage_url = "duckdb:///var/lib/coral/colony.duckdb";
  return c;
}

TEST_F(ConfigTest, ColonyConfigRoundTrips) {
  ASSERT_TRUE(SaveConfig(dir_ / "colony.yaml", SampleColony(), "colony").ok());
  auto loaded = LoadConfig<ColonyConfig>(dir_ / "colony.yaml", kColonyEnvPrefix, true);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->id, "shop-prod-a1b2c3");
  EXPECT_EQ(loaded->mesh_cidr, "100.97.0.0/16");
  EXPECT_EQ(loaded->grpc_port, kColonyGrpcPort);
  EXPECT_EQ(loaded->public_endpoints, SampleColony().public_endpoints);
  std::string text = *ReadFile(dir_ / "colony.yaml");
  EXPECT_NE(text.find("mesh:\n  cidr: 100.97.0.0/16"), std::string::npos) << text;
  EXPECT_NE(text.find("api:\n  grpc_port: 9000"), std::string::npos) << text;
}

TEST_F(ConfigTest, EnvironmentOverridesTheFile) {
  ASSERT_TRUE(SaveConfig(dir_ / "colony.yaml", SampleColony(), "").ok());
  ::setenv("CORAL_COLONY_API_GRPC_PORT", "9100", 1);
  ::setenv("CORAL_COLONY_PUBLIC_ENDPOINTS", "a:1,b:2", 1);
  auto loaded = LoadConfig<ColonyConfig>(dir_ / "colony.yaml", kColonyEnvPrefix, true);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->grpc_port, 9100);
  EXPECT_EQ(loaded->public_endpoints, (std::vector<std::string>{"a:1", "b:2"}));
}

TEST_F(ConfigTest, BadEnvironmentValueNamesVariableFileAndKey) {
  ASSERT_TRUE(SaveConfig(dir_ / "colony.yaml", SampleColony(), "").ok());
  ::setenv("CORAL_COLONY_API_GRPC_PORT", "lots", 1);
  auto loaded = LoadConfig<ColonyConfig>(dir_ / "colony.yaml", kColonyEnvPrefix, true);
  ASSERT_FALSE(loaded.ok());
  const std::string& m = loaded.status().message();
  EXPECT_NE(m.find("CORAL_COLONY_API_GRPC_PORT"), std::string::npos) << m;
  EXPECT_NE(m.find("colony.yaml"), std::string::npos) << m;
  EXPECT_NE(m.find("'api.grpc_port'"), std::string::npos) << m;
  EXPECT_NE(m.find("got 'lots'"), std::string::npos) << m;
}

TEST_F(ConfigTest, ValidationErrorsNameFileKeyAndProblem) {
  Write("agent.yaml",
        "api:\n  grpc_port: 70000\nstore:\n  retention: 5x\n  max_mb: 64\nhost_metric:\n  "
        "interval: 1s\n");
  auto loaded = LoadConfig<AgentConfig>(dir_ / "agent.yaml", kAgentEnvPrefix, true);
  ASSERT_FALSE(loaded.ok());
  const std::string& m = loaded.status().message();
  EXPECT_NE(m.find("agent.yaml: key 'api.grpc_port': expected a whole number from 1 to 65535, "
                   "got '70000'"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("key 'store.retention'"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown key 'host_metric.interval'"), std::string::npos) << m;
}

TEST_F(ConfigTest, YamlSyntaxErrorsGiveLineAndColumn) {
  Write("config.yaml", "default_colony: [unclosed\n");
  auto loaded = LoadConfig<GlobalConfig>(dir_ / "config.yaml", kGlobalEnvPrefix, true);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("config.yaml:"), std::string::npos);
  EXPECT_NE(loaded.status().message().find("invalid YAML"), std::string::npos);
}

TEST_F(ConfigTest, MissingFileGivesDefaultsUnlessRequired) {
  auto agent = LoadConfig<AgentConfig>(dir_ / "none.yaml", kAgentEnvPrefix, false);
  ASSERT_TRUE(agent.ok());
  EXPECT_EQ(agent->grpc_port, 9001);
  EXPECT_EQ(agent->retention, std::chrono::hours(1));
  auto required = LoadConfig<AgentConfig>(dir_ / "none.yaml", kAgentEnvPrefix, true);
  EXPECT_EQ(required.status().code(), StatusCode::kNotFound);
}

TEST_F(ConfigTest, DurationsAndEnvOnAgent) {
  ::setenv("CORAL_AGENT_STORE_RETENTION", "2h", 1);
  auto agent = LoadConfig<AgentConfig>(dir_ / "none.yaml", kAgentEnvPrefix, false);
  ASSERT_TRUE(agent.ok());
  EXPECT_EQ(agent->retention, std::chrono::hours(2));
  ASSERT_TRUE(SaveConfig(dir_ / "agent.yaml", *agent, "").ok());
  EXPECT_NE(ReadFile(dir_ / "agent.yaml")->find("retention: 2h"), std::string::npos);
}

TEST_F(ConfigTest, OverridesCanBeIgnoredForLoadModifySave) {
  Write("config.yaml", "default_colony: shop-dev-abcdef\n");
  ::setenv("CORAL_DEFAULT_COLONY", "shop-prod-012345", 1);
  auto g =
      LoadConfig<GlobalConfig>(dir_ / "config.yaml", kGlobalEnvPrefix, true, Overrides::kIgnore);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->default_colony, "shop-dev-abcdef");
}

TEST_F(ConfigTest, CrossFieldValidation) {
  ColonyConfig c = SampleColony();
  c.env = "dev";  // id says prod
  ASSERT_TRUE(SaveConfig(dir_ / "colony.yaml", c, "").ok());
  auto loaded = LoadConfig<ColonyConfig>(dir_ / "colony.yaml", kColonyEnvPrefix, true);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("does not match"), std::string::npos);
  c = SampleColony();
  c.storage_url = "postgres://x";
  ASSERT_TRUE(SaveConfig(dir_ / "colony.yaml", c, "").ok());
  EXPECT_FALSE(LoadConfig<ColonyConfig>(dir_ / "colony.yaml", kColonyEnvPrefix, true).ok());
}

TEST_F(ConfigTest, GlobalDefaultColonyIsCheckedAndOverridable) {
  Write("config.yaml", "default_colony: not-an-id\n");
  EXPECT_FALSE(LoadConfig<GlobalConfig>(dir_ / "config.yaml", kGlobalEnvPrefix, true).ok());
  Write("config.yaml", "default_colony: shop-dev-abcdef\n");
  ::setenv("CORAL_DEFAULT_COLONY", "shop-prod-012345", 1);
  auto g = LoadConfig<GlobalConfig>(dir_ / "config.yaml", kGlobalEnvPrefix, true);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->default_colony, "shop-prod-012345");
}

}  // namespace
}  // namespace coral::config

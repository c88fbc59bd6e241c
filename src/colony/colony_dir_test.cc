#include "colony/colony_dir.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "base/files.h"
#include "base/ids.h"
#include "config/colonies.h"
#include "crypto/ca.h"
#include "crypto/keys.h"
#include "mesh/addressing.h"

namespace coral::colony {
namespace {

class ColonyDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() / ("coral-colony-test-" + RandomHex(6));
    home_ = std::make_unique<config::Home>(root_);
    ::unsetenv("CORAL_COLONY");
    ::unsetenv("CORAL_DEFAULT_COLONY");
  }
  void TearDown() override {
    (void)RemoveAll(root_);
    ::unsetenv("CORAL_COLONY");
    ::unsetenv("CORAL_DEFAULT_COLONY");
  }
  std::filesystem::path root_;
  std::unique_ptr<config::Home> home_;
};

TEST_F(ColonyDirTest, CreatesIdentityWithPrivateSecrets) {
  auto c = CreateColony(*home_, {.app = "shop", .env = "prod"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->id.rfind("shop-prod-", 0), 0u);
  auto dir = home_->colony_dir(c->id);
  for (const char* secret : {"wireguard.key", "ca.key", "colony.secret"}) {
    EXPECT_EQ(*FilePermissions(dir / secret), 0600u) << secret;
  }
  EXPECT_EQ(*FilePermissions(dir / "ca.crt"), 0644u);
  EXPECT_EQ(*FilePermissions(dir), 0700u);

  // The public key in the config belongs to the private key on disk.
  std::string key_text = *ReadFile(dir / "wireguard.key");
  key_text.pop_back();
  crypto::PrivateKey key(*crypto::KeyFromBase64(key_text));
  EXPECT_EQ(crypto::KeyToBase64(crypto::DerivePublicKey(key).bytes), c->wireguard_public_key);
  // The fingerprint in the config is the CA certificate's.
  EXPECT_EQ(*crypto::CertificateFingerprint(*ReadFile(dir / "ca.crt")), c->ca_fingerprint);
  // The mesh range comes from the id; the colony is .1.
  EXPECT_EQ(c->mesh_cidr, mesh::ColonyMeshRange(c->id).ToString());
  EXPECT_EQ(*mesh::ParseIpv4(c->mesh_ip), mesh::ColonyMeshRange(c->id).address | 1);
  EXPECT_EQ(c->storage_url, "duckdb://" + (dir / "colony.duckdb").string());
  // It reads back, and it became the default.
  auto loaded = config::LoadColony(*home_, c->id);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->wireguard_public_key, c->wireguard_public_key);
  auto selected = config::SelectColony(*home_, "");
  ASSERT_TRUE(selected.ok());
  EXPECT_EQ(selected->id, c->id);
  EXPECT_EQ(selected->source, config::ColonySource::kConfig);
}

TEST_F(ColonyDirTest, RefusesToOverwriteWithoutReplace) {
  auto first = CreateColony(*home_, {.app = "shop", .env = "dev"});
  ASSERT_TRUE(first.ok());
  auto again = CreateColony(*home_, {.app = "shop", .env = "dev"});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(again.status().message().find(first->id), std::string::npos);
  EXPECT_NE(again.status().message().find("--force"), std::string::npos);
  // The first colony is untouched.
  EXPECT_EQ(config::LoadColony(*home_, first->id)->ca_fingerprint, first->ca_fingerprint);
  // Another env is a different colony.
  EXPECT_TRUE(CreateColony(*home_, {.app = "shop", .env = "prod"}).ok());
  EXPECT_EQ(config::ListColonies(*home_)->size(), 2u);
}

TEST_F(ColonyDirTest, ReplaceDeletesTheOldColonyAndMovesTheDefault) {
  auto first = CreateColony(*home_, {.app = "shop", .env = "dev"});
  ASSERT_TRUE(first.ok());
  auto second = CreateColony(*home_, {.app = "shop", .env = "dev", .replace = Replace::kYes});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_NE(second->id, first->id);
  EXPECT_FALSE(std::filesystem::exists(home_->colony_dir(first->id)));
  auto all = config::ListColonies(*home_);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(config::SelectColony(*home_, "")->id, second->id);
}

TEST_F(ColonyDirTest, SelectionPrecedence) {
  auto a = *CreateColony(*home_, {.app = "aaa", .env = "dev"});
  auto b = *CreateColony(*home_, {.app = "bbb", .env = "dev"});
  EXPECT_EQ(config::SelectColony(*home_, "")->id, a.id);  // first one became the default
  ASSERT_TRUE(config::SetDefaultColony(*home_, b.id).ok());
  EXPECT_EQ(config::SelectColony(*home_, "")->id, b.id);
  ::setenv("CORAL_COLONY", a.id.c_str(), 1);
  EXPECT_EQ(config::SelectColony(*home_, "")->source, config::ColonySource::kEnvironment);
  EXPECT_EQ(config::SelectColony(*home_, "")->id, a.id);
  EXPECT_EQ(config::SelectColony(*home_, b.id)->source, config::ColonySource::kFlag);
  auto missing = config::SelectColony(*home_, "zzz-dev-000000");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("coral colony list"), std::string::npos);
}

TEST_F(ColonyDirTest, EmptyHomeExplainsWhatToDo) {
  auto selected = config::SelectColony(*home_, "");
  ASSERT_FALSE(selected.ok());
  EXPECT_NE(selected.status().message().find("coral init"), std::string::npos);
  EXPECT_TRUE(config::ListColonies(*home_)->empty());
  EXPECT_EQ(config::SetDefaultColony(*home_, "shop-dev-000000").code(), StatusCode::kNotFound);
}

TEST_F(ColonyDirTest, LeftoversOfACrashedCreateAreIgnored) {
  ASSERT_TRUE(
      MakeDirs(home_->colonies_dir() / ".creating-shop-dev-abcdef", FileMode::kPrivate).ok());
  ASSERT_TRUE(MakeDirs(home_->colonies_dir() / "not-a-colony", FileMode::kPrivate).ok());
  EXPECT_TRUE(config::ListColonies(*home_)->empty());
  EXPECT_TRUE(CreateColony(*home_, {.app = "shop", .env = "dev"}).ok());
  EXPECT_EQ(config::ListColonies(*home_)->size(), 1u);
}

TEST_F(ColonyDirTest, BadNamesAreRejectedBeforeAnythingIsWritten) {
  auto bad = CreateColony(*home_, {.app = "Shop!", .env = "dev"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(root_));
}

TEST_F(ColonyDirTest, EnvOverrideIsNotWrittenToTheGlobalConfig) {
  auto a = *CreateColony(*home_, {.app = "aaa", .env = "dev"});
  auto b = *CreateColony(*home_, {.app = "bbb", .env = "dev"});
  ::setenv("CORAL_DEFAULT_COLONY", b.id.c_str(), 1);
  auto c = *CreateColony(*home_, {.app = "ccc", .env = "dev"});
  (void)c;
  std::string text = *ReadFile(home_->global_config());
  EXPECT_NE(text.find(a.id), std::string::npos) << text;
  EXPECT_EQ(text.find(b.id), std::string::npos) << text;
}

}  // namespace
}  // namespace coral::colony

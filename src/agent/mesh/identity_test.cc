#include "agent/mesh/identity.h"

#include <gtest/gtest.h>

#include "base/files.h"
#include "base/temp_dir.h"

namespace coral::agent {
namespace {

MeshIdentity Sample(const std::string& mesh_ip) {
  MeshIdentity m;
  m.colony_id = "shop-prod-abc123";
  m.agent_id = "web-1-a1b2c3";
  m.mesh_ip = mesh_ip;
  m.mesh_cidr = "100.97.0.0/16";
  m.colony_mesh_ip = "100.97.0.1";
  m.colony_public_key = "colony-key";
  m.colony_endpoint = "10.0.0.5:41580";
  m.colony_public_endpoints = {"10.0.0.5:8443", "colony.example:8443"};
  m.enrolled_at = "2026-11-21T10:00:00Z";
  m.same_host = true;
  m.wireguard_private_key = "wg-private";
  m.tls_key_pem = "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n";
  m.tls_cert_pem = "cert";
  m.ca_pem = "ca";
  return m;
}

TEST(MeshIdentityTest, RoundTripsWithSecretsOwnerOnly) {
  TempDir dir("coral-identity");
  EXPECT_FALSE(HasMeshIdentity(dir.path()));
  ASSERT_TRUE(SaveMeshIdentity(dir.path(), Sample("100.97.0.7")).ok());
  ASSERT_TRUE(HasMeshIdentity(dir.path()));
  auto m = LoadMeshIdentity(dir.path());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->mesh_ip, "100.97.0.7");
  EXPECT_EQ(m->colony_public_endpoints, Sample("").colony_public_endpoints);
  EXPECT_TRUE(m->same_host);
  EXPECT_EQ(m->wireguard_private_key, "wg-private");
  EXPECT_EQ(m->tls_key_pem, Sample("").tls_key_pem);
  auto mesh = MeshIdentityDir(dir.path());
  EXPECT_EQ(*FilePermissions(mesh / "wireguard.key"), 0600u);
  EXPECT_EQ(*FilePermissions(mesh / "tls.key"), 0600u);
  // No secret in the YAML everyone may read.
  auto yaml = ReadFile(mesh / "mesh.yaml");
  ASSERT_TRUE(yaml.ok());
  EXPECT_EQ(yaml->find("wg-private"), std::string::npos);
  EXPECT_EQ(yaml->find("PRIVATE KEY"), std::string::npos);
}

TEST(MeshIdentityTest, ASaveReplacesTheWholeIdentity) {
  TempDir dir("coral-identity");
  ASSERT_TRUE(SaveMeshIdentity(dir.path(), Sample("100.97.0.7")).ok());
  ASSERT_TRUE(SaveMeshIdentity(dir.path(), Sample("100.97.0.9")).ok());
  EXPECT_EQ(LoadMeshIdentity(dir.path())->mesh_ip, "100.97.0.9");
  EXPECT_FALSE(std::filesystem::exists(dir / "mesh.old"));
  EXPECT_FALSE(std::filesystem::exists(dir / "mesh.new"));
}

TEST(MeshIdentityTest, ASaveCutBetweenItsRenamesKeepsTheOldIdentity) {
  TempDir dir("coral-identity");
  ASSERT_TRUE(SaveMeshIdentity(dir.path(), Sample("100.97.0.7")).ok());
  // What a crash after the first rename leaves: mesh.old and a half-written mesh.new.
  std::filesystem::rename(MeshIdentityDir(dir.path()), dir / "mesh.old");
  ASSERT_TRUE(MakeDirs(dir / "mesh.new", FileMode::kPrivate).ok());
  ASSERT_TRUE(HasMeshIdentity(dir.path()));
  EXPECT_EQ(LoadMeshIdentity(dir.path())->mesh_ip, "100.97.0.7");
}

TEST(MeshIdentityTest, AMissingKeyFileIsAnError) {
  TempDir dir("coral-identity");
  ASSERT_TRUE(SaveMeshIdentity(dir.path(), Sample("100.97.0.7")).ok());
  std::filesystem::remove(MeshIdentityDir(dir.path()) / "tls.key");
  EXPECT_FALSE(LoadMeshIdentity(dir.path()).ok());
}

}  // namespace
}  // namespace coral::agent

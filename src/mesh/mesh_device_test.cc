// What MeshDevice checks before it touches the system (no root needed);
// mesh_device_root_test.cc runs real devices.
#include "mesh/mesh_device.h"

#include <gtest/gtest.h>

#include <set>

namespace coral::mesh {
namespace {

MeshDeviceOptions Options(std::string name) {
  MeshDeviceOptions o;
  o.interface_name = std::move(name);
  o.private_key = crypto::PrivateKey::Generate();
  o.address = *ParseIpv4("100.97.0.7");
  return o;
}

void ExpectRefused(const MeshDeviceOptions& o, StatusCode code, const std::string& fragment) {
  auto d = MeshDevice::Start(o);
  ASSERT_FALSE(d.ok()) << "started " << o.interface_name;
  EXPECT_EQ(d.status().code(), code) << d.status().ToString();
  EXPECT_NE(d.status().message().find(fragment), std::string::npos) << d.status().message();
}

TEST(MeshInterfaceNameTest, PrefixPlusEightHexThatFitsLinux) {
  std::string name = MeshInterfaceName("coral", "shop-prod-3fa2c1");
  ASSERT_EQ(name.size(), 13u) << name;
  EXPECT_EQ(name.substr(0, 5), "coral");
  for (char c : name.substr(5)) EXPECT_TRUE(isxdigit(c) && !isupper(c)) << name;
  EXPECT_EQ(name, MeshInterfaceName("coral", "shop-prod-3fa2c1"));  // stable
  EXPECT_LE(MeshInterfaceName("abcdefg", "x").size(), 15u);
}

TEST(MeshInterfaceNameTest, DifferentIdsGetDifferentNames) {
  std::set<std::string> names;
  for (int i = 0; i < 1000; ++i)
    names.insert(MeshInterfaceName("c", "app-dev-" + std::to_string(i)));
  EXPECT_EQ(names.size(), 1000u);
}

TEST(MeshInterfaceNameDeathTest, RejectsAPrefixThatCannotFit) {
  EXPECT_DEATH(MeshInterfaceName("abcdefgh", "x"), "prefix");
  EXPECT_DEATH(MeshInterfaceName("Coral", "x"), "prefix");
}

TEST(MeshDeviceTest, RejectsBadInterfaceNames) {
  for (const char* name : {"", "sixteen-chars-xx", "a/b", "a b", "a:b"}) {
    ExpectRefused(Options(name), StatusCode::kInvalidArgument, "interface name");
  }
}

TEST(MeshDeviceTest, RejectsAMissingKeyOrAddress) {
  MeshDeviceOptions no_key = Options("cmtest0");
  no_key.private_key = crypto::PrivateKey();
  ExpectRefused(no_key, StatusCode::kInvalidArgument, "no private key");
  MeshDeviceOptions no_address = Options("cmtest0");
  no_address.address = 0;
  ExpectRefused(no_address, StatusCode::kInvalidArgument, "needs an address");
  MeshDeviceOptions bad_prefix = Options("cmtest0");
  bad_prefix.prefix_len = 33;
  ExpectRefused(bad_prefix, StatusCode::kInvalidArgument, "100.97.0.7/33");
}

TEST(MeshDeviceTest, NeverTakesOverAnExistingInterface) {
  ExpectRefused(Options("lo"), StatusCode::kAlreadyExists, "interface lo already exists");
}

}  // namespace
}  // namespace coral::mesh

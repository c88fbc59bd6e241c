#include "agent/services_file.h"

#include <gtest/gtest.h>

#include "base/files.h"
#include "base/ids.h"

namespace coral::agent {
namespace {

TEST(ServicesFileTest, ParsesSpecs) {
  auto s = ParseServiceSpec("checkout:8080:/healthz");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->name, "checkout");
  EXPECT_EQ(s->port, 8080);
  EXPECT_EQ(s->health_path, "/healthz");
  auto tcp = ParseServiceSpec("db:5432");
  ASSERT_TRUE(tcp.ok());
  EXPECT_EQ(tcp->health_path, "");
  for (const char* bad : {"checkout", "checkout:", "checkout:0", "checkout:70000", "checkout:80x",
                          "Checkout:80", ":80", "x:80:healthz"}) {
    auto r = ParseServiceSpec(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ServicesFileTest, RoundTripsAndRejectsBadFiles) {
  auto dir = std::filesystem::temp_directory_path() / ("coral-svc-" + RandomHex(6));
  ASSERT_TRUE(MakeDirs(dir, FileMode::kPrivate).ok());
  auto path = dir / "services.yaml";
  EXPECT_TRUE(LoadExplicitServices(path)->empty());  // no file yet
  std::vector<ExplicitService> in = {{"checkout", 8080, "/healthz"}, {"db", 5432, ""}};
  ASSERT_TRUE(SaveExplicitServices(path, in).ok());
  auto out = LoadExplicitServices(path);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].health_path, "/healthz");
  EXPECT_EQ((*out)[1].port, 5432);
  ASSERT_TRUE(WriteFileAtomic(path, "services:\n  - name: x\n    port: 0\n", FileMode::kPublic).ok());
  auto bad = LoadExplicitServices(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("services[0]"), std::string::npos);
  (void)RemoveAll(dir);
}

}  // namespace
}  // namespace coral::agent

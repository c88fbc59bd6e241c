// The coral binary as users run it: a separate process, CORAL_HOME from the
// environment, results on stdout, logs and errors on stderr, exit codes.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/ids.h"
#include "base/subprocess.h"

namespace coral {
namespace {

using namespace std::chrono_literals;

class CliProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = std::filesystem::temp_directory_path() / ("coral-e2e-" + RandomHex(6));
  }
  void TearDown() override { (void)RemoveAll(home_); }

  struct Out {
    int code;
    std::string out, err;
  };
  Out Coral(std::vector<std::string> args) {
    SubprocessOptions o;
    o.argv = {CORAL_BINARY};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env["CORAL_HOME"] = home_.string();
    o.env["CORAL_COLONY"] = "";
    auto p = Subprocess::Start(o);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    auto exit = p->Wait(60s);
    EXPECT_TRUE(exit.ok()) << exit.status().ToString();
    return {exit->exit_code, p->stdout_data(), p->stderr_data()};
  }
  std::filesystem::path home_;
};

TEST_F(CliProcessTest, InitUsesCoralHomeAndPrintsOnlyJsonOnStdout) {
  auto r = Coral({"init", "shop", "--env", "prod", "-o", "json", "-vv"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);  // throws if anything else is on stdout
  std::string id = j["id"];
  EXPECT_TRUE(std::filesystem::exists(home_ / "colonies" / id / "ca.crt"));
  EXPECT_EQ(*FilePermissions(home_ / "colonies" / id / "ca.key"), 0600u);

  auto list = Coral({"colony", "list", "-o", "yaml"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find("id: " + id), std::string::npos) << list.out;
  EXPECT_EQ(list.err, "");
}

TEST_F(CliProcessTest, FailuresGoToStderrWithTheRightExitCode) {
  ASSERT_EQ(Coral({"init", "shop"}).code, 0);
  auto dup = Coral({"init", "shop"});
  EXPECT_EQ(dup.code, 1);
  EXPECT_EQ(dup.out, "");
  EXPECT_NE(dup.err.find("exists"), std::string::npos) << dup.err;
  auto planned = Coral({"profile", "checkout"});
  EXPECT_EQ(planned.code, 2);
  EXPECT_EQ(planned.out, "");
  EXPECT_NE(planned.err.find("not implemented yet"), std::string::npos);
}

TEST_F(CliProcessTest, CorruptConfigNamesTheFileAndKey) {
  auto r = Coral({"init", "shop", "-o", "json"});
  ASSERT_EQ(r.code, 0);
  std::string id = nlohmann::json::parse(r.out)["id"];
  auto yaml = home_ / "colonies" / id / "colony.yaml";
  std::string text = *ReadFile(yaml);
  text.replace(text.find("grpc_port: 9000"), 15, "grpc_port: nine");
  ASSERT_TRUE(WriteFileAtomic(yaml, text, FileMode::kPublic).ok());
  auto list = Coral({"colony", "list"});
  EXPECT_EQ(list.code, 2);
  EXPECT_NE(list.err.find("colony.yaml: key 'api.grpc_port'"), std::string::npos) << list.err;
  EXPECT_NE(list.err.find("got 'nine'"), std::string::npos) << list.err;
}

}  // namespace
}  // namespace coral

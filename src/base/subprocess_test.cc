#include "base/subprocess.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace coral {
namespace {

using namespace std::chrono_literals;

TEST(SubprocessTest, CapturesOutputAndExitCode) {
  auto r = RunCommand({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit.exit_code, 3);
  EXPECT_FALSE(r->exit.ok());
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
}

TEST(SubprocessTest, MissingProgramIsAClearError) {
  auto r = RunCommand({"/nonexistent/coral-no-such-program"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("coral-no-such-program"), std::string::npos);
  // Through PATH the errno depends on the PATH entries (EACCES for unreadable
  // ones), but it is always an error naming the program.
  auto via_path = RunCommand({"coral-no-such-program-xyz"});
  ASSERT_FALSE(via_path.ok());
  EXPECT_NE(via_path.status().message().find("coral-no-such-program-xyz"), std::string::npos);
}

TEST(SubprocessTest, TimeoutKillsTheChild) {
  auto r = RunCommand({"sleep", "30"}, 200ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
}

TEST(SubprocessTest, DestructorKillsARunningChild) {
  pid_t pid;
  {
    SubprocessOptions o;
    o.argv = {"sleep", "30"};
    auto p = Subprocess::Start(o);
    ASSERT_TRUE(p.ok());
    pid = p->pid();
    EXPECT_TRUE(p->Running());
  }
  EXPECT_EQ(::kill(pid, 0), -1);  // reaped and gone
}

TEST(SubprocessTest, EnvironmentIsPassed) {
  SubprocessOptions o;
  o.argv = {"sh", "-c", "printf %s \"$CORAL_TEST_VAR\""};
  o.env["CORAL_TEST_VAR"] = "hello";
  auto p = Subprocess::Start(o);
  ASSERT_TRUE(p.ok());
  auto exit = p->Wait(10s);
  ASSERT_TRUE(exit.ok());
  EXPECT_TRUE(exit->ok());
  EXPECT_EQ(p->stdout_data(), "hello");
}

TEST(SubprocessTest, WaitForOutputSeesAMarker) {
  SubprocessOptions o;
  o.argv = {"sh", "-c", "echo starting; sleep 0.1; echo ready; sleep 30"};
  auto p = Subprocess::Start(o);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->WaitForOutput("ready", 10s));
  EXPECT_EQ(p->stdout_data(), "starting\nready\n");
  EXPECT_FALSE(p->WaitForOutput("never", 100ms));
  SubprocessOptions quick;
  quick.argv = {"true"};
  auto q = Subprocess::Start(quick);
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->WaitForOutput("ready", 10s));  // stdout closed without it
}

TEST(SubprocessTest, KillReportsTheSignal) {
  SubprocessOptions o;
  o.argv = {"sleep", "30"};
  auto p = Subprocess::Start(o);
  ASSERT_TRUE(p.ok());
  p->Kill(SIGTERM);
  auto exit = p->Wait(10s);
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->signal, SIGTERM);
}

}  // namespace
}  // namespace coral

#include "mesh/netns_for_test.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <thread>

#include "base/subprocess.h"
#include "base/unique_fd.h"

namespace coral::mesh::testing {

Result<std::string> Command(const std::vector<std::string>& argv) {
  RunResult r = CORAL_TRY(RunCommand(argv, std::chrono::seconds(30)));
  if (!r.exit.ok()) {
    std::string line;
    for (const auto& a : argv) line += a + " ";
    return Internal(line + "failed (" + r.exit.ToString() + "): " + r.err);
  }
  return r.out;
}

Result<std::unique_ptr<TestNetns>> TestNetns::Create(const std::string& tag) {
  std::string name = "cm" + tag + std::to_string(getpid());
  CORAL_TRY(Command({"ip", "netns", "add", name}));
  auto ns = std::unique_ptr<TestNetns>(new TestNetns(name));
  CORAL_TRY(ns->Exec({"ip", "link", "set", "lo", "up"}));
  return ns;
}

TestNetns::~TestNetns() { (void)Command({"ip", "netns", "del", name_}); }

Status TestNetns::Run(const std::function<void()>& fn) const {
  Status status;
  std::thread t([&] {
    UniqueFd fd(open(("/var/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
      status = ErrnoError("open netns " + name_, errno);
      return;
    }
    if (setns(fd.get(), CLONE_NEWNET) < 0) {
      status = ErrnoError("setns " + name_, errno);
      return;
    }
    fn();
  });
  t.join();
  return status;
}

Result<std::string> TestNetns::Exec(const std::vector<std::string>& argv) const {
  std::vector<std::string> full = {"ip", "netns", "exec", name_};
  full.insert(full.end(), argv.begin(), argv.end());
  return Command(full);
}

Status ConnectWithVeth(const TestNetns& a, const TestNetns& b, const std::string& prefix) {
  std::string va = prefix + "a", vb = prefix + "b";
  CORAL_TRY(Command({"ip", "link", "add", va, "netns", a.name(), "type", "veth", "peer", "name", vb,
                     "netns", b.name()}));
  CORAL_TRY(a.Exec({"ip", "addr", "add", "10.233.0.1/24", "dev", va}));
  CORAL_TRY(b.Exec({"ip", "addr", "add", "10.233.0.2/24", "dev", vb}));
  CORAL_TRY(a.Exec({"ip", "link", "set", va, "up"}));
  CORAL_TRY(b.Exec({"ip", "link", "set", vb, "up"}));
  return Status::Ok();
}

}  // namespace coral::mesh::testing

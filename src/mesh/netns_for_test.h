// Test support for the root tests of src/mesh: a network namespace made with
// `ip netns add` (so ip(8), ping and wg can run in it by name) and removed,
// with everything in it, when the TestNetns goes away, even after a failed
// assertion. Code runs inside it on a helper thread that setns()es in, since
// setns moves only the calling thread.
//
// Thread-safety: one test thread drives a TestNetns.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace coral::mesh::testing {

// Runs argv to completion; fails, with its stderr, on a non-zero exit.
Result<std::string> Command(const std::vector<std::string>& argv);

class TestNetns {
 public:
  // A namespace named "cm<tag><pid>", with lo up.
  static Result<std::unique_ptr<TestNetns>> Create(const std::string& tag);
  ~TestNetns();

  const std::string& name() const { return name_; }
  // Runs `fn` on a thread inside the namespace and waits for it.
  Status Run(const std::function<void()>& fn) const;
  // Runs argv inside the namespace (`ip netns exec`).
  Result<std::string> Exec(const std::vector<std::string>& argv) const;

 private:
  explicit TestNetns(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

// Joins two namespaces with a veth pair named "<prefix>a"/"<prefix>b",
// addressed 10.233.0.1/24 and 10.233.0.2/24, both up.
Status ConnectWithVeth(const TestNetns& a, const TestNetns& b, const std::string& prefix);

}  // namespace coral::mesh::testing

// What every command gets: the resolved home, the output helper, the global
// flags. Commands return a Status; the runner prints failures.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

#include "base/status.h"
#include "cli/output.h"
#include "config/home.h"

namespace coral::cli {

struct GlobalFlags {
  std::string home;
  std::string output = "table";
  std::string colony;
  int verbosity = 0;
};

struct Context {
  config::Home home;
  Output out;
  std::ostream& err;
  const GlobalFlags& flags;
};

using CommandFn = std::function<Status(Context&)>;

// Registers commands on the tree and runs the chosen one after parsing.
class Commands {
 public:
  Commands(GlobalFlags& flags, std::ostream& out, std::ostream& err)
      : flags_(flags), out_(out), err_(err) {}

  // Makes `cmd` run `fn` when chosen.
  void Bind(CLI::App* cmd, CommandFn fn);
  // Like Bind, for a command that reports its own errors and decides the
  // process exit code itself (a Status error still prints and exits 1 or 2).
  void BindExitCode(CLI::App* cmd, std::function<Result<int>(Context&)> fn);
  // A command of the product that does not work yet: listed with the note in
  // --help, exits 2 saying so.
  void Planned(CLI::App& parent, const std::string& name, const std::string& description);

  int exit_code() const { return exit_code_; }
  std::ostream& err() { return err_; }

 private:
  GlobalFlags& flags_;
  std::ostream& out_;
  std::ostream& err_;
  int exit_code_ = 0;
};

// Command groups, one file each.
void AddInitCommand(CLI::App& app, Commands& commands);
void AddColonyCommands(CLI::App& app, Commands& commands);
void AddStatusCommand(CLI::App& app, Commands& commands);
void AddQueryCommands(CLI::App& app, Commands& commands);
void AddVersionCommand(CLI::App& app, Commands& commands);
void AddAgentCommands(CLI::App& app, Commands& commands);
void AddServiceCommands(CLI::App& app, Commands& commands);
void AddWireGuardCommand(CLI::App& app, Commands& commands);
void AddMcpCommands(CLI::App& app, Commands& commands);
void AddAskCommands(CLI::App& app, Commands& commands);

}  // namespace coral::cli

#include "cli/app.h"

#include <iostream>

#include "base/log.h"
#include "cli/context.h"

namespace coral::cli {

void Commands::Bind(CLI::App* cmd, CommandFn fn) {
  cmd->callback([this, cmd, fn = std::move(fn)] {
    auto format = ParseFormat(flags_.output);
    Status status = format.status();
    if (status.ok()) {
      auto level = flags_.verbosity >= 2   ? log::Level::kDebug
                   : flags_.verbosity == 1 ? log::Level::kInfo
                                           : log::Level::kWarn;
      status = log::Init(level);
    }
    if (status.ok()) {
      auto home = config::Home::Resolve(flags_.home);
      status = home.status();
      if (status.ok()) {
        Context ctx{*home, Output(*format, out_), err_, flags_};
        status = fn(ctx);
      }
    }
    if (!status.ok()) {
      err_ << "coral " << cmd->get_name() << ": " << status.message() << "\n";
      exit_code_ = status.code() == StatusCode::kInvalidArgument ? 2 : 1;
    }
  });
}

void Commands::BindExitCode(CLI::App* cmd, std::function<Result<int>(Context&)> fn) {
  Bind(cmd, [this, fn = std::move(fn)](Context& ctx) -> Status {
    int code = CORAL_TRY(fn(ctx));
    exit_code_ = code;
    return Status::Ok();
  });
}

void Commands::Planned(CLI::App& parent, const std::string& name, const std::string& description) {
  CLI::App* cmd = parent.add_subcommand(name, description + " (not implemented yet)");
  // Accept whatever arguments a user tries, so the answer is always this one.
  auto ignored = std::make_shared<std::vector<std::string>>();
  cmd->add_option("args", *ignored, "")->allow_extra_args();
  cmd->allow_extras();      // and options it does not know yet (--since 1h),
  cmd->fallthrough(false);  // keeping them here rather than passing them up
  cmd->callback([this, name, ignored] {
    err_ << "coral " << name << ": not implemented yet\n";
    exit_code_ = 2;
  });
}

int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "Coral: a self-hosted debugger and observability mesh for distributed applications.\n"
      "Agents watch each host, a colony per application and environment gathers what they\n"
      "see, and your own LLM investigates through Coral's tools.",
      "coral"};
  app.fallthrough();  // global flags work after subcommands too
  app.require_subcommand(0, 1);
  GlobalFlags flags;
  app.add_option("--home", flags.home, "Coral state folder (env CORAL_HOME, default ~/.coral)");
  app.add_option("-o,--output", flags.output, "Output format: table, json, yaml or csv")
      ->check(CLI::IsMember({"table", "json", "yaml", "csv"}));
  app.add_option("--colony", flags.colony,
                 "Colony to act on (env CORAL_COLONY, default: the current colony)");
  app.add_flag("-v,--verbose", flags.verbosity, "Log more to stderr (-v info, -vv debug)");

  Commands commands(flags, out, err);
  AddInitCommand(app, commands);
  AddColonyCommands(app, commands);
  AddAgentCommands(app, commands);
  AddServiceCommands(app, commands);
  AddStatusCommand(app, commands);
  AddQueryCommands(app, commands);
  AddMcpCommands(app, commands);
  AddAskCommands(app, commands);
  commands.Planned(app, "exec", "Run a command inside a service's namespaces");
  commands.Planned(app, "shell", "Open a shell on an agent's host");
  commands.Planned(app, "profile", "Take a CPU profile of a service");
  commands.Planned(app, "reef", "Federate several colonies");
  AddWireGuardCommand(app, commands);
  AddVersionCommand(app, commands);

  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    // Help of the command that was asked about, not always the root.
    const CLI::App* target = &app;
    while (!target->get_subcommands().empty()) target = target->get_subcommands().front();
    out << target->help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ParseError& e) {
    err << "coral: " << e.what() << "\n";
    err << "Run 'coral --help' for usage.\n";
    return 2;
  }
  if (app.get_subcommands().empty()) {
    out << app.help();
    return 0;
  }
  return commands.exit_code();
}

}  // namespace coral::cli

// coral colony list | use ID | current
#include "cli/context.h"
#include "colony/colony_dir.h"

namespace coral::cli {

namespace {

Status RunList(Context& ctx) {
  auto colonies = CORAL_TRY(colony::ListColonies(ctx.home));
  auto selected = colony::SelectColony(ctx.home, ctx.flags.colony);
  Json records = Json::array();
  for (const auto& c : colonies) {
    bool current = selected.ok() && selected->id == c.id;
    if (ctx.out.format() == Format::kTable) {
      records.push_back({{"current", current ? "*" : ""},
                         {"id", c.id},
                         {"app", c.app},
                         {"env", c.env},
                         {"mesh", c.mesh_cidr},
                         {"created", c.created_at.substr(0, 19) + "Z"}});
    } else {
      records.push_back({{"id", c.id},
                         {"app", c.app},
                         {"env", c.env},
                         {"mesh_cidr", c.mesh_cidr},
                         {"mesh_ip", c.mesh_ip},
                         {"created_at", c.created_at},
                         {"ca_fingerprint", c.ca_fingerprint},
                         {"current", current}});
    }
  }
  std::vector<std::string> columns =
      ctx.out.format() == Format::kTable
          ? std::vector<std::string>{"current", "id", "app", "env", "mesh", "created"}
          : std::vector<std::string>{
                "id",     "app", "env", "mesh_cidr", "mesh_ip", "created_at", "ca_fingerprint",
                "current"};
  ctx.out.List(columns, records, "No colonies yet. Create one with 'coral init APP'.");
  return Status::Ok();
}

Status RunUse(Context& ctx, const std::string& id) {
  CORAL_TRY(colony::SetDefaultColony(ctx.home, id));
  if (ctx.out.format() == Format::kTable) {
    ctx.out.Object({{"current colony", id}});
  } else {
    ctx.out.Object({{"current", id}});
  }
  return Status::Ok();
}

Status RunCurrent(Context& ctx) {
  auto selected = CORAL_TRY(colony::SelectColony(ctx.home, ctx.flags.colony));
  if (ctx.out.format() == Format::kTable) {
    ctx.out.Object({{"colony", selected.id},
                    {"chosen by", std::string(colony::ColonySourceName(selected.source))}});
  } else {
    ctx.out.Object({{"colony", selected.id},
                    {"source", std::string(colony::ColonySourceName(selected.source))}});
  }
  return Status::Ok();
}

}  // namespace

void AddColonyCommands(CLI::App& app, Commands& commands) {
  CLI::App* colony = app.add_subcommand("colony", "Manage the colonies on this machine");
  colony->require_subcommand(1);

  CLI::App* list = colony->add_subcommand("list", "List colonies; * marks the current one");
  commands.Bind(list, RunList);

  auto id = std::make_shared<std::string>();
  CLI::App* use = colony->add_subcommand("use", "Make a colony the current one");
  use->add_option("id", *id, "Colony id, as 'coral colony list' prints it")->required();
  commands.Bind(use, [id](Context& ctx) { return RunUse(ctx, *id); });

  CLI::App* current = colony->add_subcommand(
      "current",
      "Show the current colony and why: --colony, CORAL_COLONY, config, or the only one");
  commands.Bind(current, RunCurrent);
}

}  // namespace coral::cli

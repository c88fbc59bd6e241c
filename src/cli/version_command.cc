// coral version
#include "cli/context.h"
#include "storage/duckdb/duckdb_store.h"

namespace coral::cli {

void AddVersionCommand(CLI::App& app, Commands& commands) {
  CLI::App* cmd = app.add_subcommand("version", "Print Coral's version and its components'");
  commands.Bind(cmd, [](Context& ctx) {
    ctx.out.Object({{"version", CORAL_VERSION},
                    {"duckdb", storage::DuckDbStore::LibraryVersion()},
                    {"build", CORAL_BUILD_FLAVOR}});
    return Status::Ok();
  });
}

}  // namespace coral::cli

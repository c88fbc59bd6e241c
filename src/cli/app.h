// The `coral` command tree. Run() parses arguments, runs one command and
// returns the process exit code:
//   0 success, 1 the command failed (message on stderr),
//   2 bad usage or a command that is not implemented yet.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace coral::cli {

int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace coral::cli

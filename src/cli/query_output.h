// How every `coral query` view prints the colony's rows: its columns in
// order, times (*_us columns) as RFC 3339 in tables; json, yaml and csv print
// the rows as the MCP tools and the REST API give them (analysis/answers.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/context.h"
#include "coral/v1/colony.pb.h"

namespace coral::cli {

using ProtoColumns = google::protobuf::RepeatedPtrField<coral::v1::SqlColumn>;
using ProtoRows = google::protobuf::RepeatedPtrField<coral::v1::Row>;

// `table_columns`, when given, are the columns a table shows (json, yaml and
// csv always carry all of them, as analysis/answers.h writes them).
void PrintQueryRows(Context& ctx, const ProtoColumns& columns, const ProtoRows& rows,
                    std::string_view empty_note, const std::vector<std::string>& table_columns = {},
                    bool truncated = false);

}  // namespace coral::cli

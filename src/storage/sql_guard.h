// What SQL from users (Statements::kSelectOnly: `coral query sql`, the
// coral_query_sql tool, the REST API) may name, on either backend. The
// backends already refuse anything but one SELECT and anything reaching
// outside the store; this guard also refuses the functions and tables that
// tell a viewer about the server rather than the data: settings, file paths,
// other databases, the environment. Names are compared as tokens, outside
// string literals and comments, whatever their case or quoting, so
// `"Current_Setting"('temp_directory')` is refused like the plain form.
//
// Refused: PRAGMA, current_setting, getsetting, getenv, pragma_* and duckdb_*
// functions (DuckDB's catalog and settings: paths, extensions, secrets),
// anything in ClickHouse's `system` database, and table functions that read
// files or other servers (file, url, remote, remoteSecure, cluster, mysql,
// jdbc, odbc, hdfs, s3, input, executable, glob, read_*).
//
// Thread-safety: a pure function.
#pragma once

#include <string_view>

#include "base/status.h"

namespace coral::storage {

// OK, or PermissionDenied naming what the query may not use.
Status CheckUserSqlNames(std::string_view sql);

}  // namespace coral::storage

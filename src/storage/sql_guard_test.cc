#include "storage/sql_guard.h"

#include <gtest/gtest.h>

namespace coral::storage {
namespace {

TEST(SqlGuardTest, RefusesWhatTellsAboutTheServerHoweverItIsWritten) {
  for (const char* bad : {
           "SELECT * FROM pragma_database_list()",
           "PRAGMA database_list",
           "SELECT current_setting('temp_directory')",
           "select CURRENT_SETTING('memory_limit')",
           "SELECT \"current_setting\"('temp_directory')",
           "SELECT * FROM duckdb_settings()",
           "SELECT * FROM duckdb_databases()",
           "SELECT path FROM system.disks",
           "SELECT * FROM `system`.`settings`",
           "SELECT getSetting('max_memory_usage')",
           "SELECT * FROM file('x.csv')",
           "SELECT * FROM url('http://10.0.0.1/', CSV, 'a String')",
           "SELECT * FROM remote('10.0.0.2', default.spans)",
           "SELECT * FROM read_text('/etc/hostname')",
           "SELECT getenv('HOME')",
           "SELECT 1 /* comment */ + length(current_setting('threads'))",
       }) {
    Status s = CheckUserSqlNames(bad);
    EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << bad;
    EXPECT_NE(s.message().find("may not use"), std::string::npos) << bad << ": " << s.message();
  }
}

TEST(SqlGuardTest, LetsQueriesOverTheTablesThroughEvenWhenTextMentionsTheNames) {
  for (const char* ok : {
           "SELECT service_name, count(*) FROM spans GROUP BY service_name",
           "SELECT * FROM log_records WHERE body LIKE '%current_setting%'",
           "SELECT 'system' AS word, 'it''s pragma_x' AS quote",
           "SELECT 1 -- duckdb_settings() in a comment", "SELECT 1 /* system.disks */",
           "WITH s AS (SELECT * FROM spans) SELECT count(*) FROM s",
           "SELECT filename FROM processes",  // an identifier that only starts like one
       }) {
    Status s = CheckUserSqlNames(ok);
    EXPECT_TRUE(s.ok()) << ok << ": " << s.message();
  }
}

}  // namespace
}  // namespace coral::storage
